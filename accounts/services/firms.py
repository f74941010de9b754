"""Firms and people: signing up a firm, its branding, a person's language."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pmo_platform.errors import field_error
from pmo_platform.tenancy import firm_context
from pmo_platform.text import check_single_line
from pmo_platform.two_factor import has_totp

from ..error_codes import AccountsErrorCode
from ..models import EMAIL_RATE_RANGE, Branding, Firm, Language, Membership, Role, User
from ..signals import firm_created
from .audit import audit


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    """Remember the person's interface language (used for pages and their emails)."""
    if language not in Language.values:
        raise field_error(
            "language", _("Choose English or Swedish."), AccountsErrorCode.INVALID_LANGUAGE
        )
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


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
    firm_name = check_single_line("firm_name", firm_name, max_length=120)
    if not firm_name:
        raise field_error(
            "firm_name", _("Enter the name of your firm."), AccountsErrorCode.FIRM_NAME_REQUIRED
        )
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
    branding.sender_name = sender_name = check_single_line("sender_name", sender_name)
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


@transaction.atomic
def firm_set_two_factor_required(*, firm: Firm, actor: User, required: bool) -> Firm:
    """Require (or stop requiring) an authenticator app of every member. Whoever switches it on
    must have one already, so no one locks themselves out of the settings they just changed."""
    if required and not has_totp(actor):
        raise field_error(
            "require_two_factor",
            _("Set up two-factor authentication for your own account first."),
            AccountsErrorCode.TWO_FACTOR_NOT_ENROLLED,
        )
    if firm.require_two_factor != required:
        Firm.objects.filter(pk=firm.pk).update(require_two_factor=required)
        firm.require_two_factor = required
        audit(firm=firm, actor=actor, action="firm.two_factor_required", required=required)
    return firm


@transaction.atomic
def firm_set_email_rate(*, firm: Firm, actor: User, per_minute: int | None) -> Firm:
    """The firm's campaign-email send rate (emails per minute across all workers; None: the
    platform's default, PMO_EMAIL_RATE_PER_MINUTE). Audited."""
    low, high = EMAIL_RATE_RANGE
    if per_minute is not None and not low <= per_minute <= high:
        raise field_error(
            "email_rate_per_minute",
            _("Choose between %(low)s and %(high)s emails a minute, or leave it empty.")
            % {"low": low, "high": high},
            AccountsErrorCode.EMAIL_RATE_OUT_OF_RANGE,
        )
    if firm.email_rate_per_minute != per_minute:
        Firm.objects.filter(pk=firm.pk).update(email_rate_per_minute=per_minute)
        firm.email_rate_per_minute = per_minute
        audit(firm=firm, actor=actor, action="firm.email_rate_set", per_minute=per_minute)
    return firm
