"""allauth's own emails (address verification, password reset, "account already exists"): the
web process renders them and the worker sends them, through the task outbox, so an SMTP outage
never breaks sign-up or a reset request.

The same delivery rule as every other email (docs/operations.md, "Delivery guarantees: email"),
on a global row (`AccountEmail`: the person may have no firm):

1. `account_email_enqueue` writes the rendered message as a `queued` row in the asking
   transaction and publishes `accounts.send_account_email` with the row's id only (no content
   in the broker, the outbox or the task logs).
2. Transaction 1 locks the row, still `queued`, moves it to `sending` and commits before the
   mail server is spoken to. The message carries the row's stable Message-ID.
3. Transaction 2 records the outcome: `sent`, `unknown` (may have arrived: counts as sent),
   `rejected`; or, when nothing was accepted, back to `queued` with a later `due_at` and the
   task retries then (`failed` after MAX_ATTEMPTS). Once final, the body is blanked.

`account_emails_resume` (beat, every 20 seconds) republishes queued rows whose task was lost
and closes `sending` rows whose worker died as `unknown`."""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from pmo_platform import delivery
from pmo_platform.tasks import enqueue

from ..models import AccountEmail

logger = logging.getLogger(__name__)

QUEUED, SENDING, SENT, UNKNOWN = "queued", "sending", "sent", "unknown"
REJECTED, FAILED = "rejected", "failed"
# Deferred attempts (server unreachable, 4xx) before an account email is given up (about an
# hour and a half of retries, backing off to ten minutes apart).
MAX_ATTEMPTS = 12
BACKOFF_MAX = 600


class AccountEmailDeferred(delivery.Deferred):
    """Nothing was accepted; the row is queued again, due in `countdown` seconds."""

    def __init__(self, error: str, countdown: int):
        super().__init__(error)
        self.countdown = countdown


@transaction.atomic
def account_email_enqueue(*, message: EmailMessage) -> AccountEmail:
    """Store a rendered message as a queued row and publish its id (after commit)."""
    from ..tasks import send_account_email

    row = _store(message)
    enqueue(send_account_email, email_id=row.pk)
    return row


def _store(message: EmailMessage) -> AccountEmail:
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((body for body, kind in message.alternatives if kind == "text/html"), "")
    row = AccountEmail.objects.create(
        subject=str(message.subject),
        body=str(message.body),
        html=str(html),
        content_subtype=message.content_subtype,
        from_email=str(message.from_email),
        to=[str(address) for address in message.to],
        headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    )
    row.message_id = delivery.message_id("account-email", row.pk, row.created_at.isoformat())
    row.save(update_fields=["message_id"])
    return row


def account_email_send(*, email_id: int | None = None, **legacy) -> str | None:
    """Send one account email at most once (the worker, outside any transaction); the outcome,
    or None when there was nothing to do. Raises `AccountEmailDeferred` when nothing was
    accepted and it should be tried again. `legacy`: the rendered message itself, from a task
    published before account emails had rows (stored now, then sent the same way)."""
    if email_id is None:
        with transaction.atomic():
            email_id = _store(_build_from(**legacy)).pk
    with delivery.Mailer() as mailer:
        outcome, row = _deliver(email_id=email_id, mailer=mailer)
    if outcome == delivery.DEFERRED and row is not None and row.status == QUEUED:
        # A second late rather than early: a retry before `due_at` would find nothing due.
        countdown = max(1, math.ceil((row.due_at - timezone.now()).total_seconds()) + 1)
        raise AccountEmailDeferred(row.last_error, countdown)
    return outcome


