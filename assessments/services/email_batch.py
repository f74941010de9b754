"""A batch of respondent emails on one connection, claimed and recorded a slice at a time.

The delivery rule of `email_delivery` holds for every email, only in slices of CLAIM_SIZE
rows: one transaction locks the slice's `queued` rows (skipping rows another worker holds),
checks each respondent may have theirs, builds them (once: `delivery.prepare`) and moves the
buildable ones to `sending` in one UPDATE, and commits, before a word goes to the mail server.
The messages of the slice go out, and their outcomes are recorded in the next transaction:
the one that claims the following slice (one commit a slice), or one of their own after the
last slice, before a rate-limit pause, or when the claim fails. A worker that dies leaves at
most one slice, CLAIM_SIZE rows, `sending`: never sent again; the sweep closes them as
`unknown` (counted as sent) after EMAIL_SENDING_GIVE_UP (docs/operations.md, "Batch claims").

What is the same for every email of a batch (the firm, its branding) is read once per batch,
each campaign and its client once per slice (with the slice's respondents), not per email.

Fan-out batches (`send_email_batch`) spend the firm's send rate (`pmo_platform.sendrate`):
before each slice the worker takes up to a slice's worth of tokens from the firm's bucket,
claims only as many rows as it got, and when the bucket is empty publishes the unclaimed rest
again with a countdown; those rows stay `queued` throughout."""

from __future__ import annotations

import logging
import math
import time

from django.db.models import F
from django.utils import timezone

from accounts.models import Firm
from accounts.selectors import branding_for_firm, firm_email_rate
from pmo_platform import delivery, sendrate
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from ..models import EmailLog, EmailStatus, Respondent
from .email_delivery import _defer, _finish, _record_once, prepared_message

logger = logging.getLogger(__name__)

# Rows claimed in one committed UPDATE (the most a dead worker can leave `sending`).
CLAIM_SIZE = 25


def respondent_emails_send_batch(
    *, firm: Firm, email_ids: list[int], rate_limited: bool = False
) -> int:
    """Deliver a batch on one connection, a claimed slice at a time; the number sent. Stops
    early when the mail server cannot be reached (the rest stay queued for the sweep). With
    `rate_limited`, the firm's send rate decides how many may go now (the rest is published
    again with a countdown)."""
    pending = sorted(set(email_ids))
    shared = {"branding": None}
    rate = firm_email_rate(firm=firm) if rate_limited else None
    sent = 0
    results: list = []  # the slice just sent: recorded in the next slice's claim transaction
    with delivery.Mailer() as mailer:
        try:
            while pending:
                size = min(CLAIM_SIZE, len(pending))
                if rate is not None:
                    granted, wait = sendrate.take(f"firm:{firm.pk}", per_minute=rate, count=size)
                    if granted == 0:
                        sent += _record_many(firm=firm, results=results)
                        results = []
                        _publish_later(firm=firm, email_ids=pending, wait=wait)
                        break
                    size = granted
                slice_, pending = pending[:size], pending[size:]
                recorded, results = results, []
                claimed, stop = _record_and_claim(
                    firm=firm, results=recorded, email_ids=slice_, mailer=mailer, shared=shared
                )
                sent += _counted(recorded)
                results, stop = _send_all(claimed, mailer=mailer, stop=stop)
                if stop:
                    logger.warning(
                        "mail server unreachable; the rest of the batch waits for the sweep"
                    )
                    break
        finally:  # the last slice's outcomes (and those of a slice sent before an error)
            sent += _record_many(firm=firm, results=results)
    return sent


def _send_all(claimed: list, *, mailer: delivery.Mailer, stop: bool) -> tuple[list, bool]:
    """Send a claimed slice: [(row, respondent, result)], and whether the server went away."""
    results = []
    for row, respondent, message in claimed:
        if stop:  # the server went away: these were claimed but never handed over
            results.append((row, respondent, delivery.Result(delivery.DEFERRED, "not sent")))
            continue
        result = mailer.send(message)
        results.append((row, respondent, result))
        if result.outcome == delivery.DEFERRED and mailer.unreachable:
            stop = True
    return results, stop


def _counted(results: list) -> int:
    return sum(r.outcome in (delivery.SENT, delivery.UNKNOWN) for _r, _p, r in results)


def _publish_later(*, firm: Firm, email_ids: list[int], wait: float) -> None:
    """The firm's bucket is empty: the unclaimed rows (still `queued`) go out as a new batch
    task after `wait` seconds."""
    from ..tasks import send_email_batch

    with firm_context(firm):
        enqueue(
            send_email_batch, _countdown=max(1, math.ceil(wait)), firm_id=firm.pk,
            email_ids=email_ids,
        )  # fmt: skip


