"""The firm's members: changing a role, removing a colleague."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pmo_platform.errors import field_error

from ..error_codes import AccountsErrorCode
from ..models import Firm, Membership, Role, User
from .audit import audit


@transaction.atomic
def member_update_role(*, firm: Firm, actor: User, membership: Membership, role: str) -> None:
    if membership.role == Role.OWNER or role not in (Role.ADMIN, Role.CONSULTANT):
        raise field_error(
            "role",
            _("The owner's role cannot be changed here."),
            AccountsErrorCode.OWNER_ROLE_FIXED,
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        firm=firm, actor=actor, action="member.role_changed", target=membership, old=old, new=role
    )


@transaction.atomic
def member_remove(*, firm: Firm, actor: User, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise ValidationError(
            _("The firm's owner cannot be removed."), code=AccountsErrorCode.OWNER_NOT_REMOVABLE
        )
    if membership.user_id == actor.pk:
        raise ValidationError(
            _("You cannot remove yourself."), code=AccountsErrorCode.CANNOT_REMOVE_SELF
        )
    audit(
        firm=firm,
        actor=actor,
        action="member.removed",
        target=membership,
        email=membership.user.email,
        role=membership.role,
    )
    membership.delete()
