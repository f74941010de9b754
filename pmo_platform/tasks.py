"""Celery conventions: the firm-scoped base task and the transactional outbox.

Tasks take ids and plain JSON values, never model instances. A tenant task takes `firm_id` and
runs inside `firm_context` for that firm, so its queries are scoped on both walls. Enqueue with
`enqueue(task, ...)` inside a transaction: the task is published only after commit, and is kept in
the outbox until the broker has accepted it.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

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


def publish(pk: int, task_name: str, kwargs: dict, countdown: int = 0) -> bool:
    """Hand one outbox row to the broker; keep it when the broker cannot be reached."""
    try:
        app.send_task(task_name, kwargs=kwargs, countdown=countdown or None)
    except Exception as exc:  # any broker failure: the row stays for flush_outbox
        logger.warning("broker unavailable, %s kept in the outbox: %s", task_name, exc)
        OutboxTask.objects.filter(pk=pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        return False
    OutboxTask.objects.filter(pk=pk).delete()
    return True


@shared_task(name="pmo_platform.flush_outbox", ignore_result=True)
def flush_outbox(limit: int = 500) -> int:
    """Publish outbox rows that missed their on-commit publish (broker down, process killed)."""
    cutoff = timezone.now() - settings.OUTBOX_RETRY_AFTER
    published = 0
    with transaction.atomic():
        # Overlapping flushes skip each other's rows instead of publishing them twice.
        rows = (
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(created_at__lte=cutoff)
            .order_by("id")[:limit]
        )
        for row in list(rows):
            due = row.created_at + timedelta(seconds=row.countdown)
            remaining = max(0, int((due - timezone.now()).total_seconds()))
            if publish(row.pk, row.task_name, row.kwargs, remaining):
                published += 1
            else:
                break  # the broker is down; try again on the next beat
    return published
