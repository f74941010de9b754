"""The outbox flush: drains more than one batch in one run, and a transient database error in it
is retried (a real terminated PostgreSQL connection, a real worker thread)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from pmo_platform.models import OutboxTask
from pmo_platform.tasks import flush_outbox
from tests.helpers import run_in_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _left_behind(count: int) -> None:
    """Rows the on-commit publish missed: tasks for a firm that does not exist (they run and do
    nothing)."""
    OutboxTask.objects.bulk_create(
        OutboxTask(task_name="reports.build_report", kwargs={"firm_id": 0, "report_id": n})
        for n in range(count)
    )
    OutboxTask.objects.update(created_at=timezone.now() - timedelta(minutes=5))


def test_one_flush_drains_more_than_a_batch(celery_worker):
    _left_behind(620)
    assert run_in_worker(flush_outbox) == 620
    assert not OutboxTask.objects.exists()


class TableLock(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.locked, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {OutboxTask._meta.db_table} IN EXCLUSIVE MODE")
                self.locked.set()
                self.release.wait(60)
        finally:
            connection.close()


def _terminate_waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE NOT granted AND pid IS NOT NULL"
        )
        return len(cursor.fetchall())


def test_a_flush_whose_database_connection_dies_is_retried(celery_worker):
    run_in_worker(flush_outbox)  # after the worker's own flush on connecting: nothing else runs
    _left_behind(3)
    lock = TableLock()
    lock.start()
    assert lock.locked.wait(10)
    try:
        flush_outbox.apply_async()
        wait_for(_terminate_waiting_backends, timeout=30)  # the flush's connection is killed
    finally:
        lock.release.set()
        lock.join(10)
    wait_for(lambda: not OutboxTask.objects.exists(), timeout=30)
