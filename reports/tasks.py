"""Report tasks: thin. `FirmTask` loads the firm and hands it to the body; the body calls one
service."""

from celery import shared_task

from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import FirmTask

from . import services


@shared_task(base=FirmTask, name="reports.build_report", atomic=False)
def build_report(*, firm, report_id: int) -> bool:
    """Build one report snapshot; a repeat of the task finds it claimed and does nothing. Not
    atomic here: the service builds in one transaction and records a failure in another."""
    return services.report_build_or_fail(firm=firm, report_id=report_id)


@shared_task(
    base=FirmTask,
    name="reports.send_report_notice",
    atomic=False,  # the claim commits before the email is sent
    **RETRY_OPTIONS,
)
def send_report_notice(*, firm, report_id: int, user_id: int) -> bool:
    """Tell one consultant or client executive that a report is ready (at most once)."""
    return services.report_notice_send(firm=firm, report_id=report_id, user_id=user_id)
