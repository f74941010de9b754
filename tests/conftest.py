"""Test setup: real PostgreSQL (owner role migrates, application role runs the tests, so RLS is
in force; `all_firms()` uses the operator role on the same test database), real Redis and a real
Celery worker thread.

The operator role's connection is a second connection: it sees only committed rows, so a test of
an `all_firms()` path is `django_db(transaction=True, databases="__all__")`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from pmo_platform import queues
from pmo_platform.celery import app as celery_app


def pytest_configure(config):
    # Hashing is not under test: a fast hasher keeps user-heavy fixtures quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run = uuid.uuid4().hex[:8]
    # Each run gets its own cache keys in the real Redis (rate limits, used TOTP codes) ...
    settings.CACHES["default"]["KEY_PREFIX"] = f"pmo-test-{run}"
    # ... and its own queues (every queue name prefixed), set before anything publishes, so a
    # running dev worker cannot steal the tests' tasks and the tests' workers read exactly what
    # the tests publish. The fault harnesses' worker processes get the prefix too.
    settings.CELERY_QUEUE_PREFIX = f"pmo-test-{run}-"
    queues.use_prefix(celery_app, settings.CELERY_QUEUE_PREFIX)


def _use_role(credentials: dict) -> None:
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(credentials)


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Create and migrate the test database as the owner role, like a deployment does."""
    _use_role(settings.DATABASE_OWNER_CREDENTIALS)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connections["default"].cursor() as cursor:
            # Transactional tests empty the tables between tests with TRUNCATE, which the
            # application role is not granted in a deployment.
            cursor.execute(
                f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{settings.DATABASE_APP_USER}"'
            )
        _use_role(settings.DATABASE_APP_CREDENTIALS)
    yield
    with django_db_blocker.unblock():
        # The operator alias (a test mirror of default) must not hold the test database open.
        connections.close_all()
        _use_role(settings.DATABASE_OWNER_CREDENTIALS)


@task_postrun.connect
def _close_worker_connections(**kwargs):
    # The worker thread's connections must not outlive a test (the test database is dropped).
    connections.close_all()


@pytest.fixture(scope="session")
def celery_worker_app():
    return celery_app


@pytest.fixture
def celery_worker(transactional_db, celery_worker_app):
    """A real worker thread consuming every queue from Redis. Use with transactional tests only:
    the worker sees committed rows, exactly as in production. Tasks that earlier tests published
    without a worker running are dropped first."""
    celery_worker_app.control.purge()
    with start_worker(
        celery_worker_app,
        queues=queues.names(settings.CELERY_QUEUE_PREFIX),
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


@dataclass
class FirmWorld:
    firm: object
    owner: object
    consultant: object
    client: object
    other_client: object
    executive: object


def _build_firm(name: str, prefix: str) -> FirmWorld:
    from accounts import services
    from accounts.models import ClientExecutive, Membership, Role, User
    from pmo_platform.tenancy import firm_context

    owner = User.objects.create_user(
        f"owner@{prefix}.example", "pw-owner-123!", name=f"{name} Owner"
    )
    firm = services.firm_signup(owner=owner, firm_name=name)
    consultant = User.objects.create_user(
        f"consultant@{prefix}.example", "pw-consultant-123!", name=f"{name} Consultant"
    )
    executive = User.objects.create_user(
        f"exec@{prefix}-client.example", "pw-exec-123!", name=f"{name} Executive"
    )
    with firm_context(firm):
        Membership.objects.create(firm=firm, user=consultant, role=Role.CONSULTANT)
        client = services.client_create(
            firm=firm,
            actor=owner,
            name=f"{name} Client",
            industry="finance",
            size_band="250-999",
            country="SE",
        )
        other_client = services.client_create(
            firm=firm,
            actor=owner,
            name=f"{name} Other Client",
            industry="public",
            size_band="1000-4999",
            country="NO",
        )
        ClientExecutive.objects.create(firm=firm, client=client, user=executive, granted_by=owner)
    return FirmWorld(firm, owner, consultant, client, other_client, executive)


@pytest.fixture
def firm_a(db):
    return _build_firm("Alpha Advisory", "alpha")


@pytest.fixture
def firm_b(db):
    return _build_firm("Beta Konsult", "beta")
