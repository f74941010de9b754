"""Report-ready emails: one row per person and report, sent at most once, resumed by a sweep.

The life of one notice (docs/operations.md, "Delivery guarantees: email"):

1. Asked for: when a report becomes ready, `notices_queue` writes a `queued` `ReportNotice`
   per recipient in the build's transaction and publishes one `reports.send_report_notice`
   task per row (through the outbox, on commit).
2. Transaction 1: the worker locks the row, still `queued`, checks the report and the person,
   builds the message and moves the row to `sending`, and commits, before speaking to the mail
   server.
3. The message goes out with the row's stable Message-ID.
4. Transaction 2 records the outcome: `sent`; `unknown` (the connection failed after DATA: it
   may have arrived, so it counts as sent); `rejected` (a 5xx); or, when nothing was accepted,
   back to `queued` with a later `due_at` (`failed` after MAX_ATTEMPTS).

A row in any state but `queued` is never sent again. `notices_resume` (beat, every 20 seconds,
through `reports.notice_sweep`) republishes `queued` rows left behind by a lost task and closes
`sending` rows whose worker is gone as `unknown`."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.emails import absolute_url, build_branded_email
from accounts.models import Firm
from accounts.selectors import branding_for_firm
from pmo_platform import delivery
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from .. import selectors
from ..models import NoticeStatus, Report, ReportNotice

logger = logging.getLogger(__name__)

# Deferred attempts (server unreachable, 4xx) before a notice is given up as failed.
MAX_ATTEMPTS = 8


def notice_message_id(*, firm_id: int, report_id: int, user_id: int) -> str:
    return delivery.message_id(firm_id, "notice", report_id, user_id)


# --- Asking for notices (inside the build's transaction) -----------------------------------------


def notices_queue(*, firm: Firm, report: Report, user_ids: list[int] | None = None) -> list[int]:
    """Write a `queued` notice of `report` for each recipient (or for `user_ids`) that has none,
    and publish their sends after commit; the ids of the rows written now."""
    from ..tasks import send_report_notice

    if user_ids is None:
        user_ids = selectors.notice_recipients(campaign=report.campaign)
    now = timezone.now()
    rows = [
        ReportNotice(
            firm=firm,
            report=report,
            user_id=user_id,
            message_id=notice_message_id(firm_id=firm.pk, report_id=report.pk, user_id=user_id),
            created_at=now,
            due_at=now,
        )
        for user_id in user_ids
    ]
    # A row that exists already (any state) is left alone: it has been asked for.
    ReportNotice.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        ReportNotice.objects.filter(
            report=report, user_id__in=user_ids, status=NoticeStatus.QUEUED, created_at=now
        ).values_list("pk", flat=True)
    )
    for notice_id in ids:
        enqueue(send_report_notice, firm_id=firm.pk, notice_id=notice_id)
    return ids


# --- Sending ------------------------------------------------------------------------------------


def report_notice_send(
    *,
    firm: Firm,
    notice_id: int | None = None,
    report_id: int | None = None,
    user_id: int | None = None,
) -> bool:
    """Send one notice at most once (the worker, outside any transaction); whether it went out
    (or may have: an unknown outcome counts as sent). A task published before notices had rows
    names the report and the person instead: its row is queued here."""
    if notice_id is None:
        notice_id = _row_for(firm=firm, report_id=report_id, user_id=user_id)
        if notice_id is None:
            return False
    with delivery.Mailer() as mailer:
        return _deliver(firm=firm, notice_id=notice_id, mailer=mailer) in (
            delivery.SENT,
            delivery.UNKNOWN,
        )


def _row_for(*, firm: Firm, report_id, user_id) -> int | None:
    with firm_context(firm):
        report = selectors.ready_report(firm=firm, report_id=report_id)
        if report is None or user_id not in selectors.notice_recipients(campaign=report.campaign):
            return None
        notices_queue(firm=firm, report=report, user_ids=[user_id])
        return (
            ReportNotice.objects.filter(report=report, user_id=user_id)
            .values_list("pk", flat=True)
            .first()
        )


def _deliver(*, firm: Firm, notice_id: int, mailer: delivery.Mailer) -> str | None:
    """Claim (commit), send, record one notice. The outcome, or None when there was nothing to
    do (not queued any more, not due yet, no longer for this person)."""
    with firm_context(firm):
        row = (
            ReportNotice.objects.select_for_update(skip_locked=True)
            .filter(pk=notice_id, status=NoticeStatus.QUEUED, due_at__lte=timezone.now())
            .first()
        )
        if row is None:
            return None
        report = selectors.ready_report(firm=firm, report_id=row.report_id)
        user = selectors.active_user(user_id=row.user_id)
        if (
            report is None
            or user is None
            or user.pk not in selectors.notice_recipients(campaign=report.campaign)
        ):
            _finish(row, NoticeStatus.CANCELLED, "no longer for this person")
            return None
        try:
            message = _message(firm=firm, report=report, user=user, row=row)
            message.message()  # a bad header fails here, before anything is claimed
        except (*delivery.TRANSIENT_ERRORS, DatabaseError):
            raise
        except Exception as exc:  # BadHeaderError, a broken template: this notice only
            logger.exception("report notice %s cannot be built", row.pk)
            _finish(row, NoticeStatus.FAILED, type(exc).__name__)
            return None
        unreachable = mailer.connect()
        row.attempts += 1
        if unreachable is not None:  # nothing claimed, nothing sent: the sweep tries again
            _defer(row, unreachable.error)
            return delivery.DEFERRED
        row.status = NoticeStatus.SENDING
        row.claimed_at = timezone.now()
        row.save(update_fields=["status", "claimed_at", "attempts"])
    # Committed: from here on a retry, a redelivery or the sweep will not send this notice.
    result = mailer.send(message)
    for attempt in range(3):  # a database that blinks must not turn a known outcome unknown
        try:
            with firm_context(firm):
                _record(row=row, result=result)
            break
        except delivery.TRANSIENT_ERRORS:
            if attempt == 2:
                raise  # the row stays `sending`: never resent; the sweep closes it
            time.sleep(1 + attempt)
    return result.outcome


def _message(*, firm: Firm, report: Report, user, row: ReportNotice):
    campaign = report.campaign
    is_executive = selectors.is_client_executive(client_id=campaign.client_id, user=user)
    # Links to the campaign's report page, not to this snapshot: a rebuild replaces the
    # snapshot (the portal then shows only the newest), and the email must still lead there.
    path = (
        reverse(
            "reports:portal_campaign",
            kwargs={
                "firm_slug": firm.slug,
                "client_id": campaign.client_id,
                "campaign_id": campaign.pk,
            },
        )
        if is_executive
        else reverse(
            "reports:campaign_report", kwargs={"firm_slug": firm.slug, "campaign_id": campaign.pk}
        )
    )
    language = user.language or "en"
    with translation.override(language):
        subject = _("The PMO report for %(client)s is ready") % {"client": campaign.client.name}
    message = build_branded_email(
        firm=firm,
        branding=branding_for_firm(firm=firm),
        to=user.email,
        language=language,
        subject=subject,
        template="reports/email/ready",
        context={
            "report": report,
            "campaign": campaign,
            "user": user,
            "link": absolute_url(path),
            "overall": None if report.data.get("suppressed") else report.data["overall"]["score"],
        },
    )
    message.extra_headers["Message-ID"] = row.message_id or notice_message_id(
        firm_id=firm.pk, report_id=report.pk, user_id=user.pk
    )
    return message


def _finish(row: ReportNotice, status: str, error: str = "") -> None:
    row.status = status
    row.last_error = error[:2000]
    row.save(update_fields=["status", "last_error"])


def _record(*, row: ReportNotice, result: delivery.Result) -> None:
    now = timezone.now()
    pending = ReportNotice.objects.filter(pk=row.pk, status=NoticeStatus.SENDING)
    if result.outcome in (delivery.SENT, delivery.UNKNOWN):
        status = NoticeStatus.SENT if result.outcome == delivery.SENT else NoticeStatus.UNKNOWN
        pending.update(status=status, sent_at=now, last_error=result.error)
    elif result.outcome == delivery.REJECTED:
        pending.update(status=NoticeStatus.REJECTED, last_error=result.error)
        logger.warning("report notice %s rejected: %s", row.pk, result.error)
    elif pending.select_for_update().first() is not None:  # DEFERRED: nothing accepted
        _defer(row, result.error)


def _defer(row: ReportNotice, error: str) -> None:
    """Back to `queued`, due after a backoff of 5 s doubling per attempt (at most 5 minutes);
    `failed` after MAX_ATTEMPTS. The sweep publishes it again once due."""
    row.status = NoticeStatus.FAILED if row.attempts >= MAX_ATTEMPTS else NoticeStatus.QUEUED
    row.due_at = timezone.now() + timedelta(seconds=min(300, 5 * 2**row.attempts))
    row.last_error = error[:2000]
    row.save(update_fields=["status", "due_at", "attempts", "last_error"])
    logger.warning("report notice %s deferred: %s", row.pk, error)


# --- The sweep ----------------------------------------------------------------------------------


@transaction.atomic
def notices_resume(*, firm: Firm) -> dict:
    """One firm's share of the notice sweep: republish queued notices nobody has picked up for
    EMAIL_STALE_AFTER after they were due (a lost task), and close `sending` notices older than
    EMAIL_SENDING_GIVE_UP as `unknown` (treated as sent, never resent)."""
    from ..tasks import send_report_notice

    now = timezone.now()
    stale = list(
        ReportNotice.objects.select_for_update(skip_locked=True)
        .filter(status=NoticeStatus.QUEUED, due_at__lte=now - settings.EMAIL_STALE_AFTER)
        .order_by("id")
        .values_list("pk", flat=True)[:5000]
    )
    # Due again from now: the next sweep leaves them to this publish for another interval.
    ReportNotice.objects.filter(pk__in=stale).update(due_at=now)
    abandoned = (
        ReportNotice.objects.select_for_update(skip_locked=True)
        .filter(status=NoticeStatus.SENDING, claimed_at__lte=now - settings.EMAIL_SENDING_GIVE_UP)
        .values_list("pk", flat=True)
    )
    closed = ReportNotice.objects.filter(pk__in=list(abandoned)).update(
        status=NoticeStatus.UNKNOWN,
        sent_at=now,
        last_error="the worker stopped while sending: treated as sent",
    )
    for notice_id in stale:
        enqueue(send_report_notice, firm_id=firm.pk, notice_id=notice_id)
    if stale or closed:
        logger.warning(
            "notice sweep, firm %s: %s republished, %s closed as unknown",
            firm.pk,
            len(stale),
            closed,
        )
    return {"republished": len(stale), "abandoned": closed}
