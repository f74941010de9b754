from celery import shared_task

from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import FirmTask

from . import services


@shared_task(
    base=FirmTask,
    name="accounts.send_invitation_email",
    atomic=False,  # the claim commits before the email is sent
    **RETRY_OPTIONS,
)
def send_invitation_email(*, firm, invitation_id: int) -> bool:
    """Email one colleague or client-executive invitation; a repeat of the task sends nothing."""
    return services.invitation_email_send(firm=firm, invitation_id=invitation_id)
