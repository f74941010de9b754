"""Report snapshots: requested by services and signals, built by a Celery worker.

`report_request` creates (or reuses) the queued report and publishes `reports.build_report`
through the outbox; the task calls `report_build_or_fail`, which claims the queued row, computes
the snapshot and stores it, or records the failure in a transaction of its own."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Firm, User, WebhookEventType
from accounts.services import audit, emit_event
from assessments import services as campaign_services
from assessments.models import Campaign
from pmo_platform.locks import lock_for_update
from pmo_platform.tasks import TRANSIENT_ERRORS, enqueue
from pmo_platform.tenancy import firm_context

from .. import selectors
from ..models import PENDING_STATUSES, Report, ReportStatus, ReportTrigger
from ..snapshot import snapshot_data
from ..webhook_payloads import report_ready
from .benchmarks import benchmarks, contribute, trend
from .notices import notices_queue

# While a campaign is open, answers arriving within this window share one rebuild.
DEBOUNCE = timedelta(minutes=2)
# A report still queued or building after this long is marked failed and requested anew.
STALE_AFTER = timedelta(minutes=30)
# The transaction-level advisory lock `report_request` takes per campaign (pmo_platform.db).
REPORT_QUEUE_LOCK = "reports.report_queue"
# A queued report whose build has not started this long after it was due (its countdown passed)
# lost its task: the build sweep (every minute) or "Rebuild now" publishes it again.
BUILD_GRACE = timedelta(seconds=60)


def _enqueue_build(*, firm: Firm, report_id: int, countdown: int = 0) -> None:
    from ..tasks import build_report

    enqueue(build_report, firm_id=firm.pk, report_id=report_id, _countdown=countdown)


def _lock_overdue(report_id: int):
    """The requested_at of this report when it is queued, overdue and no build holds it; else
    None. A running build holds the report's row lock (its claim is part of the build's
    transaction, so a killed worker's claim is rolled back and the lock released), hence SKIP
    LOCKED: a report being built is left alone."""
    return (
        Report.objects.select_for_update(skip_locked=True)
        .filter(pk=report_id, status=ReportStatus.QUEUED, due_at__lte=timezone.now())
        .values_list("requested_at", flat=True)
        .first()
    )


def _republish(*, firm: Firm, report_id: int) -> None:
    """Publish the build again; the next chance to do so is `BUILD_GRACE` later."""
    Report.objects.filter(pk=report_id).update(due_at=timezone.now() + BUILD_GRACE)
    _enqueue_build(firm=firm, report_id=report_id)


@transaction.atomic
def report_request(
    *, firm: Firm, campaign: Campaign, trigger: str, actor: User | None = None
) -> Report:
    """Ask for a fresh snapshot. A report already waiting is reused (debounce). Requests for
    one campaign take turns (a transaction-level lock on the campaign's report queue, held to
    the caller's commit), so each sees what the one before it committed: two at once never
    both create a report, nor read a report number or a pending report that is gone by the
    time they use it. Not the campaign's row lock: a build holds its report and then takes
    the campaign's row (to mark it reported), and would deadlock with a request here."""
    lock_for_update(REPORT_QUEUE_LOCK, campaign.pk)
    pending = selectors.pending(firm=firm, campaign=campaign)
    if pending is not None and pending.requested_at < timezone.now() - STALE_AFTER:
        # A build that never finished (its worker died, or it failed): give up on it.
        Report.objects.filter(pk=pending.pk).update(
            status=ReportStatus.FAILED, error="never finished", finished_at=timezone.now()
        )
        pending = None
    if pending is not None and pending.status == ReportStatus.QUEUED:
        if pending.trigger == ReportTrigger.ANSWERS and trigger != ReportTrigger.ANSWERS:
            # Closing or asking outranks the debounce: build now, and send the notices.
            Report.objects.filter(pk=pending.pk).update(
                trigger=trigger, due_at=timezone.now() + BUILD_GRACE
            )
            _enqueue_build(firm=firm, report_id=pending.pk)
            pending.trigger = trigger
        elif trigger != ReportTrigger.ANSWERS and _lock_overdue(pending.pk) is not None:
            # "Rebuild now" on a report whose build is overdue: its task was lost, publish again.
            _republish(firm=firm, report_id=pending.pk)
        return pending
    number = selectors.next_report_number(firm=firm, campaign=campaign)
    countdown = int(DEBOUNCE.total_seconds()) if trigger == ReportTrigger.ANSWERS else 0
    due_at = timezone.now() + timedelta(seconds=countdown) + BUILD_GRACE
    report = Report.objects.create(
        firm=firm, campaign=campaign, number=number, trigger=trigger, due_at=due_at
    )
    audit(firm=firm, actor=actor, action="report.requested", target=report, trigger=trigger)
    _enqueue_build(firm=firm, report_id=report.pk, countdown=countdown)
    return report


@transaction.atomic
def report_build_recover(*, firm: Firm, report_id: int) -> bool:
    """The build sweep's work on one overdue queued report: publish its build again, or, when it
    has been waiting longer than `STALE_AFTER`, record it as failed (the page says so and the
    next request starts afresh) rather than retry a build that keeps dying."""
    requested_at = _lock_overdue(report_id)
    if requested_at is None:
        return False  # built, being built, or not due yet
    if requested_at < timezone.now() - STALE_AFTER:
        report_failed(firm=firm, report_id=report_id, error="never finished")
        return False
    _republish(firm=firm, report_id=report_id)
    return True


def report_failed(*, firm: Firm, report_id: int, error: str) -> None:
    """Record a build that raised, so the page says so and the next request starts afresh."""
    Report.objects.filter(pk=report_id, status__in=PENDING_STATUSES).update(
        status=ReportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def report_build(*, firm: Firm, report_id: int) -> bool:
    """Build one queued report, inside the caller's transaction in the firm's scope (no
    savepoint of its own: the build's query count is fixed and measured). A repeat finds the
    report claimed and does nothing."""
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.BUILDING, started_at=timezone.now()
    )
    if not claimed:
        return False
    report = selectors.report_for_build(firm=firm, report_id=report_id)
    settings_ = selectors.report_settings(firm=firm)
    data = snapshot(campaign=report.campaign, min_group=settings_.min_group_size)
    if settings_.contribute_to_benchmarks:
        contribute(firm=firm, campaign=report.campaign, data=data)
    if not data["suppressed"]:
        data["trend"] = trend(campaign=report.campaign)
        data["benchmarks"] = benchmarks(
            firm=firm,
            campaign=report.campaign,
            data=data,
            contributes=settings_.contribute_to_benchmarks,
        )
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.READY,
        finished_at=timezone.now(),
        data=data,
        response_count=data["response"]["completed"],
    )
    # A closed campaign with its report is "reported" (the last step of the lifecycle).
    campaign_services.campaign_mark_reported(
        firm=firm, campaign_id=report.campaign_id, report_id=report.pk
    )
    _emit_ready(firm=firm, report_id=report.pk, data=data)
    if report.trigger != ReportTrigger.ANSWERS:  # rebuilds while answers arrive stay quiet
        # The notices' rows commit with the ready report, so a lost send task is resumed by
        # the notice sweep, not by Redis an hour later.
        notices_queue(firm=firm, report=report)
    return True


