"""A Celery worker process refuses the public development SECRET_KEY outside development, as the
web process does (pmo_platform.celery.refuse_unsafe_worker), and starts with a proper key."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_a_worker_refuses_the_development_key_outside_development(faults):
    with pytest.raises(RuntimeError, match="exited at start"):
        faults.worker(None, PMO_ENV="production", DJANGO_SECRET_KEY="", DJANGO_DEBUG="")
    (worker,) = faults.workers
    assert worker.process.returncode != 0
    assert "pmo.E001" in worker.log()
    assert " ready." not in worker.log()


def test_a_worker_starts_with_a_proper_key_outside_development(faults):
    key = "k" * 50
    assert key != settings.DEVELOPMENT_SECRET_KEY
    worker = faults.worker(None, PMO_ENV="production", DJANGO_SECRET_KEY=key, DJANGO_DEBUG="")
    assert worker.process.poll() is None
    assert "pmo.E001" not in worker.log()
    worker.stop()
    assert worker.process.returncode is not None
