"""Email delivery under faults, with the real parts: a Celery worker process killed with
SIGKILL mid-batch, an SMTP server slower than EMAIL_TIMEOUT, one that drops the connection after
DATA, and a database that refuses a lock for a while."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter

import pytest
from django.db import connections

from assessments import services
from assessments.models import EmailLog, Respondent
from assessments.services.email_batch import CLAIM_SIZE
from assessments.tasks import email_sweep, send_email_batch, send_respondent_email
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person, wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def launch(world, n: int, prefix: str = "p"):
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Faults", days=3)
        add_people(world, campaign, [person(f"{prefix}{i}@client.example") for i in range(n)])
    with firm_context(world.firm):
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
    return campaign


def rows(world) -> list[EmailLog]:
    with firm_context(world.firm):
        return list(EmailLog.objects.select_related("respondent").order_by("id"))


def finished(world, count: int) -> bool:
    found = rows(world)
    return len(found) == count and all(r.status not in ("queued", "sending") for r in found)


def succeeded(worker, task_name: str) -> int:
    return sum(
        1
        for line in worker.log().splitlines()
        if f"Task {task_name}[" in line and "succeeded" in line
    )


def send_again(world, worker, row: EmailLog) -> None:
    """What a retry, a redelivery after the visibility timeout and the sweep would do: the
    same batch and the same single email again. Waits until the worker has run them."""
    before = (
        succeeded(worker, "assessments.send_email_batch"),
        succeeded(worker, "assessments.send_respondent_email"),
    )
    with firm_context(world.firm):
        enqueue(send_email_batch, firm_id=world.firm.pk, email_ids=[row.pk])
        enqueue(
            send_respondent_email,
            firm_id=world.firm.pk,
            respondent_id=row.respondent_id,
            kind=row.kind,
            sequence=row.sequence,
        )
    email_sweep()
    wait_for(
        lambda: (
            succeeded(worker, "assessments.send_email_batch") > before[0]
            and succeeded(worker, "assessments.send_respondent_email") > before[1]
        ),
        timeout=60,
    )


def test_a_worker_killed_mid_batch_resumes_within_a_minute_and_sends_nothing_twice(faults, firm_a):
    total, kill_after = 200, 40
    sink = faults.sink(data_delay=0.03)  # ~200 ms a message on this machine, so it is mid-batch
    launch(firm_a, total)
    first = faults.worker(sink)
    wait_for(lambda: sink.count() >= kill_after, timeout=120, interval=0.01)
    first.kill()
    killed_at = time.monotonic()
    at_kill = sink.count()
    assert at_kill < total - 50, "the batch must still be running when its worker dies"

    second = faults.worker(sink)

    def resumed():
        email_sweep()  # what beat runs every 20 seconds
        statuses = Counter(r.status for r in rows(firm_a))
        # Done when nothing is queued and only the slice claimed at the kill (at most
        # CLAIM_SIZE rows) can be left "sending" (every live send has recorded its outcome).
        return (
            sink.count() >= total - CLAIM_SIZE
            and not statuses["queued"]
            and statuses["sending"] <= CLAIM_SIZE
        )

    wait_for(resumed, timeout=120, interval=5)
    resumed_after = time.monotonic() - killed_at
    assert resumed_after < 90, f"stranded emails resumed only after {resumed_after:.0f}s"

    found = rows(firm_a)
    statuses = Counter(r.status for r in found)
    # At most one claimed slice (CLAIM_SIZE rows) was between its committed claim and its
    # recorded outcomes at the kill: those stay "sending" (treated as sent, never resent; the
    # sweep closes them as unknown). Every other one is sent.
    assert statuses["sending"] <= CLAIM_SIZE
    assert statuses["sent"] + statuses["sending"] == total
    ids = [m.message_id for m in sink.messages]
    assert len(ids) == len(set(ids)), "a Message-ID arrived twice"
    per_recipient = Counter(m.rcpt_tos[0] for m in sink.messages)
    assert max(per_recipient.values()) == 1
    assert {r.message_id for r in found} >= set(ids)
    missing = {r.respondent.email for r in found} - set(per_recipient)
    assert missing <= {r.respondent.email for r in found if r.status == "sending"}

    # The killed worker's task comes back when Redis' visibility timeout runs out (an hour):
    # the same batch again then finds nothing to do.
    delivered = sink.count()
    batches = succeeded(second, "assessments.send_email_batch")
    with firm_context(firm_a.firm):
        enqueue(send_email_batch, firm_id=firm_a.firm.pk, email_ids=[r.pk for r in found])
    wait_for(lambda: succeeded(second, "assessments.send_email_batch") > batches, timeout=60)
    assert sink.count() == delivered

    # The window in which a crash loses an email: from the committed claim to the recorded
    # answer to DATA (an upper bound: it includes the second transaction).
    windows = [(r.sent_at - r.claimed_at).total_seconds() for r in found if r.status == "sent"]
    first_after = min(m.at for m in sink.messages if m.at > killed_at) - killed_at
    print(
        f"\nfirst email {first_after:.1f}s and the last {resumed_after:.1f}s after the kill "
        f"({at_kill} of {total} sent before it); claim-to-answer window: median "
        f"{statistics.median(windows) * 1000:.0f} ms, max {max(windows) * 1000:.0f} ms "
        f"(sink answers DATA after {sink.data_delay * 1000:.0f} ms)"
    )


def test_a_server_that_answers_data_after_the_timeout_gets_the_email_once(faults, firm_a):
    sink = faults.sink(data_delay=6)
    worker = faults.worker(sink, EMAIL_TIMEOUT=2)
    launch(firm_a, 1)
    wait_for(lambda: finished(firm_a, 1), timeout=60)
    (row,) = rows(firm_a)
    assert row.status == "unknown" and "timed out" in row.last_error
    send_again(firm_a, worker, row)
    time.sleep(sink.data_delay)  # any resend would have reached the sink by now
    assert [m.message_id for m in sink.messages] == [row.message_id]
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().sent_at is not None  # counts as invited


def test_a_connection_dropped_after_data_is_recorded_and_not_resent(faults, firm_a):
    sink = faults.sink(drop_after_data=True)
    worker = faults.worker(sink)
    launch(firm_a, 2)
    wait_for(lambda: finished(firm_a, 2), timeout=60)
    assert [r.status for r in rows(firm_a)] == ["unknown", "unknown"]
    for row in rows(firm_a):
        send_again(firm_a, worker, row)
    assert sorted(m.message_id for m in sink.messages) == sorted(r.message_id for r in rows(firm_a))


class HeldRespondent:
    """Holds one respondent's row lock from another connection until released: it blocks the
    batch's FOR UPDATE of that respondent (not the fan-out's insert)."""

    def __init__(self, world, email: str):
        self.world, self.email = world, email
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with firm_context(self.world.firm):
                Respondent.objects.select_for_update(no_key=True).get(email=self.email)
                self.locked.set()
                self.release.wait(90)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(30)
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.thread.join(30)


def launch_locked(world, n: int, locked_email: str, sink, faults):
    """A campaign of n people launched while `locked_email`'s row is held; a worker whose
    statements give up on a lock after 1.5 s (an OperationalError mid-batch)."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Locked", days=3)
        add_people(world, campaign, [person(f"l{i:02}@client.example") for i in range(n)])
    held = HeldRespondent(world, locked_email).__enter__()
    with firm_context(world.firm):
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
    worker = faults.worker(sink, PGOPTIONS="-c lock_timeout=1500")
    return held, worker


