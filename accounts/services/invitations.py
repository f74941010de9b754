"""Invitations of colleagues and client executives: create, resend, withdraw, email, accept."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pmo_platform import delivery
from pmo_platform.errors import field_error
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context
from pmo_platform.text import check_single_line

from ..emails import absolute_url, build_branded_email
from ..error_codes import AccountsErrorCode
from ..models import (
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Invitation,
    InvitationRole,
    Membership,
    User,
)
from ..selectors import branding_for_firm, hash_token
from .audit import audit

logger = logging.getLogger(__name__)


def _not_pending() -> ValidationError:
    return ValidationError(
        _("This invitation has already been used or withdrawn."),
        code=AccountsErrorCode.INVITATION_NOT_PENDING,
    )


def _pending_for(email: str, client: ClientOrganisation | None):
    qs = Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    return qs.filter(client=client) if client else qs.filter(client__isnull=True)


@transaction.atomic
def invitation_create(
    *,
    firm: Firm,
    invited_by: User,
    email: str,
    role: str,
    name: str = "",
    language: str | None = None,
    client: ClientOrganisation | None = None,
) -> Invitation:
    """Invite a colleague (admin or consultant) or a client executive (with `client`)."""
    email = email.strip().lower()
    if role not in InvitationRole.values:
        raise field_error("role", _("Choose a valid role."), AccountsErrorCode.INVALID_ROLE)
    if (role == InvitationRole.EXECUTIVE) != (client is not None):
        raise field_error(
            "role",
            _("Client executives are invited from a client's page."),
            AccountsErrorCode.EXECUTIVE_NEEDS_CLIENT,
        )
    if client is not None and client.is_archived:
        raise field_error("email", _("This client is archived."), AccountsErrorCode.CLIENT_ARCHIVED)
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise field_error(
            "email",
            _("This person is already a colleague in your firm."),
            AccountsErrorCode.ALREADY_MEMBER,
        )
    if client and ClientExecutive.objects.filter(client=client, user__email__iexact=email).exists():
        raise field_error(
            "email",
            _("This person already has access to this client."),
            AccountsErrorCode.ALREADY_EXECUTIVE,
        )
    for existing in _pending_for(email, client).select_for_update():
        if not existing.is_expired:
            raise field_error(
                "email",
                _("An invitation to this address is already pending."),
                AccountsErrorCode.INVITATION_PENDING,
            )
        existing.revoked_at = timezone.now()  # an expired invitation is replaced by the new one
        existing.save(update_fields=["revoked_at"])

    invitation = Invitation(
        firm=firm,
        email=email,
        name=check_single_line("name", name),
        role=role,
        client=client,
        language=language or branding_for_firm(firm=firm).default_language,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.full_clean(exclude=["firm", "client", "invited_by"])
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # a concurrent request created the same pending invitation
        raise field_error(
            "email",
            _("An invitation to this address is already pending."),
            AccountsErrorCode.INVITATION_PENDING,
        ) from None
    audit(
        firm=firm,
        actor=invited_by,
        action="invitation.created",
        target=invitation,
        email=email,
        role=role,
        client_id=client.pk if client else None,
    )
    from ..tasks import send_invitation_email

    enqueue(send_invitation_email, firm_id=firm.pk, invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def invitation_resend(*, firm: Firm, actor: User, invitation: Invitation) -> Invitation:
    """Send a fresh link (the old one stops working) and extend the expiry."""
    if not invitation.is_pending:
        raise _not_pending()
    if invitation.client is not None and invitation.client.is_archived:
        raise field_error("email", _("This client is archived."), AccountsErrorCode.CLIENT_ARCHIVED)
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(
        email_sent_at=None,
        token_hash="",
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    if not updated:
        raise _not_pending()
    audit(firm=firm, actor=actor, action="invitation.resent", target=invitation)
    from ..tasks import send_invitation_email

    enqueue(send_invitation_email, firm_id=firm.pk, invitation_id=invitation.pk)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_revoke(*, firm: Firm, actor: User, invitation: Invitation) -> None:
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise _not_pending()
    audit(firm=firm, actor=actor, action="invitation.revoked", target=invitation)


def invitation_email_send(*, firm: Firm, invitation_id: int) -> bool:
    """Send one invitation email at most once (the worker, outside any transaction).

    Transaction 1 locks the pending row, gives it a new token and sets `email_sent_at` (the
    claim), and commits before the mail server is spoken to: a retry, a redelivered task or a
    second worker then finds it sent. When the server accepted nothing (unreachable, a 4xx)
    the claim is released and `delivery.Deferred` makes the task retry; an unknown outcome
    (the connection failed after DATA) counts as sent. Returns whether an email went out."""
    with firm_context(firm):
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .filter(
                pk=invitation_id,
                email_sent_at__isnull=True,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            # Not for a client archived meanwhile (its executives could not see it anyway).
            .filter(Q(client__isnull=True) | Q(client__archived_at__isnull=True))
            .first()
        )
        if invitation is None:
            return False
        raw_token = secrets.token_urlsafe(32)  # 256 bits; only the hash is stored
        invitation.token_hash = hash_token(raw_token)
        invitation.email_sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "email_sent_at"])
        message = _invitation_message(firm=firm, invitation=invitation, raw_token=raw_token)
        message.message()  # a bad header fails here, and the claim rolls back
        mailer = delivery.Mailer()
        unreachable = mailer.connect()  # before the claim commits; unreachable: roll it back
        if unreachable is not None:
            transaction.set_rollback(True)
    if unreachable is not None:
        raise delivery.Deferred(unreachable.error)
    with mailer:
        result = mailer.send(message)
    if result.outcome == delivery.DEFERRED:
        with firm_context(firm):
            Invitation.objects.filter(
                pk=invitation.pk, token_hash=invitation.token_hash, accepted_at__isnull=True
            ).update(email_sent_at=None)
        raise delivery.Deferred(result.error)
    if result.outcome == delivery.REJECTED:
        logger.warning("invitation %s refused by the mail server: %s", invitation.pk, result.error)
        return False
    return True


def _invitation_message(*, firm: Firm, invitation: Invitation, raw_token: str):
    branding = branding_for_firm(firm=firm)
    link = absolute_url(
        reverse("accounts:invitation", kwargs={"firm_slug": firm.slug, "token": raw_token})
    )
    inviter = invitation.invited_by
    client = invitation.client
    if client is not None:
        subject = gettext_lazy("%(firm)s invites you to follow the PMO assessment of %(client)s")
        subject_args = {"firm": firm.name, "client": client.name}
    else:
        subject = gettext_lazy("%(firm)s invites you to join its PMO Platform workspace")
        subject_args = {"firm": firm.name}
    with translation.override(invitation.language):
        subject_text = str(subject) % subject_args
    message = build_branded_email(
        firm=firm,
        branding=branding,
        to=invitation.email,
        language=invitation.language,
        subject=subject_text,
        template="accounts/email/invitation",
        context={
            "invitation": invitation,
            "inviter_name": inviter.get_full_name() if inviter else firm.name,
            "client": client,
            "link": link,
            "expires_at": invitation.expires_at,
        },
    )
    # Stable for this link: the same email on every attempt, a new one after a resend.
    message.extra_headers["Message-ID"] = delivery.message_id(
        firm.pk, "invitation", invitation.pk, invitation.token_hash
    )
    return message


@transaction.atomic
def invitation_accept(*, firm: Firm, invitation: Invitation, user: User):
    """Turn a pending invitation into a membership or a client-executive grant for `user`."""
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to another email address."),
            code=AccountsErrorCode.INVITATION_WRONG_EMAIL,
        )
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise ValidationError(
            _("This invitation has been used or withdrawn, or it has expired."),
            code=AccountsErrorCode.INVITATION_UNUSABLE,
        )
    if invitation.role == InvitationRole.EXECUTIVE:
        grant, _created = ClientExecutive.objects.get_or_create(
            firm=firm,
            client=invitation.client,
            user=user,
            defaults={"granted_by": invitation.invited_by},
        )
        audit(
            firm=firm,
            actor=user,
            action="executive.granted",
            target=grant,
            client_id=invitation.client_id,
            email=user.email,
        )
        return grant
    if Membership.objects.filter(user=user).exists():
        raise ValidationError(
            _("You are already a member of this firm."), code=AccountsErrorCode.ALREADY_MEMBER
        )
    membership = Membership.objects.create(firm=firm, user=user, role=invitation.role)
    audit(firm=firm, actor=user, action="member.joined", target=membership, role=invitation.role)
    return membership


@transaction.atomic
def user_create_for_invitation(*, invitation: Invitation, name: str, password: str) -> User:
    """Create the account of someone who follows an invitation link. Following the emailed link
    proves the address, so it is stored as verified."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            _("An account with this email address already exists. Log in."),
            code=AccountsErrorCode.ACCOUNT_EXISTS,
        )
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        name=check_single_line("name", name, max_length=150),
        language=invitation.language,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
