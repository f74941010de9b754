"""Schemathesis over the whole OpenAPI schema, in process against the real stack (Django with
PostgreSQL and RLS, Redis for rate limits): no 5xx, and no response that contradicts the schema
(status codes, content types, headers, bodies). Positive and negative (invalid) data."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import make_key

APP = WSGIHandler()
SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = APP  # what from_wsgi() sets; the schema is generated here, without a request


@pytest.fixture
def secret(firm_a, firm_b, settings):
    settings.API_RATE_LIMIT = 1_000_000
    _key, secret = make_key(firm_a)
    make_key(firm_b)
    # As Django's test client does: the request must not close the test's connection (its
    # transaction holds the fixtures).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield secret
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(case, secret):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret}"},
        # Schema-valid ids of objects that do not exist are rightly a 404.
        excluded_checks=[positive_data_acceptance],
    )
