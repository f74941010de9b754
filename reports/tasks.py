from celery import shared_task

from pmo_platform.tasks import FirmTask
from pmo_platform.tenancy import firm_context

from . import services


@shared_task(base=FirmTask, name="reports.build_report", atomic=False)
def build_report(*, firm, report_id: int) -> bool:
    """Build one report snapshot; a repeat of the task finds it claimed and does nothing.
    A build that raises is rolled back and then recorded as failed in its own transaction."""
    try:
        with firm_context(firm):
            return services.report_build(firm=firm, report_id=report_id)
    except Exception as exc:
        with firm_context(firm):
            services.report_failed(firm=firm, report_id=report_id, error=repr(exc))
        raise


@shared_task(
    base=FirmTask,
    name="reports.send_report_notice",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
)
def send_report_notice(*, firm, report_id: int, user_id: int) -> bool:
    """Tell one consultant or client executive that a report is ready (at most once)."""
    return services.report_notice_send(firm=firm, report_id=report_id, user_id=user_id)
