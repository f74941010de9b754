"""Assessment emails, the periodic sweep and retention erasure. Tasks parse ids and call
services: FirmTask loads the firm from `firm_id` and hands it to the body as `firm` (see
pmo_platform/tasks.py)."""

import logging

from celery import shared_task
from django.utils import timezone

from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import FirmTask, enqueue_each
from pmo_platform.tenancy import all_firms, firm_context

from . import selectors, services

logger = logging.getLogger(__name__)


@shared_task(
    base=FirmTask,
    name="assessments.send_respondent_email",
    atomic=False,  # the claim commits before the email is sent, the outcome after
    **RETRY_OPTIONS,
)
def send_respondent_email(*, firm, respondent_id: int, kind: str, sequence: int) -> bool:
    return services.respondent_email_send(
        firm=firm, respondent_id=respondent_id, kind=kind, sequence=sequence
    )


# Tasks that retry on database errors open their transaction in the body (`atomic=False`):
# FirmTask's own transaction commits after the body returns, where `autoretry_for` cannot see
# an error raised by the COMMIT (a deferred foreign-key check waiting on a lock, say).


@shared_task(base=FirmTask, name="assessments.send_campaign_emails", atomic=False, **RETRY_OPTIONS)
def send_campaign_emails(*, firm, campaign_id: int, kind: str) -> int:
    """Fan out one campaign's invitations or reminders: queue every row, publish batches."""
    with firm_context(firm):
        campaign = selectors.campaign_get(firm=firm, pk=campaign_id)
        if campaign is None:
            return 0
        return services.campaign_emails_fan_out(firm=firm, campaign=campaign, kind=kind)


@shared_task(
    base=FirmTask,
    name="assessments.send_email_batch",
    atomic=False,
    **RETRY_OPTIONS,
)
def send_email_batch(
    *, firm, email_ids: list[int] | None = None, kind: str = "", items: list | None = None
) -> int:
    """Send a batch of queued emails, claimed and recorded a slice at a time (email_batch), at
    the firm's send rate (the rest is published again later). A database or broker error
    retries the batch; what was claimed already is not sent again.
    (`kind` and `items`: tasks published before the claim rows existed.)"""
    if items:
        with firm_context(firm):
            email_ids = services.emails_queue(firm=firm, kind=kind, items=items)
    return services.respondent_emails_send_batch(
        firm=firm, email_ids=email_ids or [], rate_limited=True
    )


@shared_task(base=FirmTask, name="assessments.campaign_housekeeping", atomic=False, **RETRY_OPTIONS)
def campaign_housekeeping(*, firm, campaign_id: int) -> None:
    """Open a scheduled campaign, close an expired one, send due reminders and follow-ups."""
    with firm_context(firm):
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
    return _per_campaign(campaign_housekeeping, pairs)


@shared_task(name="assessments.lifecycle_sweep", ignore_result=True, **RETRY_OPTIONS)
def lifecycle_sweep() -> int:
    """Beat, every minute: scheduled campaigns whose opening time has come and open ones past
    their close date (normally none; ids only) are handed to `campaign_housekeeping`, so a
    launch or a close lost with its worker, or simply due, happens within about a minute.
    Reminders and follow-ups (day-granular) stay with the five-minute `sweep`."""
    with all_firms():  # the operator role's connection: reads ids across firms
        pairs = selectors.campaigns_with_lifecycle_due(now=timezone.now())
    return _per_campaign(campaign_housekeeping, pairs)


def _per_campaign(task, pairs: list[tuple[int, int]]) -> int:
    return enqueue_each(task, [{"firm_id": f, "campaign_id": c} for f, c in pairs])


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
    return _per_campaign(erase_campaign_identities, pairs)


@shared_task(base=FirmTask, name="assessments.resume_emails", atomic=False, **RETRY_OPTIONS)
def resume_emails(*, firm) -> dict:
    """One firm's stranded emails: republish, close, queue what is missing."""
    with firm_context(firm):
        return services.emails_resume(firm=firm)


@shared_task(name="assessments.email_sweep", ignore_result=True, **RETRY_OPTIONS)
def email_sweep() -> int:
    """Beat, every 20 seconds: firms with emails a dead worker left behind, or invitations that
    should have gone out (ids only), each handed to a firm-scoped `resume_emails`."""
    with all_firms():  # the operator role's connection: reads ids across firms
        firm_ids = selectors.firms_with_email_work()
    return enqueue_each(resume_emails, [{"firm_id": firm_id} for firm_id in firm_ids])


@shared_task(
    base=FirmTask,
    name="assessments.import_respondents",
    atomic=False,  # progress commits as it goes; the rows are written in one transaction
    **RETRY_OPTIONS,
)
def import_respondents(*, firm, import_id: int) -> str:
    """Check and write one campaign's CSV import (a redelivered task does nothing)."""
    return services.respondent_import_process(firm=firm, import_id=import_id)


@shared_task(name="assessments.import_sweep", ignore_result=True, **RETRY_OPTIONS)
def import_sweep() -> int:
    """Beat, every 30 seconds: imports whose task was lost or whose worker died (no progress for
    a minute; ids only), each handed to `import_respondents` again."""
    with all_firms():  # the operator role's connection: reads ids across firms
        pairs = selectors.respondent_imports_stalled(now=timezone.now())
    return enqueue_each(import_respondents, [{"firm_id": f, "import_id": i} for f, i in pairs])
