"""Sending webhook deliveries: claim, sign, POST, record; the retry schedule; disabling an
endpoint that is gone or keeps failing, and telling the firm's admins.

One delivery is one task (`accounts.deliver_webhook`), so a slow endpoint holds one worker for
at most the timeout and never delays other endpoints. The claim is committed before the HTTP
request and the outcome recorded after (docs/api.md, "Webhooks"):

- transaction 1 claims the row (`claim_token`, `claimed_at`, `attempt_count + 1`) only while it
  is pending or failed, no worker holds it, and its attempt number is the one the task was
  published for; a duplicate or late task claims nothing;
- the request goes out outside any transaction, signed per Standard Webhooks;
- transaction 2 writes the attempt's log row and, if the claim is still ours, the outcome: a 2xx
  is delivered (never sent again by the schedule), a 410 disables the endpoint, anything else
  schedules the next try (`WEBHOOK_RETRY_SCHEDULE`) or gives up after the last one.

A worker that dies between the two leaves the claim; the sweep (every 15 s) releases claims
older than `WEBHOOK_CLAIM_STALE_AFTER` and publishes the delivery again. So delivery is at least
once: a receiver that answered 2xx just before the worker died gets the same `webhook-id` again
and must deduplicate on it."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from pmo_platform import delivery as mail_delivery
from pmo_platform import outbound
from pmo_platform.claims import claim_once
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from .. import selectors_webhooks as selectors
from ..emails import absolute_url, build_branded_email
from ..models import (
    Firm,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookDisabledNotice,
    WebhookDisabledReason,
    WebhookEndpoint,
    WebhookEvent,
)
from ..selectors import branding_for_firm
from .audit import audit

logger = logging.getLogger(__name__)

# Retries due within this many seconds are published with a countdown; later ones by the sweep.
COUNTDOWN_MAX = 300


def event_body(event: WebhookEvent) -> str:
    """The request body: the same characters on every attempt and replay (keys sorted)."""
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": event.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def signed_headers(
    *, endpoint: WebhookEndpoint, event: WebhookEvent, body: str, at: datetime
) -> dict[str, str]:
    """`webhook-id` (the event's id), `webhook-timestamp` (this attempt, Unix seconds) and
    `webhook-signature` (`v1,<base64 HMAC-SHA256>`; two during a secret's rotation grace)."""
    when = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    secrets = [endpoint.secret]
    if endpoint.previous_secret and (endpoint.previous_secret_expires_at or at) > at:
        secrets.append(endpoint.previous_secret)
    signatures = [Webhook(s).sign(msg_id=event.msg_id, timestamp=when, data=body) for s in secrets]
    return {
        "webhook-id": event.msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def retry_delay(failures: int) -> timedelta | None:
    """The wait after the `failures`-th failed attempt in a row; None: give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if failures > len(schedule):
        return None
    return timedelta(seconds=schedule[failures - 1])


def _claim(*, delivery_id: int, attempt: int) -> tuple[str, WebhookDelivery] | None:
    token = uuid.uuid4().hex
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED),
        claimed_at__isnull=True,
        attempt_count=attempt,
    ).update(claim_token=token, claimed_at=timezone.now(), attempt_count=F("attempt_count") + 1)
    if not claimed:
        return None
    return token, WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def webhook_deliver(*, firm: Firm, delivery_id: int, attempt: int) -> str:
    """One attempt of one delivery (the worker, outside any transaction). Returns what happened:
    "skipped" (claimed or finished elsewhere), "disabled", or the attempt's outcome."""
    with firm_context(firm):
        claimed = _claim(delivery_id=delivery_id, attempt=attempt)
        if claimed is None:
            return "skipped"
        token, delivery = claimed
        endpoint, event = delivery.endpoint, delivery.event
        if not endpoint.enabled:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDeliveryStatus.GAVE_UP,
                next_attempt_at=None,
                claim_token="",
                claimed_at=None,
                last_error_code="endpoint_disabled",
            )
            return "disabled"
    started = timezone.now()
    body = event_body(event)
    response = outbound.post(
        endpoint.url,
        body.encode("utf-8"),
        signed_headers(endpoint=endpoint, event=event, body=body, at=started),
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
        max_length=settings.WEBHOOK_URL_MAX_LENGTH,
    )
    if response.error:
        logger.info("webhook delivery %s: %s", delivery.pk, response.error)
    with firm_context(firm):
        return _record(
            firm=firm, delivery=delivery, token=token, started=started, response=response
        )


def _record(*, firm, delivery, token, started, response: outbound.Response) -> str:
    # Locks in the order every writer uses: the endpoint, then its delivery.
    endpoint_exists = (
        WebhookEndpoint.objects.select_for_update(no_key=True)
        .filter(pk=delivery.endpoint_id)
        .values_list("id", flat=True)
        .first()
    )
    holder = endpoint_exists and (
        WebhookDelivery.objects.select_for_update()
        .filter(pk=delivery.pk)
        .values_list("claim_token", flat=True)
        .first()
    )
    if holder is None:
        return "deleted"  # the endpoint was deleted meanwhile, with its deliveries
    WebhookAttempt.objects.create(
        firm=firm,
        delivery=delivery,
        number=delivery.attempt_count,
        attempted_at=started,
        duration_ms=response.duration_ms,
        status_code=response.status,
        response_excerpt=response.excerpt,
        error_code=response.error_code,
    )
    if holder != token:
        return "released"  # the sweep took the claim back (this worker was far too slow)
    now = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token)
    common = {
        "claim_token": "",
        "claimed_at": None,
        "last_attempt_at": started,
        "last_status_code": response.status,
        "last_error_code": response.error_code,
    }
    status = response.status
    if status is not None and 200 <= status < 300:
        mine.update(
            status=WebhookDeliveryStatus.SUCCEEDED,
            succeeded_at=now,
            next_attempt_at=None,
            failures=0,
            **common,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(
            failing_since=None
        )
        return "succeeded"
    if status == 410:
        mine.update(status=WebhookDeliveryStatus.GAVE_UP, next_attempt_at=None, **common)
        endpoint_disable(firm=firm, endpoint_id=delivery.endpoint_id, reason="gone")
        return "gone"
    failures = delivery.failures + 1
    delay = retry_delay(failures)
    if delay is None:
        mine.update(
            status=WebhookDeliveryStatus.GAVE_UP, failures=failures, next_attempt_at=None, **common
        )
    else:
        seconds = int(delay.total_seconds())
        countdown = seconds <= COUNTDOWN_MAX
        grace = settings.WEBHOOK_CLAIM_STALE_AFTER if countdown else timedelta(0)
        mine.update(
            status=WebhookDeliveryStatus.FAILED,
            failures=failures,
            next_attempt_at=now + delay + grace,
            **common,
        )
        if countdown:
            from ..tasks import deliver_webhook

            enqueue(
                deliver_webhook,
                _countdown=seconds,
                firm_id=firm.pk,
                delivery_id=delivery.pk,
                attempt=delivery.attempt_count,
            )
    _note_failure(firm=firm, endpoint_id=delivery.endpoint_id, now=now)
    return "failed" if delay is not None else "gave_up"


def _note_failure(*, firm: Firm, endpoint_id: int, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    since = (
        WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True)
        .values_list("failing_since", flat=True)
        .first()
    )
    if since is not None and since <= now - settings.WEBHOOK_DISABLE_AFTER:
        endpoint_disable(firm=firm, endpoint_id=endpoint_id, reason="failing")


def endpoint_disable(*, firm: Firm, endpoint_id: int, reason: str) -> bool:
    """Disable an enabled endpoint for `reason` ("gone": it answered 410; "failing": nothing got
    through for WEBHOOK_DISABLE_AFTER), audited, and email each owner and admin once. Inside
    the caller's transaction."""
    now = timezone.now()
    updated = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_reason=reason, disabled_at=now
    )
    if not updated:
        return False
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    audit(firm=firm, actor=None, action="webhook.disabled", target=endpoint, reason=reason)
    from ..tasks import send_webhook_disabled_notice

    for user_id in selectors.webhook_notice_recipients(firm=firm):
        enqueue(
            send_webhook_disabled_notice,
            firm_id=firm.pk,
            endpoint_id=endpoint_id,
            user_id=user_id,
        )
    return True


@transaction.atomic
def webhook_publish_due(*, firm: Firm) -> int:
    """The sweep's work in one firm: publish deliveries that are due (later retries), and
    release and publish those whose claim is older than WEBHOOK_CLAIM_STALE_AFTER (the worker
    died mid-attempt). Each is given a new grace period first, so a task waiting in a busy
    queue is not published again on every sweep. Returns how many were published."""
    from ..tasks import deliver_webhook

    now = timezone.now()
    stale = now - settings.WEBHOOK_CLAIM_STALE_AFTER
    rows = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(firm=firm, status__in=selectors.RETRYABLE)
        .filter(Q(claimed_at__isnull=True, next_attempt_at__lte=now) | Q(claimed_at__lt=stale))
        .order_by("next_attempt_at")
        .values_list("id", "attempt_count")[:500]
    )
    if not rows:
        return 0
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _n in rows]).update(
        claim_token="", claimed_at=None, next_attempt_at=now + settings.WEBHOOK_CLAIM_STALE_AFTER
    )
    for pk, attempt in rows:
        enqueue(deliver_webhook, firm_id=firm.pk, delivery_id=pk, attempt=attempt)
    return len(rows)