def _emit_ready(*, firm: Firm, report_id: int, data: dict) -> None:
    """`report.ready`, in the build's transaction (one query when no endpoint wants it)."""
    emit_event(
        firm=firm,
        event_type=WebhookEventType.REPORT_READY,
        payload=lambda: report_ready(
            report=Report.objects.select_related("campaign").get(pk=report_id), data=data
        ),
    )


def report_build_or_fail(*, firm: Firm, report_id: int) -> bool:
    """Build the report in a transaction of its own; a build that raises is rolled back, then
    recorded as failed in a second transaction, and the exception goes on to the caller (the
    task). Call it outside any transaction: it opens the firm's scope itself."""
    try:
        with firm_context(firm):
            return report_build(firm=firm, report_id=report_id)
    except TRANSIENT_ERRORS:
        raise  # the database or the broker hiccuped: the report stays queued, the task retries
    except Exception as exc:
        with firm_context(firm):
            report_failed(firm=firm, report_id=report_id, error=repr(exc))
        raise


def snapshot(*, campaign: Campaign, min_group: int) -> dict:
    """The report's content: numbers and keys only (labels come from the frozen version)."""
    dimension_keys, order, raw = selectors.snapshot_inputs(campaign=campaign)
    return snapshot_data(
        raw=raw,
        dimension_keys=dimension_keys,
        order=order,
        bands=campaign.version.bands,
        min_group=min_group,
        generated_at=timezone.now(),
    )
