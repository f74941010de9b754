"""Report builds recover on their own: an overdue queued report (its task lost) is published
again by the build sweep and by "Rebuild now"; a report being built is left alone; a transient
database error in the build is retried instead of recorded as a failure."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assessments.models import Campaign
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import all_firms, firm_context
from reports import selectors, services
from reports.models import Report
from tests.helpers import wait_for
from tests.reports.helpers import campaign_with


def _queued(world, *, overdue: bool, trigger="requested", age=timedelta(0)):
    campaign = campaign_with(world, [("pmo", 5, 3)])
    with firm_context(world.firm):
        report = Report.objects.create(
            firm=world.firm, campaign=campaign, number=1, trigger=trigger
        )
        due = timezone.now() + (-timedelta(seconds=1) if overdue else services.BUILD_GRACE)
        Report.objects.filter(pk=report.pk).update(due_at=due, requested_at=timezone.now() - age)
        return Report.objects.get(pk=report.pk)


def _builds_published(report):
    return OutboxTask.objects.filter(
        task_name="reports.build_report", kwargs__report_id=report.pk
    ).count()


@pytest.mark.django_db
def test_rebuild_now_publishes_an_overdue_report_again_and_a_fresh_one_not(firm_a, firm_b):
    stuck = _queued(firm_a, overdue=True)
    with firm_context(firm_a.firm):
        again = services.report_request(
            firm=firm_a.firm, campaign=stuck.campaign, trigger="requested"
        )
        assert again.pk == stuck.pk
        assert _builds_published(stuck) == 1
        # The next chance is a grace period later: pressing again right away adds nothing.
        assert Report.objects.get(pk=stuck.pk).due_at > timezone.now()
        services.report_request(firm=firm_a.firm, campaign=stuck.campaign, trigger="requested")
        assert _builds_published(stuck) == 1
    fresh = _queued(firm_b, overdue=False)
    with firm_context(firm_b.firm):
        services.report_request(firm=firm_b.firm, campaign=fresh.campaign, trigger="requested")
    assert _builds_published(fresh) == 0


@pytest.mark.django_db
def test_new_answers_never_republish_a_waiting_debounced_build(firm_a):
    waiting = _queued(firm_a, overdue=True, trigger="answers")
    with firm_context(firm_a.firm):
        services.report_request(firm=firm_a.firm, campaign=waiting.campaign, trigger="answers")
    assert _builds_published(waiting) == 0


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_sweep_finds_overdue_reports_in_every_firm_and_gives_up_on_stale_ones(firm_a, firm_b):
    overdue = _queued(firm_a, overdue=True)
    not_yet = _queued(firm_b, overdue=False)
    with all_firms():
        assert selectors.overdue_builds() == [(firm_a.firm.pk, overdue.pk)]
    with firm_context(firm_a.firm):
        assert services.report_build_recover(firm=firm_a.firm, report_id=overdue.pk)
        assert _builds_published(overdue) == 1
        # Republished: not overdue again until the grace has passed.
        assert not services.report_build_recover(firm=firm_a.firm, report_id=overdue.pk)
    with firm_context(firm_b.firm):
        assert not services.report_build_recover(firm=firm_b.firm, report_id=not_yet.pk)
        stale = Report.objects.filter(pk=not_yet.pk)
        stale.update(
            due_at=timezone.now() - timedelta(seconds=1),
            requested_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1),
        )
        assert not services.report_build_recover(firm=firm_b.firm, report_id=not_yet.pk)
        assert stale.get().status == "failed" and stale.get().error == "never finished"
    assert _builds_published(not_yet) == 0


class RowLock(threading.Thread):
    """Holds a row lock in another connection, as a running build (or a test) does."""

    def __init__(self, world, queryset_factory):
        super().__init__(daemon=True)
        self.world, self.queryset_factory = world, queryset_factory
        self.locked, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with firm_context(self.world.firm):
                list(self.queryset_factory())
                self.locked.set()
                self.release.wait(60)
        finally:
            connection.close()

    def __enter__(self):
        self.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.join(10)


@pytest.mark.django_db(transaction=True)
def test_a_report_being_built_is_left_alone(firm_a):
    report = _queued(firm_a, overdue=True)
    # A running build holds the report's row (its claim is in the build's transaction).
    lock = RowLock(firm_a, lambda: Report.objects.select_for_update().filter(pk=report.pk))
    with lock, firm_context(firm_a.firm):
        assert not services.report_build_recover(firm=firm_a.firm, report_id=report.pk)
        services.report_request(firm=firm_a.firm, campaign=report.campaign, trigger="requested")
    assert _builds_published(report) == 0


def _terminate_waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE NOT granted AND pid IS NOT NULL"
        )
        return len(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_transient_database_error_in_the_build_is_retried(celery_worker, firm_a):
    """The build's database connection dies mid-build (terminated by the server): the report is
    not recorded as failed, and the retried build makes it ready."""
    report = _queued(firm_a, overdue=False)
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=report.campaign_id).update(status="closed")
    lock = RowLock(
        firm_a,
        lambda: Campaign.objects.select_for_update(no_key=True).filter(pk=report.campaign_id),
    )
    with lock:
        with firm_context(firm_a.firm):
            services.report_request(
                firm=firm_a.firm, campaign=report.campaign, trigger="requested"
            )  # not overdue: reuses the report, publishes nothing
        from reports.tasks import build_report

        build_report.apply_async(kwargs={"firm_id": firm_a.firm.pk, "report_id": report.pk})
        # The build waits at its last step (marking the closed campaign reported) ...
        wait_for(_terminate_waiting_backends, timeout=30)  # ... and its connection is killed.
    wait_for(lambda: _status(firm_a, report) == "ready", timeout=40)


def _status(world, report):
    with firm_context(world.firm):
        return Report.objects.get(pk=report.pk).status
