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


@shared_task(bind=True, name="accounts.send_account_email", **RETRY_OPTIONS)
def send_account_email(self, email_id: int | None = None, **message) -> str | None:
    """One of allauth's emails, stored by the web process (services.account_email_enqueue):
    sent at most once. Nothing accepted (server unreachable, a 4xx): tried again when the row
    is due; a database or broker error: retried with backoff. (`message`: a task published
    before account emails had rows.)"""
    try:
        return services.account_email_send(email_id=email_id, **message)
    except services.AccountEmailDeferred as exc:
        raise self.retry(exc=exc, countdown=exc.countdown, max_retries=None) from exc


@shared_task(name="accounts.account_email_sweep", ignore_result=True, **RETRY_OPTIONS)
def account_email_sweep() -> dict:
    """Beat, every 20 seconds: account emails whose task was lost (Redis would give it back
    only after an hour) are published again; those whose worker died mid-send are closed."""
    return services.account_emails_resume()


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
