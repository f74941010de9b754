"""Report-ready notices under faults, with the real parts: the send tasks lost (Redis gives them
back only after its one-hour visibility timeout) and a worker process killed with SIGKILL while
a notice is in flight. The notice sweep resumes them; nothing arrives twice."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings

from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context
from reports.models import ReportNotice
from reports.tasks import notice_sweep, send_report_notice
from tests.faults import harness
from tests.helpers import wait_for
from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def ready_report_with_lost_notices(world):
    """A report built and ready, its notice rows committed `queued`, and their send tasks lost
    (the private Redis emptied before any worker read them)."""
    campaign = campaign_with(world, [("leadership", 5, 4)])
    report = build(world, campaign)
    harness.redis_cli("flushall")
    assert [n.status for n in notices(world)] == ["queued", "queued"]
    return report


def notices(world) -> list[ReportNotice]:
    with firm_context(world.firm):
        return list(ReportNotice.objects.select_related("user").order_by("id"))


def age(world, **fields) -> None:
    """What waiting would do: move the rows' clocks back past the sweep's thresholds."""
    with firm_context(world.firm):
        for name, by in fields.items():
            for notice in ReportNotice.objects.exclude(**{f"{name}__isnull": True}):
                setattr(notice, name, getattr(notice, name) - by)
                notice.save(update_fields=[name])


STALE = settings.EMAIL_STALE_AFTER + timedelta(seconds=5)


def test_the_sweep_sends_a_notice_whose_task_was_lost_exactly_once(faults, firm_a):
    sink = faults.sink()
    ready_report_with_lost_notices(firm_a)
    worker = faults.worker(sink)
    time.sleep(2)
    assert sink.count() == 0  # nothing was published: without the sweep it waits an hour
    age(firm_a, due_at=STALE)
    assert notice_sweep() == 1  # one firm
    wait_for(lambda: sink.count() == 2, timeout=60)
    wait_for(lambda: all(n.status == "sent" for n in notices(firm_a)), timeout=30)
    found = notices(firm_a)
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == sorted(
        [firm_a.owner.email, firm_a.executive.email]
    )
    assert sorted(m.message_id for m in sink.messages) == sorted(n.message_id for n in found)
    assert all(n.sent_at and n.claimed_at for n in found)

    # A second sweep, a redelivered task and a retry send nothing.
    age(firm_a, due_at=STALE)
    assert notice_sweep() == 0
    with firm_context(firm_a.firm):
        for notice in found:
            enqueue(send_report_notice, firm_id=firm_a.firm.pk, notice_id=notice.pk)
    wait_for(lambda: worker.log().count("reports.send_report_notice[") >= 8, timeout=60)
    time.sleep(1)
    assert sink.count() == 2


def test_a_worker_killed_while_a_notice_is_in_flight_sends_the_rest_once(faults, firm_a):
    holder = {}

    def kill_at_first(sink):
        if sink.count() == 1:
            holder["worker"].kill()  # after DATA was read, before the server's answer

    sink = faults.sink(on_message=kill_at_first)
    ready_report_with_lost_notices(firm_a)
    holder["worker"] = faults.worker(sink)
    age(firm_a, due_at=STALE)
    killed_at = time.monotonic()
    assert notice_sweep() == 1
    wait_for(lambda: holder["worker"].process.poll() is not None, timeout=60)
    statuses = Counter(n.status for n in notices(firm_a))
    assert statuses["sending"] == 1 and sink.count() == 1

    faults.worker(sink)

    def resumed():
        age(firm_a, due_at=STALE)  # the sweep's next runs, 20 s apart, without the wait
        notice_sweep()
        return sink.count() >= 2 and Counter(n.status for n in notices(firm_a))["sent"] == 1

    wait_for(resumed, timeout=90, interval=3)
    assert time.monotonic() - killed_at < 90
    found = notices(firm_a)
    # The notice in flight at the kill stays `sending` (it may have arrived: never resent);
    # the other went out once.
    assert sorted(n.status for n in found) == ["sending", "sent"]
    assert Counter(m.rcpt_tos[0] for m in sink.messages) == Counter(
        {firm_a.owner.email: 1, firm_a.executive.email: 1}
    )
    assert len({m.message_id for m in sink.messages}) == 2

    # Past EMAIL_SENDING_GIVE_UP the sweep closes it as unknown (treated as sent), not resent.
    age(firm_a, claimed_at=settings.EMAIL_SENDING_GIVE_UP + timedelta(seconds=5))
    assert notice_sweep() == 1
    wait_for(lambda: sorted(n.status for n in notices(firm_a)) == ["sent", "unknown"], timeout=60)
    time.sleep(2)
    assert sink.count() == 2
