"""Writes of campaigns: create, edit, launch (or schedule), close, remind, and the timed
housekeeping the sweep asks for (open when due, close when expired, due reminders, follow-ups)."""

from __future__ import annotations

import secrets
import string

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ClientOrganisation, Firm, User, WebhookEventType
from accounts.services import audit, emit_event
from pmo_platform.dates import date_range_error, validate_date_range
from pmo_platform.text import check_single_line, control_characters_error, validate_multi_line

from .. import selectors, webhook_payloads
from ..error_codes import AssessmentsErrorCode as Code
from ..models import Campaign, CampaignStatus, EmailKind, InstrumentVersion
from ..signals import campaign_closed
from .emails import enqueue_campaign_emails, enqueue_email_batch

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
        try:
            validate_multi_line(getattr(campaign, field).replace("\r", ""))
        except ValidationError:
            raise ValidationError({field: control_characters_error()}) from None


def _validate_dates(campaign: Campaign) -> None:
    for field in ("opens_at", "closes_at"):
        try:
            validate_date_range(getattr(campaign, field))
        except (ValidationError, TypeError):
            raise ValidationError({field: date_range_error()}) from None


def _validate_campaign(campaign: Campaign) -> None:
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
    campaign.full_clean(exclude=["firm", "client", "version", "created_by"])


@transaction.atomic
def campaign_create(
    *,
    firm: Firm,
    actor: User,
    client: ClientOrganisation,
    version: InstrumentVersion,
    open_link: bool = False,
    **fields,
) -> Campaign:
    if client.is_archived:
        raise ValidationError(
            {"client": ValidationError(_("This client is archived."), code=Code.CLIENT_ARCHIVED)}
        )
    campaign = Campaign(
        firm=firm,
        client=client,
        version=version,
        created_by=actor,
        **{k: fields[k] for k in CAMPAIGN_FIELDS if k in fields},
    )
    if open_link:
        campaign.open_link_token = secrets.token_urlsafe(24)
    _validate_campaign(campaign)
    campaign.save()
    audit(
        firm=firm,
        actor=actor,
        action="campaign.created",
        target=campaign,
        client_id=client.pk,
        version=version.pk,
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    firm: Firm,
    actor: User,
    campaign: Campaign,
    open_link: bool,
    version: InstrumentVersion | None = None,
    **fields,
) -> Campaign:
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.REPORTED):
        raise ValidationError(_("A closed campaign cannot be changed."), code=Code.CAMPAIGN_CLOSED)
    if version is not None and version.pk != campaign.version_id:
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError(
                {
                    "version": ValidationError(
                        _("The instrument can be changed only in a draft."),
                        code=Code.VERSION_FIXED,
                    )
                }
            )
        campaign.version = version
    for key in CAMPAIGN_FIELDS:
        if key in fields:
            setattr(campaign, key, fields[key])
    if open_link and not campaign.open_link_token:
        campaign.open_link_token = secrets.token_urlsafe(24)
    elif not open_link:
        campaign.open_link_token = ""
    _validate_campaign(campaign)
    campaign.save()
    audit(firm=firm, actor=actor, action="campaign.updated", target=campaign)
    return campaign


@transaction.atomic
def campaign_launch(*, firm: Firm, actor: User | None, campaign: Campaign) -> Campaign:
    """Open the campaign now (or schedule it when `opens_at` is in the future) and send the
    invitations to everyone not yet invited."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise ValidationError(
            _("Only a draft or scheduled campaign can be opened."),
            code=Code.CAMPAIGN_NOT_LAUNCHABLE,
        )
    if campaign.closes_at <= timezone.now():
        raise ValidationError(
            _("The close date has passed. Move it before opening the campaign."),
            code=Code.CLOSE_DATE_PASSED,
        )
    if campaign.opens_at and campaign.opens_at > timezone.now():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status"])
        audit(firm=firm, actor=actor, action="campaign.scheduled", target=campaign)
        return campaign
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = timezone.now()
    campaign.save(update_fields=["status", "opened_at"])
    audit(firm=firm, actor=actor, action="campaign.opened", target=campaign)
    enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    _emit_campaign_event(
        firm=firm, campaign=campaign, event_type=WebhookEventType.CAMPAIGN_LAUNCHED
    )
    return campaign


@transaction.atomic
def campaign_close(*, firm: Firm, actor: User | None, campaign: Campaign) -> Campaign:
    updated = Campaign.objects.filter(
        pk=campaign.pk,
        status__in=[CampaignStatus.OPEN, CampaignStatus.SCHEDULED, CampaignStatus.DRAFT],
    ).update(status=CampaignStatus.CLOSED, closed_at=timezone.now())
    if not updated:
        raise ValidationError(
            _("This campaign is already closed."), code=Code.CAMPAIGN_ALREADY_CLOSED
        )
    campaign.refresh_from_db()
    audit(firm=firm, actor=actor, action="campaign.closed", target=campaign)
    _emit_campaign_event(firm=firm, campaign=campaign, event_type=WebhookEventType.CAMPAIGN_CLOSED)
    campaign_closed.send(sender=Campaign, firm=firm, campaign=campaign)
    return campaign


def _emit_campaign_event(*, firm: Firm, campaign: Campaign, event_type: str) -> None:
    emit_event(
        firm=firm,
        event_type=event_type,
        payload=lambda: webhook_payloads.campaign_changed(
            campaign=campaign, counts=selectors.campaign_response_counts(campaign=campaign)
        ),
    )


@transaction.atomic
def reminders_send_now(*, firm: Firm, actor: User, campaign: Campaign) -> int:
    """Remind everyone invited who has not finished, now (counts towards the maximum)."""
    if not campaign.is_open:
        raise ValidationError(
            _("Reminders go out only while the campaign is open."), code=Code.CAMPAIGN_NOT_OPEN
        )
    pending = selectors.reminder_candidates(campaign=campaign, due_only=False).count()
    if not pending:
        raise ValidationError(_("Nobody is waiting for a reminder."), code=Code.NOBODY_TO_REMIND)
    audit(firm=firm, actor=actor, action="campaign.reminded", target=campaign, respondents=pending)
    enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.REMINDER)
    return pending


@transaction.atomic
def campaign_housekeeping(*, firm: Firm, campaign: Campaign) -> None:
    """The sweep's timed work for one campaign: open it when its time has come, close it past
    its close date; otherwise send the reminders and follow-ups that are due."""
    step = selectors.lifecycle_step_due(campaign=campaign, now=timezone.now())
    if step == CampaignStatus.OPEN:
        campaign_launch(firm=firm, actor=None, campaign=campaign)
        return
    if step == CampaignStatus.CLOSED:
        campaign_close(firm=firm, actor=None, campaign=campaign)
        return
    if campaign.is_open:
        enqueue_email_batch(
            firm=firm,
            kind=EmailKind.REMINDER,
            items=selectors.reminder_recipients(campaign=campaign),
        )
    enqueue_email_batch(
        firm=firm, kind=EmailKind.FOLLOWUP, items=selectors.followups_due(campaign=campaign)
    )


def default_invitation_texts() -> dict:
    texts = {}
    for language in ("en", "sv"):
        with translation.override(language):
            texts[f"invitation_subject_{language}"] = _("Four minutes on how {client} runs its PMO")
            texts[f"invitation_body_{language}"] = _(
                "Hello {name},\n\n{firm} is helping {client} understand how its PMO works today: "
                "as a control function, or as an engine for development. Your view matters. "
                "The assessment takes about four minutes and your answers are anonymous to "
                "{client}.\n\nPlease answer by {deadline}."
            )
    return texts
