"""API test fixtures: a key per firm with every scope, and a client that sends it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from accounts.api.scopes import SCOPES
from pmo_platform.tenancy import firm_context


def make_key(world, scopes=None, **kwargs):
    with firm_context(world.firm):
        key, secret = services.api_key_create(
            firm=world.firm,
            actor=world.owner,
            name=kwargs.pop("name", "test key"),
            scopes=list(SCOPES) if scopes is None else scopes,
            expires_at=kwargs.pop("expires_at", None),
        )
    return key, secret


class ApiClient(Client):
    """Django's test client with a bearer key and JSON bodies."""

    def __init__(self, secret: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.secret = secret

    def _headers(self, extra):
        headers = dict(extra)
        if self.secret is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        return headers

    def get(self, path, data=None, **extra):
        return super().get(path, data, **self._headers(extra))

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **self._headers(extra))

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(path, data, content_type=content_type, **self._headers(extra))

    def put(self, path, data=None, content_type="application/json", **extra):
        return super().put(path, data, content_type=content_type, **self._headers(extra))

    def delete(self, path, data=None, content_type="application/json", **extra):
        return super().delete(path, data, content_type=content_type, **self._headers(extra))


@pytest.fixture
def api_a(firm_a):
    key, secret = make_key(firm_a)
    api = ApiClient(secret)
    api.key = key
    return api


@pytest.fixture
def api_b(firm_b):
    key, secret = make_key(firm_b)
    api = ApiClient(secret)
    api.key = key
    return api
