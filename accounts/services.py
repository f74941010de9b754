"""Writes. Each service takes keyword arguments, runs in one transaction, writes an audit entry and
enqueues side effects on commit. Tenant services run inside the firm's scope (the caller's entry
point entered it) and raise `ValidationError` with field errors for bad input."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from .emails import absolute_url, build_branded_email
from .models import (
    AuditEntry,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Invitation,
    InvitationRole,
    Language,
    Membership,
    Role,
    User,
)
from .selectors import branding_for_firm, hash_token
from .signals import firm_created


def audit(*, firm: Firm, actor: User | None, action: str, target=None, **data) -> AuditEntry:
    return AuditEntry.objects.create(
        firm=firm,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        data=data,
    )


# --- People -------------------------------------------------------------------------------------


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    """Remember the person's interface language (used for pages and their emails)."""
    if language not in Language.values:
        raise ValidationError({"language": _("Choose English or Swedish.")})
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


# --- Firms --------------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "firm"
    slug, n = base, 1
    while Firm.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def firm_signup(*, owner: User, firm_name: str, language: str = Language.ENGLISH) -> Firm:
    """Create a firm with `owner` as its owner, default branding and a first audit entry."""
    firm_name = firm_name.strip()
    if not firm_name:
        raise ValidationError({"firm_name": _("Enter the name of your firm.")})
    firm = Firm.objects.create(name=firm_name, slug=_unique_slug(firm_name))
    with firm_context(firm):
        Branding.objects.create(firm=firm, sender_name=firm_name[:80], default_language=language)
        Membership.objects.create(firm=firm, user=owner, role=Role.OWNER)
        audit(firm=firm, actor=owner, action="firm.created", target=firm, name=firm_name)
        firm_created.send(sender=Firm, firm=firm)
    return firm


