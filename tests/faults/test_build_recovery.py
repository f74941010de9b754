"""A real worker process killed with SIGKILL in the middle of a report build: the build sweep
rebuilds the report, and "Rebuild now" on the stuck report makes progress."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assessments.models import Campaign
from pmo_platform.tenancy import firm_context
from reports import services
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


class CampaignLock(threading.Thread):
    """Holds a row lock on the campaign in another connection, so a build that reaches its last
    step (marking the closed campaign reported) waits there: the worker is mid-build."""

    def __init__(self, world, campaign):
        super().__init__(daemon=True)
        self.world, self.campaign = world, campaign
        self.locked, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with firm_context(self.world.firm):
                list(Campaign.objects.select_for_update(no_key=True).filter(pk=self.campaign.pk))
                self.locked.set()
                self.release.wait(120)
        finally:
            connection.close()


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def _report(world, report_id):
    with firm_context(world.firm):
        return Report.objects.get(pk=report_id)


def _kill_worker_mid_build(broker, world):
    """A closed campaign's report requested; the worker is killed while building it. Returns
    the report, still queued (the build's claim died with its transaction)."""
    campaign = campaign_with(world, [("leadership", 5, 4), ("team_member", 5, 2)])
    with firm_context(world.firm):
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    lock = CampaignLock(world, campaign)
    lock.start()
    assert lock.locked.wait(10)
    worker = broker.worker("doomed")
    worker.wait_for_log(" ready.")
    with firm_context(world.firm):
        report = services.report_request(firm=world.firm, campaign=campaign, trigger="requested")
    worker.wait_for_log("reports.build_report")
    wait_until(_waiting_for_a_lock, 30, what="the build waiting at its last step")
    worker.kill()
    lock.release.set()
    lock.join(10)
    # PostgreSQL rolls the dead worker's transaction back; the report is queued again, and its
    # task is gone with the worker (unacknowledged in Redis until the visibility timeout).
    wait_until(lambda: _report(world, report.pk).status == "queued", 30, what="rolled back")
    assert broker.queued() == 0
    return _report(world, report.pk)


def _overdue(world, report):
    """Time passes: the report's grace for its build to start is over."""
    with firm_context(world.firm):
        Report.objects.filter(pk=report.pk).update(due_at=timezone.now() - timedelta(seconds=1))


def test_a_report_whose_worker_was_killed_mid_build_is_rebuilt_by_the_sweep(broker, firm_a):
    report = _kill_worker_mid_build(broker, firm_a)
    worker = broker.worker("replacement")
    worker.wait_for_log(" ready.")
    # Not due yet: the sweep leaves it alone.
    broker.app.send_task("reports.sweep_builds")
    worker.wait_for_log("reports.sweep_builds[", count=2)
    assert _report(firm_a, report.pk).status == "queued"
    _overdue(firm_a, report)
    broker.app.send_task("reports.sweep_builds")  # what beat does every minute
    wait_until(lambda: _report(firm_a, report.pk).status == "ready", 60, what="rebuilt")
    assert _report(firm_a, report.pk).response_count == 10


def test_rebuild_now_on_a_report_stuck_after_a_killed_worker_makes_progress(broker, firm_a, client):
    report = _kill_worker_mid_build(broker, firm_a)
    worker = broker.worker("replacement")
    worker.wait_for_log(" ready.")
    _overdue(firm_a, report)
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("reports:report_request", args=[firm_a.firm.slug, report.campaign_id])
    )
    assert response.status_code == 302
    wait_until(lambda: _report(firm_a, report.pk).status == "ready", 60, what="rebuilt")
    with firm_context(firm_a.firm):
        assert Report.objects.filter(campaign_id=report.campaign_id).count() == 1