def _build_from(*, subject, body, html, content_subtype, from_email, to, headers):
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers)
    message.content_subtype = content_subtype
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _deliver(*, email_id: int, mailer: delivery.Mailer):
    with transaction.atomic():
        row = (
            AccountEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=QUEUED, due_at__lte=timezone.now())
            .first()
        )
        if row is None:
            return None, None
        message = _build_from(
            subject=row.subject,
            body=row.body,
            html=row.html,
            content_subtype=row.content_subtype,
            from_email=row.from_email,
            to=row.to,
            headers={**row.headers, "Message-ID": row.message_id},
        )
        try:
            message.message()  # a bad header fails here, before anything is claimed
        except Exception as exc:  # BadHeaderError: never sendable; its type only, no content
            _final(row, FAILED, type(exc).__name__)
            logger.warning("account email %s cannot be built: %s", row.pk, type(exc).__name__)
            return None, row
        unreachable = mailer.connect()
        row.attempts += 1
        if unreachable is not None:  # nothing claimed, nothing sent
            _defer(row, unreachable.error)
            return delivery.DEFERRED, row
        row.status = SENDING
        row.claimed_at = timezone.now()
        row.save(update_fields=["status", "claimed_at", "attempts"])
    # Committed: from here on a retry, a redelivery or the sweep will not send this email.
    result = mailer.send(message)
    for attempt in range(3):  # a database that blinks must not turn a known outcome unknown
        try:
            with transaction.atomic():
                _record(row=row, result=result)
            break
        except delivery.TRANSIENT_ERRORS:
            if attempt == 2:
                raise  # the row stays `sending`: never resent; the sweep closes it
            time.sleep(1 + attempt)
    return result.outcome, row


def _record(*, row: AccountEmail, result: delivery.Result) -> None:
    locked = AccountEmail.objects.select_for_update().filter(pk=row.pk, status=SENDING).first()
    if locked is None:
        return
    if result.outcome == delivery.DEFERRED:
        locked.attempts = row.attempts
        _defer(locked, result.error)
        row.status, row.due_at, row.last_error = locked.status, locked.due_at, locked.last_error
        return
    status = {delivery.SENT: SENT, delivery.UNKNOWN: UNKNOWN}.get(result.outcome, REJECTED)
    _final(locked, status, result.error)
    row.status = status
    if status == REJECTED:
        logger.warning("account email %s rejected: %s", row.pk, result.error)


def _final(row: AccountEmail, status: str, error: str = "") -> None:
    """A final state: the body (the verification or reset link) is not kept."""
    row.status = status
    row.last_error = error[:2000]
    row.body = row.html = ""
    row.headers = {}
    fields = ["status", "last_error", "body", "html", "headers"]
    if status in (SENT, UNKNOWN):
        row.sent_at = timezone.now()
        fields.append("sent_at")
    row.save(update_fields=fields)


def _defer(row: AccountEmail, error: str) -> None:
    """Back to `queued`, due after a backoff of 5 s doubling per attempt (at most ten
    minutes); `failed` (and blanked) after MAX_ATTEMPTS."""
    if row.attempts >= MAX_ATTEMPTS:
        _final(row, FAILED, error)
        row.save(update_fields=["attempts"])
        return
    row.status = QUEUED
    row.due_at = timezone.now() + timedelta(seconds=min(BACKOFF_MAX, 5 * 2**row.attempts))
    row.last_error = error[:2000]
    row.save(update_fields=["status", "due_at", "attempts", "last_error"])
    logger.warning("account email %s deferred: %s", row.pk, error)


@transaction.atomic
def account_emails_resume() -> dict:
    """The account email sweep: republish queued rows nobody has picked up EMAIL_STALE_AFTER
    after they were due (a lost task), and close `sending` rows older than
    EMAIL_SENDING_GIVE_UP as `unknown` (treated as sent, never resent). Global rows: no firm
    scope to enter."""
    from ..tasks import send_account_email

    now = timezone.now()
    stale = list(
        AccountEmail.objects.select_for_update(skip_locked=True)
        .filter(status=QUEUED, due_at__lte=now - settings.EMAIL_STALE_AFTER)
        .order_by("id")
        .values_list("pk", flat=True)[:5000]
    )
    # Due again from now: the next sweep leaves them to this publish for another interval.
    AccountEmail.objects.filter(pk__in=stale).update(due_at=now)
    abandoned = list(
        AccountEmail.objects.select_for_update(skip_locked=True)
        .filter(status=SENDING, claimed_at__lte=now - settings.EMAIL_SENDING_GIVE_UP)
        .values_list("pk", flat=True)
    )
    closed = AccountEmail.objects.filter(pk__in=abandoned).update(
        status=UNKNOWN,
        sent_at=now,
        body="",
        html="",
        headers={},
        last_error="the worker stopped while sending: treated as sent",
    )
    for email_id in stale:
        enqueue(send_account_email, email_id=email_id)
    if stale or closed:
        logger.warning(
            "account email sweep: %s republished, %s closed as unknown", len(stale), closed
        )
    return {"republished": len(stale), "abandoned": closed}
