"""A Redis outage under a real worker process that holds a countdown task (kombu/celery 5.7.0
crash, pmo_platform/broker.py), and the outbox draining once Redis is back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from reports.models import Report
from tests.faults.broker_harness import PrivateBroker, wait_until
from tests.reports.helpers import campaign_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def broker(monkeypatch):
    broker = PrivateBroker()
    broker.redis.start()
    broker.install(monkeypatch)
    yield broker
    broker.close()


def _queued_report(world):
    campaign = campaign_with(world, [("pmo", 5, 3)])
    with firm_context(world.firm):
        return Report.objects.create(
            firm=world.firm, campaign=campaign, number=1, trigger="requested"
        )


def _status(world, report):
    with firm_context(world.firm):
        return Report.objects.get(pk=report.pk).status


def _blip(broker, worker, seconds=3):
    """Stop Redis (losing everything it held) while the worker holds the task, then restart it."""
    worker.wait_for_log("received")
    broker.redis.stop()
    worker.wait_for_log("Connection to broker lost", timeout=30)
    time.sleep(seconds)
    broker.redis.start()


def _publish_with_countdown(broker, world, report, countdown=20):
    broker.app.send_task(
        "reports.build_report",
        kwargs={"firm_id": world.firm.pk, "report_id": report.pk},
        countdown=countdown,
    )


def test_the_stock_redis_transport_kills_the_worker_on_a_redis_blip(broker, firm_a):
    """The library bug on the unpatched path: kombu's own Redis transport, a countdown task
    held, Redis restarts: the worker dies with the AttributeError."""
    report = _queued_report(firm_a)
    worker = broker.worker(env={"CELERY_BROKER_TRANSPORT": "redis"})
    worker.wait_for_log(" ready.")
    _publish_with_countdown(broker, firm_a, report)
    _blip(broker, worker)
    wait_until(lambda: not worker.alive(), 30, what="the stock worker dying")
    assert "'NoneType' object has no attribute 'hostname'" in worker.text()
    assert "Unrecoverable error" in worker.text()


def test_supervision_restarts_a_worker_that_died(broker, firm_a):
    """Whatever kills a worker (here the stock transport's crash), bin/supervise starts it again."""
    report = _queued_report(firm_a)
    worker = broker.worker(env={"CELERY_BROKER_TRANSPORT": "redis"}, supervised=True)
    worker.wait_for_log(" ready.")
    _publish_with_countdown(broker, firm_a, report)
    _blip(broker, worker)
    worker.wait_for_log("Unrecoverable error", timeout=30)
    worker.wait_for_log("restarting in", timeout=30)
    worker.wait_for_log(" ready.", count=2, timeout=60)
    assert worker.alive()


def test_the_worker_survives_a_redis_blip_and_still_runs_its_countdown_task(broker, firm_a):
    report = _queued_report(firm_a)
    worker = broker.worker()
    worker.wait_for_log(" ready.")
    _publish_with_countdown(broker, firm_a, report)
    _blip(broker, worker)
    # Redis came back empty; the worker put back the message it held, and runs it on time.
    worker.wait_for_log("put back 1 message(s)", timeout=60)
    wait_until(lambda: _status(firm_a, report) == "ready", 60, what="report built")
    assert worker.alive()
    assert "Unrecoverable error" not in worker.text()


def test_the_outbox_drains_within_a_minute_of_redis_returning(broker, firm_a):
    """Work piled up in the outbox while Redis was down (five times what one flush published
    before) is all published within a minute of Redis returning, by the reconnecting worker and
    beat."""
    worker = broker.worker()
    beat = broker.beat()
    worker.wait_for_log(" ready.")
    broker.redis.stop()
    # What the web processes left behind while the broker was down: 2500 build tasks (for a
    # report that does not exist: each runs and finds nothing to build).
    old = timezone.now() - timedelta(minutes=1)
    OutboxTask.objects.bulk_create(
        OutboxTask(
            task_name="reports.build_report",
            kwargs={"firm_id": firm_a.firm.pk, "report_id": 10_000_000 + n},
        )
        for n in range(2500)
    )
    OutboxTask.objects.update(created_at=old)
    worker.wait_for_log("Connection to broker lost", timeout=30)
    time.sleep(20)  # beat's flushes fail meanwhile
    broker.redis.start()
    back = time.monotonic()
    wait_until(lambda: not OutboxTask.objects.exists(), 60, what="outbox empty")
    assert time.monotonic() - back < 60
    assert worker.alive() and beat.alive()


def test_a_warm_shutdown_still_puts_a_held_countdown_task_back(broker, firm_a):
    """The workaround keeps kombu's normal path: a worker stopped with SIGTERM while Redis is up
    puts the countdown task it holds back into the queue."""
    report = _queued_report(firm_a)
    worker = broker.worker()
    worker.wait_for_log(" ready.")
    _publish_with_countdown(broker, firm_a, report, countdown=120)
    worker.wait_for_log("received")
    assert broker.queued() == 0
    worker.stop()
    assert "Restoring 1 unacknowledged message(s)" in worker.text()
    assert broker.queued() == 1
