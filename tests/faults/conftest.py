"""Fault tests: a private Redis for the session, and per test a factory of SMTP sinks and real
worker processes that are stopped (or have been killed) when the test ends."""

from __future__ import annotations

import pytest
from django.conf import settings

from pmo_platform import tasks as platform_tasks

from . import harness


@pytest.fixture(scope="session")
def private_redis():
    started = harness.start_redis()
    yield harness.REDIS_URL
    if started:
        harness.stop_redis()


class Faults:
    def __init__(self, prefix, tmp_path):
        self.prefix = prefix
        self.tmp_path = tmp_path
        self.sinks: list[harness.Sink] = []
        self.workers: list[harness.WorkerProcess] = []

    def sink(self, **options) -> harness.Sink:
        sink = harness.Sink(**options).start()
        self.sinks.append(sink)
        return sink

    def worker(self, sink, queues=None, start=True, **env) -> harness.WorkerProcess:
        """A worker process on all the tests' queues, or only `queues` (unprefixed names);
        `start=False`: launched, not yet waited for (`wait_ready()`)."""
        worker = harness.WorkerProcess(
            prefix=self.prefix,
            sink=sink,
            env={k: str(v) for k, v in env.items()},
            log_dir=self.tmp_path,
            queues=queues,
        )
        self.workers.append(worker)
        return worker.start() if start else worker.launch()

    def close(self):
        for worker in self.workers:
            worker.stop()
        for sink in self.sinks:
            sink.stop()


@pytest.fixture
def faults(transactional_db, private_redis, monkeypatch, tmp_path):
    """Tasks the test publishes go to the private Redis (emptied first), where the worker
    processes started with `faults.worker(sink)` read them."""
    harness.redis_cli("flushall")
    prefix = settings.CELERY_QUEUE_PREFIX
    monkeypatch.setattr(platform_tasks, "app", harness.broker_app(prefix))
    state = Faults(prefix, tmp_path)
    try:
        yield state
    finally:
        state.close()