def test_a_database_error_in_a_batch_is_retried_and_the_email_goes_out(faults, firm_a):
    sink = faults.sink()
    held, worker = launch_locked(firm_a, 3, "l01@client.example", sink, faults)
    try:
        wait_for(lambda: "lock timeout" in worker.log(), timeout=60)
        # The slice locks its respondents together: it waits on the held one, nothing went out.
        assert sink.count() == 0
    finally:
        held.__exit__()
    wait_for(lambda: finished(firm_a, 3), timeout=90)
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == [
        f"l{i:02}@client.example" for i in range(3)
    ]
    assert [r.status for r in rows(firm_a)] == ["sent"] * 3
    assert "send_email_batch" in next(
        line for line in worker.log().splitlines() if "lock timeout" in line
    )


def test_outcomes_are_kept_when_the_next_slices_claim_fails(faults, firm_a):
    """A slice's outcomes are recorded in the transaction that claims the next slice; when that
    claim fails (rolled back), they are recorded on their own before the batch is retried."""
    total = CLAIM_SIZE + 5
    sink = faults.sink()
    held, worker = launch_locked(firm_a, total, f"l{total - 1:02}@client.example", sink, faults)
    try:
        wait_for(lambda: "lock timeout" in worker.log(), timeout=60)
        statuses = Counter(r.status for r in rows(firm_a))
        assert sink.count() == CLAIM_SIZE
        assert statuses == {"sent": CLAIM_SIZE, "queued": total - CLAIM_SIZE}
    finally:
        held.__exit__()
    wait_for(lambda: finished(firm_a, total), timeout=90)
    per_recipient = Counter(m.rcpt_tos[0] for m in sink.messages)
    assert len(per_recipient) == total and set(per_recipient.values()) == {1}
    assert [r.status for r in rows(firm_a)] == ["sent"] * total