def _record_and_claim(
    *, firm: Firm, results: list, email_ids: list[int], mailer: delivery.Mailer, shared: dict
):
    """One transaction: record the outcomes of the slice just sent (`results`) and claim the
    next one. [(row, respondent, message)] now `sending` (committed), and whether the mail
    server was unreachable (nothing claimed then). One commit a slice instead of two; when it
    fails, the known outcomes are recorded on their own before the error goes up."""
    try:
        with firm_context(firm):
            if results:
                _record_all(results)
            claimed = _claim(firm=firm, email_ids=email_ids, mailer=mailer, shared=shared)
    except Exception:  # rolled back: the outcomes already known are kept all the same
        _record_many(firm=firm, results=results)
        raise
    # Committed: from here on a retry or another worker will not send these emails.
    return claimed


def _claim(*, firm: Firm, email_ids: list[int], mailer: delivery.Mailer, shared: dict):
    """Inside the transaction: lock the slice's queued rows, check and build each email, and
    move the buildable ones to `sending`."""
    rows = list(
        EmailLog.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=email_ids, status=EmailStatus.QUEUED, due_at__lte=timezone.now())
        .order_by("id")
    )
    if not rows:
        return [], False
    respondents = {
        r.pk: r
        for r in Respondent.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__client")
        .filter(pk__in={row.respondent_id for row in rows})
        .order_by("pk")
    }
    if shared["branding"] is None:
        shared["branding"] = branding_for_firm(firm=firm)
    ready = []
    renders: dict = {}  # invitations share their rendering per campaign and language
    for row in rows:
        respondent = respondents.get(row.respondent_id)
        if respondent is None:
            _finish(row, EmailStatus.CANCELLED, "not eligible when its turn came")
            continue
        respondent.firm = firm  # the firm and its branding are read once per batch
        message = prepared_message(
            firm=firm, respondent=respondent, row=row, branding=shared["branding"], renders=renders
        )
        if message is None:
            continue
        ready.append((row, respondent, message))
    if not ready:
        return [], False
    unreachable = mailer.connect()
    if unreachable is not None:  # nothing claimed, nothing sent: the first one waits
        row = ready[0][0]
        row.attempts += 1
        _defer(row, unreachable.error)
        return [], True
    now = timezone.now()
    EmailLog.objects.filter(pk__in=[row.pk for row, _r, _m in ready]).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    for row, _r, _m in ready:
        row.status, row.claimed_at, row.attempts = EmailStatus.SENDING, now, row.attempts + 1
    return ready, False


def _record_many(*, firm: Firm, results: list) -> int:
    """Record a slice's outcomes in a transaction of their own, tried a few times (a database
    that blinks now must not turn known outcomes into unknown ones); the number sent."""
    if not results:
        return 0
    for attempt in range(3):
        try:
            with firm_context(firm):
                _record_all(results)
            return _counted(results)
        except delivery.TRANSIENT_ERRORS:
            if attempt == 2:
                raise  # the rows stay `sending`: never resent; the sweep closes them
            time.sleep(1 + attempt)


def _record_all(results: list) -> None:
    from .emails import EMAIL_KINDS

    sent = [(row, respondent) for row, respondent, r in results if r.outcome == delivery.SENT]
    others = [(row, respondent, r) for row, respondent, r in results if r.outcome != delivery.SENT]
    if sent:
        now = timezone.now()
        ids = [row.pk for row, _p in sent]
        updated = EmailLog.objects.filter(pk__in=ids, status=EmailStatus.SENDING).update(
            status=EmailStatus.SENT, sent_at=now, last_error=""
        )
        done = set(ids)
        if updated != len(ids):  # the sweep closed some meanwhile (as `unknown`): only ours
            done = set(
                EmailLog.objects.filter(
                    pk__in=ids, status=EmailStatus.SENT, sent_at=now
                ).values_list("pk", flat=True)
            )
        groups: dict[tuple[str, int], list] = {}
        for row, respondent in sent:
            if row.pk in done:
                groups.setdefault((row.kind, row.sequence), []).append(respondent)
        for (kind, sequence), people in groups.items():
            spec = EMAIL_KINDS[kind]
            if spec.after_send_many is not None:
                spec.after_send_many([p.pk for p in people], sequence)
            else:
                for respondent in people:
                    spec.after_send(respondent, sequence)
    for row, _respondent, result in others:
        _record_once(row=row, result=result)
