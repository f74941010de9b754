"""Assessment emails, the periodic sweep and retention erasure. Tasks parse ids and call
services: FirmTask loads the firm from `firm_id` and hands it to the body as `firm` (see
pmo_platform/tasks.py)."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from pmo_platform.tasks import FirmTask, enqueue
from pmo_platform.tenancy import all_firms, firm_context

from . import selectors, services

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
    """Fan out one campaign's invitations or reminders in batches."""
    campaign = selectors.campaign_get(firm=firm, pk=campaign_id)
    if campaign is None:
        return 0
    return services.campaign_emails_fan_out(firm=firm, campaign=campaign, kind=kind)


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
                services.respondent_email_retry(
                    firm=firm, respondent_id=respondent_id, kind=kind, sequence=sequence
                )
    return sent


@shared_task(base=FirmTask, name="assessments.campaign_housekeeping")
def campaign_housekeeping(*, firm, campaign_id: int) -> None:
    """Open a scheduled campaign, close an expired one, send due reminders and follow-ups."""
    campaign = selectors.campaign_get(firm=firm, pk=campaign_id)
    if campaign is None:
        return
    services.campaign_housekeeping(firm=firm, campaign=campaign)


@shared_task(name="assessments.sweep", ignore_result=True)
def sweep() -> int:
    """Beat, every few minutes: find campaigns with timed work across firms (platform-level, ids
    only) and hand each to a firm-scoped housekeeping task."""
    with all_firms():  # the operator role's connection: reads ids across firms
        pairs = selectors.campaigns_with_timed_work()
    return _hand_to_firms(campaign_housekeeping, pairs)


def _hand_to_firms(task, pairs: list[tuple[int, int]]) -> int:
    """Enqueue `task` once per (firm id, campaign id), after leaving `all_firms()`: the outbox
    rows are written as the application role, in its own transaction."""
    with transaction.atomic():
        for firm_id, campaign_id in pairs:
            enqueue(task, firm_id=firm_id, campaign_id=campaign_id)
    return len(pairs)


@shared_task(base=FirmTask, name="assessments.erase_campaign_identities")
def erase_campaign_identities(*, firm, campaign_id: int) -> dict | None:
    """Erase the respondent identities of one closed campaign past the firm's retention period
    (exactly once: the service claims the campaign)."""
    return services.campaign_identities_erase(firm=firm, campaign_id=campaign_id)


@shared_task(name="assessments.retention_sweep", ignore_result=True)
def retention_sweep() -> int:
    """Beat, daily: find closed campaigns past their firm's retention period across firms
    (platform-level, ids only) and hand each to a firm-scoped erasure task."""
    with all_firms():
        pairs = selectors.campaigns_due_for_erasure(now=timezone.now())
    return _hand_to_firms(erase_campaign_identities, pairs)
