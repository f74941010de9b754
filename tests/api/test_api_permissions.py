"""The API's permission table (like tests/platform/test_permissions.py for pages).

Every route under /api/v1/ must be listed in one of the `routes_*.py` tables next to this file,
with the scope each method needs. For every route and method: no key is a 401, a key without
the scope is a 403 naming it, and firm A's key on firm B's objects is the same 404 as a missing
object, with nothing changed in firm B."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.api.scopes import SCOPES
from accounts.models import AuditEntry, Firm
from pmo_platform.tenancy import firm_context

from .conftest import ApiClient, make_key

pytestmark = pytest.mark.django_db

PUBLIC = {"api_schema", "api_docs", "api_redoc"}
TABLES = [
    importlib.import_module(f"tests.api.{path.stem}")
    for path in sorted(Path(__file__).parent.glob("routes_*.py"))
]
ROUTES = {name: route for table in TABLES for name, route in table.ROUTES.items()}
CASES = [(name, method) for name, route in sorted(ROUTES.items()) for method in route["methods"]]


def api_url_names() -> set[str]:
    names = set()

    def walk(patterns, prefix):
        for entry in patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, pattern)
            elif isinstance(entry, URLPattern) and pattern.startswith("api/v1/"):
                names.add(entry.name)

    walk(get_resolver().url_patterns, "")
    return names - PUBLIC


def test_every_api_route_is_in_the_table():
    assert api_url_names() == set(ROUTES)


def test_every_scope_named_in_the_table_exists():
    assert {s for route in ROUTES.values() for s in route["methods"].values()} <= set(SCOPES)


@pytest.fixture
def ids(firm_a, firm_b):
    def build(world):
        found = {}
        for table in TABLES:
            found.update(table.ids(world))
        return found

    return {"a": build(firm_a), "b": build(firm_b)}


def path(name, ids):
    return reverse(name, kwargs={k: ids[k] for k in ROUTES[name]["ids"]})


def call(api, method, url):
    return getattr(api, method)(url) if method == "get" else getattr(api, method)(url, {})


def firm_state(firm):
    """What a refused request must not change: the audit trail counts every service write."""
    with firm_context(firm):
        return AuditEntry.objects.count(), sorted(AuditEntry.objects.values_list("id", "action"))


@pytest.mark.parametrize(("name", "method"), CASES)
def test_no_key_is_401(ids, name, method):
    response = call(ApiClient(), method, path(name, ids["a"]))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("name", "method"), CASES)
def test_a_key_without_the_scope_is_403_naming_it(firm_a, ids, name, method):
    needed = ROUTES[name]["methods"][method]
    _key, secret = make_key(firm_a, scopes=[s for s in SCOPES if s != needed])
    response = call(ApiClient(secret), method, path(name, ids["a"]))
    assert response.status_code == 403
    assert response.json()["missing_scope"] == needed


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, m in CASES if ROUTES[n]["ids"]])
def test_another_firms_key_gets_404_and_changes_nothing(api_a, firm_b, ids, name, method):
    before = firm_state(firm_b.firm)
    response = call(api_a, method, path(name, ids["b"]))
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert firm_state(firm_b.firm) == before
    assert Firm.objects.count() == 2
