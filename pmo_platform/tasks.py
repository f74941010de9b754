"""Celery conventions: the firm-scoped base task and the transactional outbox.

Tasks take ids and plain JSON values, never model instances. A tenant task takes `firm_id` and
runs inside `firm_context` for that firm, so its queries are scoped on both walls. Enqueue with
`enqueue(task, ...)` inside a transaction: the task is published only after commit, and is kept in
the outbox until the broker has accepted it.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .celery import app
from .models import OutboxTask

logger = logging.getLogger(__name__)


def load_firm(firm_id: int):
    """The active firm with this id, or None. The accounts app provides the loader
    (`settings.PMO_FIRM_LOADER`), so this layer names no app."""
    return import_string(settings.PMO_FIRM_LOADER)(firm_id)


class FirmTask(Task):
    """Base class for tenant tasks (pretix's `EventTask`): takes the integer `firm_id` keyword
    argument, loads the firm and hands the body the loaded firm as `firm=` instead. With
    `atomic = True` (the default) the body runs inside one transaction in that firm's scope
    (django-scopes and RLS). A firm that no longer exists (or is inactive): logged, nothing done.

    Callers publish with `firm_id=...` (ids only); the body is `def body(*, firm, ...)`."""

    abstract = True
    # The caller's keywords (firm_id) differ from the body's (firm) by design.
    typing = False
    # False: the body opens its own `firm_context` per unit of work (batches that must commit
    # each email on its own). The firm is still loaded and checked here.
    atomic = True

    def __call__(self, *args, **kwargs):
        from .tenancy import firm_context

        firm_id = kwargs.pop("firm_id", None)
        if not isinstance(firm_id, int) or isinstance(firm_id, bool):
            raise TypeError(f"{self.name} needs an integer firm_id keyword argument")
        firm = load_firm(firm_id)
        if firm is None:
            logger.warning("%s: firm %s no longer exists; nothing to do", self.name, firm_id)
            return None
        if not self.atomic:
            return super().__call__(*args, firm=firm, **kwargs)
        with firm_context(firm):
            return super().__call__(*args, firm=firm, **kwargs)

    def retry(self, args=None, kwargs=None, **options):
        """Retry with the caller's keywords: the request the body runs in holds the loaded firm
        (`firm=`), which is no message argument; publish its id (`firm_id=`) again."""
        if kwargs is None:
            kwargs = dict(self.request.kwargs or {})
            firm = kwargs.pop("firm", None)
            if firm is not None:
                kwargs["firm_id"] = firm.pk
        return super().retry(args=args, kwargs=kwargs, **options)


def enqueue(task, _countdown: int = 0, **kwargs) -> None:
    """Publish `task(**kwargs)` after the current transaction commits, durably; `_countdown`
    delays it by that many seconds (a debounce)."""
    using = router.db_for_write(OutboxTask)  # the operator's connection inside all_firms()
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("enqueue() must be called inside a transaction (a service)")
    json.dumps(kwargs)  # fail now, not in the worker, on anything that is not plain JSON
    row = OutboxTask.objects.create(task_name=task.name, kwargs=kwargs, countdown=_countdown)
    transaction.on_commit(
        lambda: publish(row.pk, row.task_name, row.kwargs, row.countdown), using=using
    )


def enqueue_each(task, kwargs_list: list[dict]) -> int:
    """Enqueue `task` once per keyword dict, in one transaction of its own. For platform-level
    sweeps: they read ids across firms inside `all_firms()` (the operator role) and call this
    after leaving it, so the outbox rows are written as the application role."""
    with transaction.atomic():
        for kwargs in kwargs_list:
            enqueue(task, **kwargs)
    return len(kwargs_list)


def publish(
    pk: int, task_name: str, kwargs: dict, countdown: int = 0, *, producer=None, delete=True
) -> bool:
    """Hand one outbox row to the broker; keep it when the broker cannot be reached. The flush
    passes its `producer` and deletes the rows it published in one go (`delete=False`)."""
    try:
        app.send_task(task_name, kwargs=kwargs, countdown=countdown or None, producer=producer)
    except Exception as exc:  # any broker failure: the row stays for flush_outbox
        logger.warning("broker unavailable, %s kept in the outbox: %s", task_name, exc)
        OutboxTask.objects.filter(pk=pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        return False
    if delete:
        OutboxTask.objects.filter(pk=pk).delete()
    return True


def outbox_flush(*, batch: int, budget_seconds: float) -> int:
    """Publish outbox rows that missed their on-commit publish (broker down, process killed),
    oldest first, in batches of `batch` rows, each batch in its own short transaction, until the
    outbox is empty, the broker refuses one (it is still down: stop, the next flush retries) or
    `budget_seconds` have passed (the next flush goes on). Overlapping flushes (beat's and a
    reconnecting worker's) lock rows with SKIP LOCKED, so they share the rows instead of
    publishing them twice."""
    deadline = time.monotonic() + budget_seconds
    published = 0
    while time.monotonic() < deadline:
        done, broker_down = _flush_batch(batch)
        published += len(done)
        if broker_down or len(done) < batch:
            break
    return published


def _flush_batch(batch: int) -> tuple[list[int], bool]:
    """One batch in one transaction: (ids published, whether the broker refused one)."""
    cutoff = timezone.now() - settings.OUTBOX_RETRY_AFTER
    done: list[int] = []
    with transaction.atomic():
        rows = list(
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(created_at__lte=cutoff)
            .order_by("id")[:batch]
        )
        if not rows:
            return done, False
        try:
            with app.producer_or_acquire() as producer:
                for row in rows:
                    due = row.created_at + timedelta(seconds=row.countdown)
                    remaining = max(0, int((due - timezone.now()).total_seconds()))
                    if not publish(
                        row.pk,
                        row.task_name,
                        row.kwargs,
                        remaining,
                        producer=producer,
                        delete=False,
                    ):
                        return done, True  # the broker is down; the next flush tries again
                    done.append(row.pk)
        except Exception as exc:  # no producer at all: the broker is down
            logger.warning("broker unavailable, outbox flush stopped: %s", exc)
            return done, True
        finally:
            OutboxTask.objects.filter(pk__in=done).delete()
    return done, False


# Transient failures of the database or the broker: retried rather than recorded as failures.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    KombuOperationalError,
)


@shared_task(
    name="pmo_platform.flush_outbox",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=20,
    max_retries=3,
)
def flush_outbox(batch: int = 100, budget_seconds: float = 20.0) -> int:
    """Beat, every 30 seconds, and each worker when it (re)connects to the broker: drain the
    outbox (`outbox_flush`). The budget stays below beat's interval."""
    return outbox_flush(batch=batch, budget_seconds=budget_seconds)
