"""Writes of campaigns: create, edit, launch (or schedule), close, remind, and the timed
housekeeping the sweep asks for (open when due, close when expired, due reminders, follow-ups)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ClientOrganisation, Firm, User, WebhookEventType
from accounts.services import audit, emit_event

from .. import selectors, webhook_payloads
from ..error_codes import AssessmentsErrorCode as Code
from ..models import Campaign, CampaignStatus, EmailKind, InstrumentVersion
from ..signals import campaign_closed
from .campaign_rules import CAMPAIGN_FIELDS, validate_campaign
from .emails import enqueue_campaign_emails, enqueue_email_batch


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
    validate_campaign(campaign)
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


def _check_may_drop_anonymity(campaign: Campaign) -> None:
    """Respondents of a launched campaign were told their answers are anonymous; the API and
    exports rely on a non-anonymous campaign having been so from the start. Only a draft may
    drop anonymity (becoming anonymous is allowed at any time)."""
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(
            {
                "anonymous": ValidationError(
                    _(
                        "Respondents were told their answers are anonymous: a campaign that has "
                        "been launched stays anonymous."
                    ),
                    code=Code.ANONYMITY_FIXED,
                )
            }
        )


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
    """Change a campaign's settings. The row is locked and the rules are checked against it,
    not against the caller's copy (read before a launch, a close or another edit committed),
    and only the edited columns are written: nothing another transaction changed is undone."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
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
    if campaign.anonymous and fields.get("anonymous") is False:
        _check_may_drop_anonymity(campaign)
    for key in CAMPAIGN_FIELDS:
        if key in fields:
            setattr(campaign, key, fields[key])
    if open_link and not campaign.open_link_token:
        campaign.open_link_token = secrets.token_urlsafe(24)
    elif not open_link:
        campaign.open_link_token = ""
    validate_campaign(campaign)
    campaign.save(update_fields=[*CAMPAIGN_FIELDS, "version", "open_link_token"])
    audit(firm=firm, actor=actor, action="campaign.updated", target=campaign)
    return campaign


@transaction.atomic
def campaign_update_draft(
    *,
    firm: Firm,
    actor: User,
    campaign: Campaign,
    open_link: bool,
    version: InstrumentVersion | None = None,
    **fields,
) -> Campaign:
    """`campaign_update` for a campaign that has not been launched (the API's update): once it
    is scheduled or open, respondents may have the invitation, so it no longer changes."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != CampaignStatus.DRAFT:
        raise ValidationError(
            _("Only a draft campaign can be changed here."), code=Code.CAMPAIGN_NOT_DRAFT
        )
    return campaign_update(
        firm=firm, actor=actor, campaign=campaign, open_link=open_link, version=version, **fields
    )


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
    campaign.launch_lapsed_at = None
    if campaign.opens_at and campaign.opens_at > timezone.now():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status", "launch_lapsed_at"])
        audit(firm=firm, actor=actor, action="campaign.scheduled", target=campaign)
        return campaign
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = timezone.now()
    campaign.save(update_fields=["status", "opened_at", "launch_lapsed_at"])
    audit(firm=firm, actor=actor, action="campaign.opened", target=campaign)
    enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    _emit_campaign_event(
        firm=firm, campaign=campaign, event_type=WebhookEventType.CAMPAIGN_LAUNCHED
    )
    return campaign


@transaction.atomic
def campaign_launch_lapse(*, firm: Firm, campaign: Campaign) -> bool:
    """A scheduled campaign whose close date passed before it opened (the sweep was down, or
    it opened and closed within one sweep interval) can never open as it stands: move it back
    to draft, unlaunched (no invitations, no report), so the sweep stops trying, and mark it
    so the campaign page tells the consultant to move the dates and launch it again. False
    when it is no longer such a campaign (a repeat, or the consultant acted first)."""
    updated = Campaign.objects.filter(
        pk=campaign.pk, status=CampaignStatus.SCHEDULED, closes_at__lte=timezone.now()
    ).update(status=CampaignStatus.DRAFT, launch_lapsed_at=timezone.now())
    if not updated:
        return False
    campaign.refresh_from_db()
    audit(
        firm=firm,
        actor=None,
        action="campaign.launch_lapsed",
        target=campaign,
        closes_at=campaign.closes_at.isoformat(),
    )
    return True


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
def campaign_mark_reported(*, firm: Firm, campaign_id: int, report_id: int) -> bool:
    """The last step of the lifecycle: a closed campaign whose report is ready is "reported"
    (called by the report build). Audited once; False when it was not closed (still open, or
    reported already)."""
    updated = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.CLOSED).update(
        status=CampaignStatus.REPORTED
    )
    if updated:
        audit(
            firm=firm,
            actor=None,
            action="campaign.reported",
            target=Campaign(pk=campaign_id),
            report_id=report_id,
        )
    return bool(updated)


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
    if step == CampaignStatus.DRAFT:
        campaign_launch_lapse(firm=firm, campaign=campaign)
        return
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
