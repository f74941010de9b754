from celery import shared_task

from pmo_platform.tasks import FirmTask
from pmo_platform.tenancy import current_firm

from . import services


@shared_task(base=FirmTask, name="reports.build_report")
def build_report(*, firm_id: int, report_id: int) -> bool:
    """Build one report snapshot; a repeat of the task finds it claimed and does nothing."""
    return services.report_build(firm=current_firm(), report_id=report_id)


@shared_task(
    base=FirmTask,
    name="reports.send_report_notice",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
)
def send_report_notice(*, firm_id: int, report_id: int, user_id: int) -> bool:
    """Tell one consultant or client executive that a report is ready (at most once)."""
    return services.report_notice_send(firm=current_firm(), report_id=report_id, user_id=user_id)
