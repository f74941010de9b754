from celery import shared_task
from django.conf import settings

from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import FirmTask, enqueue_each
from pmo_platform.tenancy import all_firms

from . import selectors, services


@shared_task(
    base=FirmTask,
    name="accounts.send_invitation_email",
    atomic=False,  # the claim commits before the email is sent
    **RETRY_OPTIONS,
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


@shared_task(name="accounts.invitation_sweep", ignore_result=True, **RETRY_OPTIONS)
def invitation_sweep() -> int:
    """Beat, every 30 seconds: invitations whose email was asked for and has not gone out (the
    task was lost with its worker; Redis would give it back only after an hour) are published
    again. Sending claims the row, so a task that was only slow sends nothing twice."""
    with all_firms():  # the operator role's connection: reads ids across firms
        pairs = selectors.invitations_unsent(older_than=settings.EMAIL_STALE_AFTER)
    return enqueue_each(
        send_invitation_email, [{"firm_id": f, "invitation_id": i} for f, i in pairs]
    )
