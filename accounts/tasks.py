from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from pmo_platform import tasks as platform_tasks
from pmo_platform.delivery import RETRY_OPTIONS
from pmo_platform.tasks import FirmTask, enqueue_each
from pmo_platform.tenancy import all_firms

from . import selectors, selectors_webhooks, services


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


@shared_task(
    base=FirmTask,
    name="accounts.deliver_webhook",
    atomic=False,  # the claim commits before the request, the outcome after
    ignore_result=True,
    autoretry_for=platform_tasks.TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=5,
    # The request itself is bounded by WEBHOOK_TIMEOUT_SECONDS; this only stops a stuck task.
    soft_time_limit=60,
    time_limit=90,
)
def deliver_webhook(*, firm, delivery_id: int, attempt: int) -> str:
    """One attempt of one webhook delivery; a duplicate or late task claims nothing."""
    return services.webhook_deliver(firm=firm, delivery_id=delivery_id, attempt=attempt)


@shared_task(base=FirmTask, name="accounts.publish_due_webhooks", ignore_result=True)
def publish_due_webhooks(*, firm) -> int:
    """Publish one firm's due and stranded webhook deliveries (the sweep's work)."""
    return services.webhook_publish_due(firm=firm)


@shared_task(name="accounts.webhook_sweep", ignore_result=True, **RETRY_OPTIONS)
def webhook_sweep() -> int:
    """Beat, every 15 seconds: firms with webhook deliveries that are due (retries) or whose
    claim outlived its worker get their deliveries published again."""
    with all_firms():  # the operator role's connection: reads ids across firms
        firm_ids = selectors_webhooks.firms_with_due_webhooks(
            now=timezone.now(), stale_after=settings.WEBHOOK_CLAIM_STALE_AFTER
        )
    return enqueue_each(publish_due_webhooks, [{"firm_id": firm_id} for firm_id in firm_ids])


@shared_task(
    base=FirmTask,
    name="accounts.send_webhook_disabled_notice",
    atomic=False,  # the claim commits before the email is sent
    **RETRY_OPTIONS,
)
def send_webhook_disabled_notice(*, firm, endpoint_id: int, user_id: int) -> bool:
    """Tell one owner or admin that an endpoint was disabled; a repeat sends nothing."""
    return services.webhook_disabled_notice_send(
        firm=firm, endpoint_id=endpoint_id, user_id=user_id
    )


@shared_task(base=FirmTask, name="accounts.prune_webhook_log", ignore_result=True)
def prune_webhook_log(*, firm, before: str) -> int:
    """Delete one firm's webhook events (and their log) older than `before` (ISO time)."""
    return services.webhook_log_prune(firm=firm, before=datetime.fromisoformat(before))


@shared_task(name="accounts.webhook_log_retention", ignore_result=True, **RETRY_OPTIONS)
def webhook_log_retention() -> int:
    """Beat, daily: webhook events and their delivery log are kept WEBHOOK_LOG_RETENTION."""
    before = timezone.now() - settings.WEBHOOK_LOG_RETENTION
    with all_firms():
        firm_ids = selectors_webhooks.firms_with_old_webhook_events(before=before)
    return enqueue_each(
        prune_webhook_log, [{"firm_id": f, "before": before.isoformat()} for f in firm_ids]
    )
