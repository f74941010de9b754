"""The rules of a campaign's settings, owned here for every caller (the forms check shapes only,
and import the ranges they show): texts and placeholders, dates and their order, reminders."""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pmo_platform.dates import date_range_error, validate_date_range
from pmo_platform.text import check_single_line, text_error

from ..error_codes import AssessmentsErrorCode as Code
from ..models import Campaign, CampaignStatus

# Days between reminders, and how many reminders at most (the database refuses more than 5).
REMINDER_INTERVAL_DAYS = (1, 30)
MAX_REMINDERS = (0, 5)

PLACEHOLDERS = {"name", "client", "firm", "deadline"}

CAMPAIGN_FIELDS = (
    "name",
    "closes_at",
    "opens_at",
    "default_language",
    "invitation_subject_en",
    "invitation_body_en",
    "invitation_subject_sv",
    "invitation_body_sv",
    "reminder_interval_days",
    "max_reminders",
    "anonymous",
)


def validate_placeholders(text: str, field: str) -> None:
    try:
        fields = [
            (name, spec, conversion)
            for _lit, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise ValidationError(
            {
                field: ValidationError(
                    _(
                        "Unbalanced braces. Use {name}, {client}, {firm} or {deadline}, "
                        "or write {{ and }} for braces."
                    ),
                    code=Code.UNBALANCED_BRACES,
                )
            }
        ) from None
    names = {name for name, _spec, _conversion in fields}
    if any(spec or conversion for _name, spec, conversion in fields):
        raise ValidationError(
            {
                field: ValidationError(
                    _("Write placeholders plainly, such as {name}, without : or ! after the name."),
                    code=Code.PLACEHOLDER_FORMAT,
                )
            }
        )
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Unknown placeholder %(names)s. Use {name}, {client}, {firm} or {deadline}."),
                    code=Code.UNKNOWN_PLACEHOLDER,
                    params={"names": ", ".join(f"{{{n}}}" for n in sorted(unknown))},
                )
            }
        )


def _validate_text(campaign: Campaign) -> None:
    for field in ("name", "invitation_subject_en", "invitation_subject_sv"):
        setattr(campaign, field, check_single_line(field, getattr(campaign, field)))
    for field in ("invitation_body_en", "invitation_body_sv"):
        error = text_error(getattr(campaign, field).replace("\r", ""), multiline=True)
        if error is not None:
            raise ValidationError({field: error})


def _validate_dates(campaign: Campaign) -> None:
    for field in ("opens_at", "closes_at"):
        try:
            validate_date_range(getattr(campaign, field))
        except (ValidationError, TypeError):
            raise ValidationError({field: date_range_error()}) from None


def validate_campaign(campaign: Campaign) -> None:
    """Every rule of a campaign's settings, for every caller (forms check shapes only)."""
    _validate_text(campaign)
    _validate_dates(campaign)
    for field in (
        "invitation_subject_en",
        "invitation_body_en",
        "invitation_subject_sv",
        "invitation_body_sv",
    ):
        validate_placeholders(getattr(campaign, field), field)
    if campaign.closes_at <= timezone.now() and campaign.status in (
        CampaignStatus.DRAFT,
        CampaignStatus.SCHEDULED,
        CampaignStatus.OPEN,
    ):
        raise ValidationError(
            {
                "closes_at": ValidationError(
                    _("The close date must be in the future."),
                    code=Code.CLOSE_DATE_NOT_IN_FUTURE,
                )
            }
        )
    if campaign.opens_at and campaign.opens_at >= campaign.closes_at:
        raise ValidationError(
            {
                "opens_at": ValidationError(
                    _("The campaign must open before it closes."), code=Code.OPENS_AFTER_CLOSES
                )
            }
        )
    _validate_reminders(campaign)
    campaign.full_clean(exclude=["firm", "client", "version", "created_by"])


def _validate_reminders(campaign: Campaign) -> None:
    for field, (low, high), code in (
        ("reminder_interval_days", REMINDER_INTERVAL_DAYS, Code.REMINDER_INTERVAL_OUT_OF_RANGE),
        ("max_reminders", MAX_REMINDERS, Code.MAX_REMINDERS_OUT_OF_RANGE),
    ):
        value = getattr(campaign, field)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValidationError(
                {
                    field: ValidationError(
                        _("Choose a number from %(low)s to %(high)s."),
                        code=code,
                        params={"low": low, "high": high},
                    )
                }
            )
