"""Fault tests: a private Redis for the session, and per test a factory of SMTP sinks and real
worker processes that are stopped (or have been killed) when the test ends."""

from __future__ import annotations

import pytest

from pmo_platform import tasks as platform_tasks
from pmo_platform.celery import app as celery_app

from . import harness


@pytest.fixture(scope="session")
def private_redis():
    started = harness.start_redis()
    yield harness.REDIS_URL
    if started:
        harness.stop_redis()


class Faults:
    def __init__(self, queue, tmp_path):
        self.queue = queue
        self.tmp_path = tmp_path
        self.sinks: list[harness.Sink] = []
        self.workers: list[harness.WorkerProcess] = []

    def sink(self, **options) -> harness.Sink:
        sink = harness.Sink(**options).start()
        self.sinks.append(sink)
        return sink

    def worker(self, sink, **env) -> harness.WorkerProcess:
        worker = harness.WorkerProcess(
            queue=self.queue,
            sink=sink,
            env={k: str(v) for k, v in env.items()},
            log_dir=self.tmp_path,
        )
        self.workers.append(worker)
        return worker.start()

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
    queue = celery_app.conf.task_default_queue
    monkeypatch.setattr(platform_tasks, "app", harness.broker_app(queue))
    state = Faults(queue, tmp_path)
    try:
        yield state
    finally:
        state.close()