def webhook_disabled_notice_send(*, firm: Firm, endpoint_id: int, user_id: int) -> bool:
    """Email one owner or admin that an endpoint was disabled, at most once per disabling
    (a claim row committed before the mail server is spoken to, as for report notices)."""
    mailer = mail_delivery.Mailer()
    with firm_context(firm):
        claimed = _notice_claim(firm=firm, endpoint_id=endpoint_id, user_id=user_id)
        unreachable = mailer.connect() if claimed is not None else None
        if unreachable is not None:
            transaction.set_rollback(True)
    if unreachable is not None:
        raise mail_delivery.Deferred(unreachable.error)
    if claimed is None:
        return False
    notice_id, message = claimed
    with mailer:
        result = mailer.send(message)
    if result.outcome == mail_delivery.DEFERRED:
        with firm_context(firm):
            WebhookDisabledNotice.objects.filter(pk=notice_id).delete()
        raise mail_delivery.Deferred(result.error)
    return result.outcome != mail_delivery.REJECTED


def _notice_claim(*, firm: Firm, endpoint_id: int, user_id: int):
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=False).first()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if (
        endpoint is None
        or user is None
        or user_id not in selectors.webhook_notice_recipients(firm=firm)
    ):
        return None
    notice = claim_once(
        WebhookDisabledNotice,
        firm=firm,
        endpoint=endpoint,
        user=user,
        disabled_at=endpoint.disabled_at,
    )
    if notice is None:
        return None
    language = user.language or "en"
    with translation.override(language):
        subject = _("A webhook endpoint of %(firm)s was disabled") % {"firm": firm.name}
        reason = WebhookDisabledReason(endpoint.disabled_reason).label
        reason = str(reason)
    path = reverse(
        "accounts:webhook_detail", kwargs={"firm_slug": firm.slug, "endpoint_id": endpoint.pk}
    )
    message = build_branded_email(
        firm=firm,
        branding=branding_for_firm(firm=firm),
        to=user.email,
        language=language,
        subject=subject,
        template="accounts/email/webhook_disabled",
        context={
            "user": user,
            "endpoint": endpoint,
            "reason": reason,
            "link": absolute_url(path),
        },
    )
    message.extra_headers["Message-ID"] = mail_delivery.message_id(
        firm.pk, "webhook-disabled", endpoint.pk, endpoint.disabled_at.isoformat(), user.pk
    )
    message.message()  # a bad header fails here, and the claim rolls back
    return notice.pk, message


@transaction.atomic
def webhook_log_prune(*, firm: Firm, before: datetime, batch: int = 1000) -> int:
    """Delete events older than `before` (with their deliveries and attempt log) once nothing
    about them is still to be sent; at most `batch` per call. Returns how many."""
    ids = list(
        WebhookEvent.objects.filter(firm=firm, created_at__lt=before)
        .exclude(deliveries__status__in=selectors.RETRYABLE)
        .order_by("created_at")
        .values_list("id", flat=True)[:batch]
    )
    WebhookEvent.objects.filter(pk__in=ids).delete()
    return len(ids)
