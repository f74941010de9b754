"""Assessment emails and the periodic sweep. Tasks parse ids and call services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from pmo_platform.tasks import FirmTask, enqueue
from pmo_platform.tenancy import all_firms, firm_context

from . import selectors, services
from .models import Campaign, CampaignStatus, EmailKind

BATCH_SIZE = 200
logger = logging.getLogger(__name__)


@shared_task(
    base=FirmTask,
    name="assessments.send_respondent_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
)
def send_respondent_email(*, firm, respondent_id: int, kind: str, sequence: int) -> bool:
    return services.respondent_email_send(
        firm=firm, respondent_id=respondent_id, kind=kind, sequence=sequence
    )


@shared_task(base=FirmTask, name="assessments.send_campaign_emails")
def send_campaign_emails(*, firm, campaign_id: int, kind: str) -> int:
    """Fan out one campaign's invitations or reminders in batches of BATCH_SIZE."""
    campaign = selectors.campaign_get(firm=firm, pk=campaign_id)
    if campaign is None or not campaign.is_open:
        return 0
    if kind == EmailKind.INVITATION:
        ids = list(selectors.uninvited_ids(campaign=campaign))
        sequences = [0] * len(ids)
    else:
        due = list(
            services.reminder_candidates(campaign=campaign, due_only=False).values_list(
                "id", "reminders_sent"
            )
        )
        ids = [pk for pk, _sent in due]
        sequences = [sent + 1 for _pk, sent in due]
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue(
            send_email_batch,
            firm_id=firm.pk,
            kind=kind,
            items=[
                [pk, seq]
                for pk, seq in zip(
                    ids[start : start + BATCH_SIZE],
                    sequences[start : start + BATCH_SIZE],
                    strict=True,
                )
            ],
        )
    return len(ids)


@shared_task(
    base=FirmTask,
    name="assessments.send_email_batch",
    atomic=False,
)
def send_email_batch(*, firm, kind: str, items: list[list[int]]) -> int:
    """Send a batch, each email in its own transaction, so a failure part-way loses no claim.
    An email that fails (a refused address, the server gone) is retried on its own later, so
    it does not hold up the rest of the batch."""
    sent = 0
    for respondent_id, sequence in items:
        try:
            with firm_context(firm):
                sent += services.respondent_email_send(
                    firm=firm, respondent_id=respondent_id, kind=kind, sequence=sequence
                )
        except OSError as exc:
            logger.warning(
                "%s email to respondent %s failed, retried alone: %s", kind, respondent_id, exc
            )
            with firm_context(firm):
                enqueue(
                    send_respondent_email,
                    _countdown=60,
                    firm_id=firm.pk,
                    respondent_id=respondent_id,
                    kind=kind,
                    sequence=sequence,
                )
    return sent


@shared_task(base=FirmTask, name="assessments.campaign_housekeeping")
def campaign_housekeeping(*, firm, campaign_id: int) -> None:
    """Open a scheduled campaign, close an expired one, send due reminders and follow-ups."""
    campaign = selectors.campaign_get(firm=firm, pk=campaign_id)
    if campaign is None:
        return
    now = timezone.now()
    if (
        campaign.status == CampaignStatus.SCHEDULED
        and campaign.opens_at
        and campaign.opens_at <= now
    ):
        services.campaign_launch(firm=firm, actor=None, campaign=campaign)
        return
    if campaign.status == CampaignStatus.OPEN and campaign.closes_at <= now:
        services.campaign_close(firm=firm, actor=None, campaign=campaign)
        return
    if campaign.status == CampaignStatus.OPEN:
        due = list(
            services.reminder_candidates(campaign=campaign).values_list("id", "reminders_sent")
        )
        if due:
            enqueue(
                send_email_batch,
                firm_id=firm.pk,
                kind=EmailKind.REMINDER,
                items=[[pk, sent + 1] for pk, sent in due],
            )
    followups = services.followups_due(campaign=campaign)
    if followups:
        enqueue(
            send_email_batch,
            firm_id=firm.pk,
            kind=EmailKind.FOLLOWUP,
            items=[list(pair) for pair in followups],
        )


@shared_task(name="assessments.sweep", ignore_result=True)
def sweep() -> int:
    """Beat, every few minutes: find campaigns with timed work across firms (platform-level, ids
    only) and hand each to a firm-scoped housekeeping task."""
    recent = timezone.now() - timedelta(days=max(services.FOLLOWUP_DAYS) + 1)
    with all_firms():
        pairs = list(
            Campaign.objects.filter(
                Q(status__in=[CampaignStatus.OPEN, CampaignStatus.SCHEDULED])
                | Q(respondents__completed_at__gte=recent, respondents__followup_opt_in=True)
            )
            .values_list("firm_id", "id")
            .distinct()
        )
        for firm_id, campaign_id in pairs:
            enqueue(campaign_housekeeping, firm_id=firm_id, campaign_id=campaign_id)
    return len(pairs)
