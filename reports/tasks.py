"""Report tasks: thin. `FirmTask` loads the firm and hands it to the body; the body calls one
service."""

from celery import shared_task

from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import TRANSIENT_ERRORS, FirmTask, enqueue_each
from pmo_platform.tenancy import all_firms

from . import selectors, services


@shared_task(
    base=FirmTask,
    name="reports.build_report",
    atomic=False,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=6,
)
def build_report(*, firm, report_id: int) -> bool:
    """Build one report snapshot; a repeat of the task finds it claimed and does nothing. Not
    atomic here: the service builds in one transaction and records a failure in another. A
    transient database or broker error leaves the report queued and is retried."""
    return services.report_build_or_fail(firm=firm, report_id=report_id)


@shared_task(base=FirmTask, name="reports.recover_build")
def recover_build(*, firm, report_id: int) -> bool:
    """Publish an overdue queued report's build again (or give up on a stale one)."""
    return services.report_build_recover(firm=firm, report_id=report_id)


@shared_task(name="reports.sweep_builds", ignore_result=True)
def sweep_builds() -> int:
    """Beat, every minute: find queued reports whose build task was lost (a worker killed
    mid-build, a countdown task lost in a Redis outage) across firms (ids only) and hand each to
    a firm-scoped `recover_build`."""
    with all_firms():  # the operator role's connection: reads ids across firms
        pairs = selectors.overdue_builds()
    return enqueue_each(recover_build, [{"firm_id": f, "report_id": r} for f, r in pairs])


@shared_task(
    base=FirmTask,
    name="reports.send_report_notice",
    atomic=False,  # the claim commits before the email is sent
    **RETRY_OPTIONS,
)
def send_report_notice(
    *, firm, notice_id: int | None = None, report_id: int | None = None, user_id: int | None = None
) -> bool:
    """Tell one consultant or client executive that a report is ready (at most once): the
    notice row `notice_id` (`report_id` and `user_id`: a task published before notices had
    rows)."""
    return services.report_notice_send(
        firm=firm, notice_id=notice_id, report_id=report_id, user_id=user_id
    )


@shared_task(base=FirmTask, name="reports.resume_notices", **RETRY_OPTIONS)
def resume_notices(*, firm) -> dict:
    """One firm's share of the notice sweep (services.notices_resume)."""
    return services.notices_resume(firm=firm)


@shared_task(name="reports.notice_sweep", ignore_result=True, **RETRY_OPTIONS)
def notice_sweep() -> int:
    """Beat, every 20 seconds: firms with report notices whose send task was lost (a worker
    killed, Redis would give the task back only after an hour) or whose worker died mid-send
    (ids only), each handed to a firm-scoped `resume_notices`."""
    with all_firms():  # the operator role's connection: reads ids across firms
        firm_ids = selectors.firms_with_notice_work()
    return enqueue_each(resume_notices, [{"firm_id": firm_id} for firm_id in firm_ids])
