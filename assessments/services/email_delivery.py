"""Respondent emails on their way out: the claim rows (`EmailLog`), sending each email at most
once, and the sweep that resumes what a dead worker left.

The life of one email (docs/operations.md, "Delivery guarantees: email"):

1. Asked for: an `EmailLog` row is written `queued` in the asking transaction (a fan-out writes
   the rows of the whole campaign in one), and the ids are published as tasks.
2. Transaction 1: the worker locks the row, still `queued`, checks the respondent may have it,
   builds it and moves the row to `sending`, and commits, before speaking to the mail server.
3. The message goes out (`pmo_platform.delivery.Mailer`), with the row's stable Message-ID.
4. Transaction 2 records the outcome: `sent`; `unknown` (the connection failed after DATA: it
   may have arrived, so it counts as sent); `rejected` (a 5xx); or, when nothing was accepted,
   back to `queued` with a later `due_at` (`failed` after MAX_ATTEMPTS).

A fan-out batch does steps 2-4 a slice of rows at a time (`email_batch`, at the firm's send
rate). A row found in any state but `queued` is never sent again, so a retry, a redelivered
task or a second worker cannot resend. `emails_resume` (beat, every 20 seconds) republishes
`queued` rows left behind by a dead worker, closes `sending` rows whose worker is gone, and
queues invitations that should exist and do not."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from accounts.models import Firm
from pmo_platform import delivery
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from .. import selectors
from ..models import EmailKind, EmailLog, EmailStatus, Respondent

logger = logging.getLogger(__name__)

# Emails per batch task (claimed CLAIM_SIZE at a time: email_batch).
BATCH_SIZE = 500
# Deferred attempts (server unreachable, 4xx) before an email is given up as failed.
MAX_ATTEMPTS = 8


def _stale_after() -> timedelta:
    return settings.EMAIL_STALE_AFTER


def email_message_id(*, firm_id: int, respondent_id: int, kind: str, sequence: int) -> str:
    return delivery.message_id(firm_id, "respondent", respondent_id, kind, sequence)


# --- Asking for emails (inside the caller's transaction) ----------------------------------------


def emails_queue(*, firm: Firm, kind: str, items) -> list[int]:
    """Write `queued` rows for (respondent id, sequence) pairs of this firm; the ids of the rows
    written now (pairs that already have a row, in any state, are left alone)."""
    items = [(int(r), int(s)) for r, s in items]
    if not items:
        return []
    known = set(
        # An erased respondent (no address any more) is never queued an email.
        Respondent.objects.filter(pk__in={r for r, _s in items}, erased_at__isnull=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    existing = set(
        EmailLog.objects.filter(kind=kind, respondent_id__in=known).values_list(
            "respondent_id", "sequence"
        )
    )
    now = timezone.now()
    rows = [
        EmailLog(
            firm=firm,
            respondent_id=r,
            kind=kind,
            sequence=s,
            message_id=email_message_id(firm_id=firm.pk, respondent_id=r, kind=kind, sequence=s),
            created_at=now,
            due_at=now,
        )
        for r, s in dict.fromkeys(items)
        if r in known and (r, s) not in existing
    ]
    try:
        with transaction.atomic():
            created = EmailLog.objects.bulk_create(rows)
    except IntegrityError:  # a concurrent request queued some of them: keep the others
        EmailLog.objects.bulk_create(rows, ignore_conflicts=True)
        created = EmailLog.objects.filter(
            kind=kind, status=EmailStatus.QUEUED, created_at=now, respondent_id__in=known
        )
    return [row.pk for row in created]


def enqueue_email_ids(*, firm: Firm, email_ids: list[int]) -> None:
    """Publish rows as batch tasks of BATCH_SIZE (after the transaction commits)."""
    from ..tasks import send_email_batch

    for start in range(0, len(email_ids), BATCH_SIZE):
        enqueue(send_email_batch, firm_id=firm.pk, email_ids=email_ids[start : start + BATCH_SIZE])


# --- Sending ------------------------------------------------------------------------------------


def respondent_email_send(*, firm: Firm, respondent_id: int, kind: str, sequence: int) -> bool:
    """Send one respondent email at most once (the worker, outside any transaction). The row is
    normally queued by whoever asked; a task published before rows existed queues it here."""
    with firm_context(firm):
        row = EmailLog.objects.filter(
            respondent_id=respondent_id, kind=kind, sequence=sequence
        ).first()
        if row is None:
            ids = emails_queue(firm=firm, kind=kind, items=[(respondent_id, sequence)])
            if not ids:
                return False
            row_id = ids[0]
        else:
            row_id = row.pk
    with delivery.Mailer() as mailer:
        return respondent_email_deliver(firm=firm, email_id=row_id, mailer=mailer) in (
            delivery.SENT,
            delivery.UNKNOWN,
        )


def respondent_email_deliver(*, firm: Firm, email_id: int, mailer: delivery.Mailer) -> str | None:
    """Claim (commit), send, record one row. The outcome, or None when there was nothing to do
    (not queued any more, not due yet, not eligible, nothing to say)."""

    with firm_context(firm):
        row = (
            EmailLog.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(pk=email_id, status=EmailStatus.QUEUED, due_at__lte=timezone.now())
            .first()
        )
        if row is None:
            return None
        respondent = (
            Respondent.objects.select_for_update(of=("self",))
            .select_related("campaign", "campaign__client")
            .get(pk=row.respondent_id)
        )
        message = prepared_message(firm=firm, respondent=respondent, row=row)
        if message is None:
            return None
        unreachable = mailer.connect()
        if unreachable is not None:  # nothing claimed, nothing sent: try again later
            row.attempts += 1
            _defer(row, unreachable.error)
            return delivery.DEFERRED
        row.status = EmailStatus.SENDING
        row.claimed_at = timezone.now()
        row.attempts += 1
        row.save(update_fields=["status", "claimed_at", "attempts"])
    # Committed: from here on a retry or another worker will not send this email.
    result = mailer.send(message)
    _record(firm=firm, row=row, result=result)
    return result.outcome


def prepared_message(
    *, firm: Firm, respondent: Respondent, row: EmailLog, branding=None, renders=None
):
    """The email of claim row `row`, built once (`delivery.prepare`: its headers checked, and
    what goes to the mail server), or None with the row finished: not eligible, cannot be built
    (this email only), or nothing to say. Transient broker and database errors propagate (the
    task retries)."""
    from .emails import EMAIL_KINDS, build_respondent_email

    spec = EMAIL_KINDS.get(row.kind)
    if not respondent.email or spec is None or not spec.eligible(respondent, row.sequence):
        _finish(row, EmailStatus.CANCELLED, "not eligible when its turn came")
        return None
    try:
        message = build_respondent_email(
            firm=firm, respondent=respondent, row=row, branding=branding, renders=renders
        )
        if message is not None:
            message = delivery.prepare(message)  # a bad header fails here, before any claim
    except (*delivery.TRANSIENT_ERRORS, DatabaseError):
        raise
    except Exception as exc:  # BadHeaderError, a broken template: this email only
        logger.exception("%s email %s cannot be built", row.kind, row.pk)
        _finish(row, EmailStatus.FAILED, f"{type(exc).__name__}: {exc}")
        return None
    if message is None:
        # Nothing to say (a follow-up with no weak dimension left to write about).
        _finish(row, EmailStatus.CANCELLED, "nothing to send")
    return message


def _finish(row: EmailLog, status: str, error: str = "") -> None:
    row.status = status
    row.last_error = error[:2000]
    row.save(update_fields=["status", "last_error"])


def _record(*, firm: Firm, row: EmailLog, result: delivery.Result) -> None:
    """Transaction 2, tried a few times: a database that blinks now must not turn a known
    outcome into an unknown one."""
    for attempt in range(3):
        try:
            with firm_context(firm):
                _record_once(row=row, result=result)
            return
        except delivery.TRANSIENT_ERRORS:
            if attempt == 2:
                raise  # the row stays `sending`: never resent; the sweep closes it
            time.sleep(1 + attempt)


def _record_once(*, row: EmailLog, result: delivery.Result) -> None:
    from .emails import EMAIL_KINDS

    spec = EMAIL_KINDS[row.kind]
    now = timezone.now()
    pending = EmailLog.objects.filter(pk=row.pk, status=EmailStatus.SENDING)
    if result.outcome in (delivery.SENT, delivery.UNKNOWN):
        status = EmailStatus.SENT if result.outcome == delivery.SENT else EmailStatus.UNKNOWN
        if pending.update(status=status, sent_at=now, last_error=result.error):
            spec.after_send(_respondent(row), row.sequence)
    elif result.outcome == delivery.REJECTED:
        if pending.update(status=EmailStatus.REJECTED, last_error=result.error):
            spec.after_reject(_respondent(row), row.sequence)
        logger.warning("%s email %s rejected: %s", row.kind, row.pk, result.error)
    elif pending.select_for_update().first() is not None:  # DEFERRED: nothing accepted
        _defer(row, result.error)


def _defer(row: EmailLog, error: str) -> None:
    """Back to `queued`, due after a backoff of 5 s doubling per attempt (at most 5 minutes);
    `failed` after MAX_ATTEMPTS."""
    row.status = EmailStatus.FAILED if row.attempts >= MAX_ATTEMPTS else EmailStatus.QUEUED
    row.due_at = timezone.now() + timedelta(seconds=min(300, 5 * 2**row.attempts))
    row.last_error = error[:2000]
    row.save(update_fields=["status", "due_at", "attempts", "last_error"])
    logger.warning("%s email %s deferred: %s", row.kind, row.pk, error)


def _respondent(row: EmailLog) -> Respondent:
    return Respondent.objects.select_related("campaign").get(pk=row.respondent_id)


# --- The sweep ----------------------------------------------------------------------------------


@transaction.atomic
def emails_resume(*, firm: Firm) -> dict:
    """One firm's share of the sweep: republish queued rows nobody has picked up for
    EMAIL_STALE_AFTER (a dead worker's batch), close `sending` rows older than
    EMAIL_SENDING_GIVE_UP as `unknown` (treated as sent), and queue invitations that should
    have gone out and have no row."""
    from .emails import EMAIL_KINDS

    now = timezone.now()
    missing = list(
        selectors.missing_invitations(now=now, older_than=_stale_after()).values_list(
            "pk", flat=True
        )
    )
    queued = emails_queue(firm=firm, kind=EmailKind.INVITATION, items=[(pk, 0) for pk in missing])
    stale = list(
        EmailLog.objects.select_for_update(skip_locked=True)
        .filter(status=EmailStatus.QUEUED, due_at__lte=now - _stale_after())
        .order_by("id")
        .values_list("pk", flat=True)[:5000]
    )
    # Due again from now: the next sweep leaves them to this publish for another interval.
    EmailLog.objects.filter(pk__in=stale).update(due_at=now)
    abandoned = list(
        EmailLog.objects.select_for_update(skip_locked=True).filter(
            status=EmailStatus.SENDING, claimed_at__lte=now - settings.EMAIL_SENDING_GIVE_UP
        )
    )
    for row in abandoned:
        EmailLog.objects.filter(pk=row.pk).update(
            status=EmailStatus.UNKNOWN,
            sent_at=row.claimed_at,
            last_error="the worker stopped while sending: treated as sent",
        )
        EMAIL_KINDS[row.kind].after_send(_respondent(row), row.sequence)
    enqueue_email_ids(firm=firm, email_ids=queued + stale)
    if queued or stale or abandoned:
        logger.warning(
            "email sweep, firm %s: %s invitations queued, %s republished, %s closed as unknown",
            firm.pk,
            len(queued),
            len(stale),
            len(abandoned),
        )
    return {"queued": len(queued), "republished": len(stale), "abandoned": len(abandoned)}