@transaction.atomic
def branding_update(
    *,
    firm: Firm,
    actor: User,
    primary_color: str,
    accent_color: str,
    sender_name: str,
    reply_to: str,
    email_footer: str,
    default_language: str,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> Branding:
    branding = Branding.objects.select_for_update().filter(firm=firm).first()
    if branding is None:
        branding = Branding(firm=firm)
    branding.primary_color = primary_color.upper()
    branding.accent_color = accent_color.upper()
    branding.sender_name = sender_name
    branding.reply_to = reply_to
    branding.email_footer = email_footer
    branding.default_language = default_language
    changed_logo = None
    if logo is not None:
        content, content_type = logo
        branding.logo = content
        branding.logo_content_type = content_type
        branding.logo_sha256 = hashlib.sha256(content).hexdigest()
        changed_logo = "replaced"
    elif remove_logo and branding.has_logo:
        branding.logo = None
        branding.logo_content_type = ""
        branding.logo_sha256 = ""
        changed_logo = "removed"
    branding.full_clean(exclude=["firm"])
    branding.save()
    audit(
        firm=firm,
        actor=actor,
        action="branding.updated",
        target=branding,
        primary_color=branding.primary_color,
        accent_color=branding.accent_color,
        sender_name=sender_name,
        default_language=default_language,
        logo=changed_logo or "unchanged",
    )
    return branding


# --- Colleagues and executives: invitations ----------------------------------------------------


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
        raise ValidationError({"role": _("Choose a valid role.")})
    if (role == InvitationRole.EXECUTIVE) != (client is not None):
        raise ValidationError({"role": _("Client executives are invited from a client's page.")})
    if client is not None and client.is_archived:
        raise ValidationError({"email": _("This client is archived.")})
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a colleague in your firm.")})
    if client and ClientExecutive.objects.filter(client=client, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person already has access to this client.")})
    for existing in _pending_for(email, client).select_for_update():
        if not existing.is_expired:
            raise ValidationError({"email": _("An invitation to this address is already pending.")})
        existing.revoked_at = timezone.now()  # an expired invitation is replaced by the new one
        existing.save(update_fields=["revoked_at"])

    invitation = Invitation(
        firm=firm,
        email=email,
        name=name.strip(),
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
        raise ValidationError(
            {"email": _("An invitation to this address is already pending.")}
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
    from .tasks import send_invitation_email

    enqueue(send_invitation_email, firm_id=firm.pk, invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def invitation_resend(*, firm: Firm, actor: User, invitation: Invitation) -> Invitation:
    """Send a fresh link (the old one stops working) and extend the expiry."""
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been used or withdrawn."))
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(
        email_sent_at=None,
        token_hash="",
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    if not updated:
        raise ValidationError(_("This invitation has already been used or withdrawn."))
    audit(firm=firm, actor=actor, action="invitation.resent", target=invitation)
    from .tasks import send_invitation_email

    enqueue(send_invitation_email, firm_id=firm.pk, invitation_id=invitation.pk)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_revoke(*, firm: Firm, actor: User, invitation: Invitation) -> None:
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise ValidationError(_("This invitation has already been used or withdrawn."))
    audit(firm=firm, actor=actor, action="invitation.revoked", target=invitation)


def invitation_email_send(*, firm: Firm, invitation_id: int) -> bool:
    """Send one invitation email exactly once (called by the Celery task inside firm_context).

    The pending row is locked and marked sent in the same transaction that sends: a second
    worker waits for the lock and then finds it sent; a failed send rolls the claim back so a
    retry sends it. Returns whether an email was sent."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(
            pk=invitation_id,
            email_sent_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )
    if invitation is None:
        return False
    raw_token = secrets.token_urlsafe(32)  # 256 bits; only the hash is stored
    invitation.token_hash = hash_token(raw_token)
    invitation.email_sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "email_sent_at"])

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
    message.send()
    return True


@transaction.atomic
def invitation_accept(*, firm: Firm, invitation: Invitation, user: User):
    """Turn a pending invitation into a membership or a client-executive grant for `user`."""
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to another email address."))
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise ValidationError(_("This invitation has been used or withdrawn, or it has expired."))
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
        raise ValidationError(_("You are already a member of this firm."))
    membership = Membership.objects.create(firm=firm, user=user, role=invitation.role)
    audit(firm=firm, actor=user, action="member.joined", target=membership, role=invitation.role)
    return membership


@transaction.atomic
def user_create_for_invitation(*, invitation: Invitation, name: str, password: str) -> User:
    """Create the account of someone who follows an invitation link. Following the emailed link
    proves the address, so it is stored as verified."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("An account with this email address already exists. Log in."))
    user = User.objects.create_user(
        email=invitation.email, password=password, name=name.strip(), language=invitation.language
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


# --- Members ------------------------------------------------------------------------------------


@transaction.atomic
def member_update_role(*, firm: Firm, actor: User, membership: Membership, role: str) -> None:
    if membership.role == Role.OWNER or role not in (Role.ADMIN, Role.CONSULTANT):
        raise ValidationError({"role": _("The owner's role cannot be changed here.")})
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        firm=firm, actor=actor, action="member.role_changed", target=membership, old=old, new=role
    )


@transaction.atomic
def member_remove(*, firm: Firm, actor: User, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise ValidationError(_("The firm's owner cannot be removed."))
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot remove yourself."))
    audit(
        firm=firm,
        actor=actor,
        action="member.removed",
        target=membership,
        email=membership.user.email,
        role=membership.role,
    )
    membership.delete()


# --- Client organisations -----------------------------------------------------------------------

CLIENT_FIELDS = ("name", "industry", "size_band", "country")


def _save_client(client: ClientOrganisation) -> None:
    client.full_clean(exclude=["firm", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        raise ValidationError(
            {"name": _("Your firm already has a client with this name.")}
        ) from None


@transaction.atomic
def client_create(
    *, firm: Firm, actor: User, name: str, industry: str, size_band: str, country: str
) -> ClientOrganisation:
    client = ClientOrganisation(
        firm=firm,
        name=name.strip(),
        industry=industry,
        size_band=size_band,
        country=country,
        created_by=actor,
    )
    _save_client(client)
    audit(firm=firm, actor=actor, action="client.created", target=client, name=client.name)
    return client


@transaction.atomic
def client_update(
    *,
    firm: Firm,
    actor: User,
    client: ClientOrganisation,
    name: str,
    industry: str,
    size_band: str,
    country: str,
) -> ClientOrganisation:
    before = {f: str(getattr(client, f)) for f in CLIENT_FIELDS}
    client.name, client.industry, client.size_band, client.country = (
        name.strip(),
        industry,
        size_band,
        country,
    )
    _save_client(client)
    after = {f: str(getattr(client, f)) for f in CLIENT_FIELDS}
    changes = {f: [before[f], after[f]] for f in CLIENT_FIELDS if before[f] != after[f]}
    audit(firm=firm, actor=actor, action="client.updated", target=client, changes=changes)
    return client


@transaction.atomic
def client_set_archived(
    *, firm: Firm, actor: User, client: ClientOrganisation, archived: bool
) -> None:
    client.archived_at = timezone.now() if archived else None
    client.save(update_fields=["archived_at"])
    action = "client.archived" if archived else "client.unarchived"
    audit(firm=firm, actor=actor, action=action, target=client)


@transaction.atomic
def executive_revoke(*, firm: Firm, actor: User, grant: ClientExecutive) -> None:
    audit(
        firm=firm,
        actor=actor,
        action="executive.revoked",
        target=grant,
        client_id=grant.client_id,
        email=grant.user.email,
    )
    grant.delete()
