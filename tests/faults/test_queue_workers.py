"""Queue routing with real worker processes (pmo_platform/queues.py): every task, published
through the outbox, runs on the worker of its queue and on no other; the email worker sends a
respondent's own email before the batches of a fan-out published earlier."""

from __future__ import annotations

import re
import time

import pytest
from django.db import transaction

from pmo_platform import queues
from pmo_platform.celery import app as celery_app
from pmo_platform.tasks import FirmTask, enqueue

NO_FIRM = 10**9  # a firm task for a firm that does not exist runs and does nothing
TASK_LINE = re.compile(r"Task ([\w.]+)\[[0-9a-f-]+\] received")


def _kwargs(name: str) -> dict:
    if isinstance(celery_app.tasks[name], FirmTask):
        return {"firm_id": NO_FIRM}
    if name == "accounts.send_account_email":
        return {"email_id": NO_FIRM}
    return {}  # sweeps and the outbox flush: nothing to find in an empty database


def _received(worker) -> list[str]:
    """The names of the tasks a worker took, in the order it took them."""
    return TASK_LINE.findall(worker.log())


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_each_task_runs_on_the_worker_of_its_queue(faults):
    celery_app.loader.import_default_modules()  # what a worker imports: every app's tasks
    workers = {queue: faults.worker(None, queues=[queue], start=False) for queue in queues.QUEUES}
    for worker in workers.values():
        worker.wait_ready()
    with transaction.atomic():  # the real publish path: outbox rows, published on commit
        for name in queues.TASK_QUEUES:
            enqueue(celery_app.tasks[name], **_kwargs(name))

    def done():
        # Every task taken by some worker, and as many runs finished. A count alone is not
        # enough: each worker asks for an outbox flush when it connects (pmo_platform/celery.py),
        # so those extra runs could end the wait before the last tasks were taken.
        taken = {name for w in workers.values() for name in _received(w)}
        finished = sum(w.log().count("] succeeded in") for w in workers.values())
        return taken >= set(queues.TASK_QUEUES) and finished >= len(queues.TASK_QUEUES)

    _wait(done, 90, "every task to run")
    for queue, worker in workers.items():
        expected = sorted(n for n, q in queues.TASK_QUEUES.items() if q == queue)
        assert sorted(set(_received(worker))) == expected, queue


@pytest.mark.django_db(transaction=True)
def test_a_respondents_own_email_goes_before_a_fan_out_published_earlier(faults):
    """The email worker (`-Q email_priority,email`, as Procfile.dev and docker compose start
    it) reads `email_priority` first: result emails published behind a fan-out's batches are
    sent before them (in one queue they would be sent last)."""
    from assessments.tasks import send_email_batch, send_respondent_email

    with transaction.atomic():
        for start in range(0, 30, 5):  # a fan-out: six batches
            enqueue(send_email_batch, firm_id=NO_FIRM, email_ids=list(range(start, start + 5)))
    with transaction.atomic():
        for respondent_id in (1, 2):  # then two respondents finish and get their result
            enqueue(
                send_respondent_email,
                firm_id=NO_FIRM,
                respondent_id=respondent_id,
                kind="result",
                sequence=0,
            )
    worker = faults.worker(None, queues=[queues.EMAIL_PRIORITY, queues.EMAIL])
    _wait(lambda: worker.log().count("] succeeded in") >= 8, 60, "the eight tasks")
    assert _received(worker) == [
        "assessments.send_respondent_email",
        "assessments.send_respondent_email",
        *["assessments.send_email_batch"] * 6,
    ]
