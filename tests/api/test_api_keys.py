"""API keys: the secret is shown once and stored as a hash, with a recognisable prefix; expired
and revoked keys get 401s with codes; scopes give 403s naming the missing scope; limits 429."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, AuditEntry
from pmo_platform.tenancy import firm_context

from .conftest import ApiClient, make_key

pytestmark = pytest.mark.django_db


def test_owner_creates_a_key_on_the_page_and_sees_the_secret_once(client, firm_a):
    client.force_login(firm_a.owner)
    page = reverse("accounts:api_keys", kwargs={"firm_slug": firm_a.firm.slug})
    response = client.post(page, {"name": "CRM sync", "scopes": ["clients:read", "campaigns:read"]})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith(f"pmo_{firm_a.firm.pk}_") and secret in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    with firm_context(firm_a.firm):
        key = ApiKey.objects.get()
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(list(ApiKey.objects.values()))
        assert key.prefix == secret[: len(key.prefix)] and len(key.prefix) < len(secret)
        assert key.scopes == ["clients:read", "campaigns:read"]
        assert AuditEntry.objects.filter(action="api_key.created", target_id=key.pk).exists()
    listing = client.get(page)
    assert key.prefix in listing.content.decode()
    assert secret not in listing.content.decode()
    assert ApiClient(secret).get("/api/v1/clients/").status_code == 200


def test_a_consultant_cannot_manage_keys(client, firm_a):
    client.force_login(firm_a.consultant)
    page = reverse("accounts:api_keys", kwargs={"firm_slug": firm_a.firm.slug})
    assert client.get(page).status_code == 404


def test_key_form_rejects_unknown_scopes_and_past_expiry(client, firm_a):
    client.force_login(firm_a.owner)
    page = reverse("accounts:api_keys", kwargs={"firm_slug": firm_a.firm.slug})
    response = client.post(page, {"name": "x", "scopes": ["root:all"]})
    assert response.status_code == 400 and "scopes" in response.context["form"].errors
    response = client.post(
        page, {"name": "x", "scopes": ["clients:read"], "expires_at": "2001-01-01T00:00"}
    )
    assert response.status_code == 400
    with firm_context(firm_a.firm):
        assert not ApiKey.objects.exists()


def test_revoked_key_is_a_401_with_a_code_and_revoking_is_audited(client, firm_a):
    key, secret = make_key(firm_a)
    api = ApiClient(secret)
    assert api.get("/api/v1/clients/").status_code == 200
    client.force_login(firm_a.owner)
    revoke = reverse(
        "accounts:api_key_revoke", kwargs={"firm_slug": firm_a.firm.slug, "key_id": key.pk}
    )
    assert client.post(revoke).status_code == 302
    response = api.get("/api/v1/clients/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "key_revoked"
    assert response["WWW-Authenticate"].startswith("Bearer")
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.filter(action="api_key.revoked", target_id=key.pk).exists()


def test_expired_key_is_a_401(firm_a):
    key, secret = make_key(firm_a, expires_at=timezone.now() + timedelta(hours=1))
    with firm_context(firm_a.firm):
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(secret).get("/api/v1/clients/")
    assert response.status_code == 401 and response.json()["code"] == "key_expired"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Basic dXNlcjpwdw==",
        "Bearer pmo_1_short",
        "Bearer pmo_x_" + "a" * 43,
        "Bearer pmo_999999_" + "a" * 43,
        "Bearer " + "é" * 50,
    ],
)
def test_missing_or_malformed_keys_are_401(firm_a, header):
    response = ApiClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"not_authenticated", "invalid_key"}


def test_a_key_of_another_firm_with_a_guessed_prefix_is_refused(firm_a, firm_b):
    _key, secret = make_key(firm_a)
    # The firm id in the key is firm B's, the secret is firm A's: no firm accepts it.
    forged = secret.replace(f"pmo_{firm_a.firm.pk}_", f"pmo_{firm_b.firm.pk}_", 1)
    assert ApiClient(forged).get("/api/v1/clients/").json()["code"] == "invalid_key"


def test_missing_scope_is_a_403_naming_it(firm_a):
    _key, secret = make_key(firm_a, scopes=["campaigns:read"])
    response = ApiClient(secret).get("/api/v1/clients/")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "missing_scope" and body["missing_scope"] == "clients:read"
    write = ApiClient(secret).post("/api/v1/clients/", {})
    assert write.status_code == 403 and write.json()["missing_scope"] == "clients:write"


@override_settings(API_RATE_LIMIT=3, API_RATE_WINDOW=60)
def test_rate_limit_per_key_is_a_429_with_retry_after(firm_a):
    _k1, first = make_key(firm_a)
    _k2, second = make_key(firm_a, name="other")
    codes = [ApiClient(first).get("/api/v1/clients/").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    limited = ApiClient(first).get("/api/v1/clients/")
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert ApiClient(second).get("/api/v1/clients/").status_code == 200  # counted per key


def test_last_used_is_recorded(firm_a):
    key, secret = make_key(firm_a)
    ApiClient(secret).get("/api/v1/clients/")
    with firm_context(firm_a.firm):
        assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_service_refuses_an_empty_scope_list(firm_a):
    from django.core.exceptions import ValidationError

    with firm_context(firm_a.firm), pytest.raises(ValidationError) as caught:
        services.api_key_create(
            firm=firm_a.firm, actor=firm_a.owner, name="x", scopes=[], expires_at=None
        )
    assert caught.value.error_dict["scopes"][0].code == "invalid_scope"
