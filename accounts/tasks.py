from celery import shared_task

from pmo_platform.tasks import FirmTask

from . import services


@shared_task(
    base=FirmTask,
    name="accounts.send_invitation_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
)
def send_invitation_email(*, firm, invitation_id: int) -> bool:
    """Email one colleague or client-executive invitation; a repeat of the task sends nothing."""
    return services.invitation_email_send(firm=firm, invitation_id=invitation_id)


@shared_task(
    name="accounts.send_account_email",
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=12,
)
def send_account_email(**message) -> None:
    """One of allauth's emails, rendered by the web process (services.account_email_enqueue).
    Delivery is at least once: a redelivered task can repeat a verification or reset email,
    which is harmless (the links stay valid for their normal lifetime)."""
    services.account_email_send(**message)
