"""Client organisations through the API, and the API's shared behaviour shown on them: problem
details, field errors with codes, cursors, idempotency keys and the query count of a list."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from accounts.models import AuditEntry, ClientOrganisation
from pmo_platform.tenancy import firm_context

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

NEW = {"name": "Gamma Bank", "industry": "finance", "size_band": "5000+", "country": "SE"}


def test_create_read_update_archive_restore(api_a, firm_a):
    created = api_a.post("/api/v1/clients/", NEW)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Gamma Bank" and body["archived"] is False
    path = f"/api/v1/clients/{body['id']}/"
    assert api_a.get(path).json() == body
    changed = api_a.patch(path, {"size_band": "1000-4999"})
    assert changed.status_code == 200 and changed.json()["size_band"] == "1000-4999"
    assert changed.json()["name"] == "Gamma Bank"
    assert api_a.post(path + "archive/").json()["archived"] is True
    listed = [c["id"] for c in api_a.get("/api/v1/clients/").json()["results"]]
    assert body["id"] not in listed
    archived = api_a.get("/api/v1/clients/", {"archived": "true"}).json()["results"]
    assert [c["id"] for c in archived] == [body["id"]]
    assert api_a.post(path + "restore/").json()["archived"] is False
    with firm_context(firm_a.firm):
        actions = list(
            AuditEntry.objects.filter(target_id=body["id"]).values_list("action", "data")
        )
    assert {a for a, _d in actions} >= {"client.created", "client.updated", "client.archived"}
    assert all(d["api_key"] == api_a.key.prefix for _a, d in actions)


def test_field_errors_have_codes_and_write_nothing(api_a, firm_a):
    response = api_a.post(
        "/api/v1/clients/", {"name": "x\u0007y", "industry": "mining", "size_band": "5000+"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:pmo:problem:validation_error" and problem["status"] == 400
    codes = {(e["field"], e["code"]) for e in problem["errors"]}
    assert ("industry", "invalid_choice") in codes and ("country", "required") in codes
    # A control character passes the serializer and is refused by the service, with its code.
    response = api_a.post("/api/v1/clients/", {**NEW, "name": "x\u0007y"})
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("name", "control_characters")
    }
    with firm_context(firm_a.firm):
        assert not ClientOrganisation.objects.filter(name__startswith="x").exists()


def test_duplicate_name_is_a_field_error(api_a, firm_a):
    response = api_a.post("/api/v1/clients/", {**NEW, "name": firm_a.client.name.upper()})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "name",
        "code": "client_name_taken",
        "detail": response.json()["errors"][0]["detail"],
    }


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{", "application/json", 400, "invalid_json"),
        ('{"name": 1e400}', "application/json", 400, "invalid_json"),
        ('{"name": NaN}', "application/json", 400, "invalid_json"),
        ("[" * 50 + "]" * 50, "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "not_an_object"),
        ("name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
    ],
)
def test_bad_bodies_are_problems_not_500s(api_a, body, content_type, status, code):
    response = api_a.post("/api/v1/clients/", body, content_type=content_type)
    assert response.status_code == status, response.content
    problem = response.json()
    assert problem["code"] == code or any(e["code"] == code for e in problem.get("errors", []))


def test_body_over_the_limit_is_413(api_a, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api_a.post("/api/v1/clients/", json.dumps({**NEW, "name": "x" * 2000}))
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_unknown_route_and_method_are_problems(api_a, firm_a):
    missing = api_a.get("/api/v1/nothing-here/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api_a.get("/api/v1/clients/999999999/").json()["code"] == "not_found"
    assert api_a.get("/api/v1/clients/abc/").status_code == 404
    wrong = api_a.delete(f"/api/v1/clients/{firm_a.client.pk}/")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


def test_another_firms_client_is_404_like_a_missing_one(api_a, firm_b):
    path = f"/api/v1/clients/{firm_b.client.pk}/"
    for response in (
        api_a.get(path),
        api_a.patch(path, {"name": "taken"}),
        api_a.post(path + "archive/"),
    ):
        assert response.status_code == 404
        assert response.json() == api_a.get("/api/v1/clients/999999999/").json()
    with firm_context(firm_b.firm):
        client = ClientOrganisation.objects.get(pk=firm_b.client.pk)
    assert client.name == firm_b.client.name and client.archived_at is None


def test_cursor_pages_are_stable_under_inserts(api_a, firm_a):
    for n in range(5):
        api_a.post("/api/v1/clients/", {**NEW, "name": f"Client {n}"})
    seen = []
    page = api_a.get("/api/v1/clients/", {"limit": 2}).json()
    seen += [c["id"] for c in page["results"]]
    api_a.post("/api/v1/clients/", {**NEW, "name": "Inserted meanwhile"})
    while page["next_cursor"]:
        page = api_a.get("/api/v1/clients/", {"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [c["id"] for c in page["results"]]
    with firm_context(firm_a.firm):
        everything = sorted(ClientOrganisation.objects.values_list("id", flat=True))
    assert seen == everything  # each once, in order, the late insert at the end


@pytest.mark.parametrize("cursor", ["!!!", "W10", "WyJ4Il0", "x" * 500, "WzFd" * 3])
def test_bad_cursor_or_limit_is_400(api_a, cursor):
    response = api_a.get("/api/v1/clients/", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_cursor"
    bad_limit = api_a.get("/api/v1/clients/", {"limit": "0"})
    assert bad_limit.status_code == 400 and bad_limit.json()["errors"][0]["field"] == "limit"


def test_list_queries_do_not_grow_with_rows(api_a, django_assert_max_num_queries):
    for n in range(30):
        api_a.post("/api/v1/clients/", {**NEW, "name": f"Client {n}"})
    # Firm, key, the scope settings and savepoints; the page itself is one query.
    with django_assert_max_num_queries(9):
        response = api_a.get("/api/v1/clients/", {"limit": 200})
    assert len(response.json()["results"]) == 32


def test_idempotency_key_replays_the_first_response(api_a, firm_a):
    first = api_a.post("/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="create-gamma")
    again = api_a.post("/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="create-gamma")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    with firm_context(firm_a.firm):
        assert ClientOrganisation.objects.filter(name="Gamma Bank").count() == 1
    other = api_a.post(
        "/api/v1/clients/", {**NEW, "name": "Delta"}, HTTP_IDEMPOTENCY_KEY="create-gamma"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    bad = api_a.post("/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_idempotency_key"


def test_idempotency_keys_are_per_api_key(api_a, firm_a):
    from .conftest import make_key

    _key, secret = make_key(firm_a, name="second")
    api_a.post("/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="same")
    response = ApiClient(secret).post(
        "/api/v1/clients/", {**NEW, "name": "Other"}, HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 201


def test_a_failed_write_keeps_no_idempotency_record(api_a, firm_a):
    bad = api_a.post("/api/v1/clients/", {**NEW, "industry": "mining"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert bad.status_code == 400
    # A 4xx is the response to this request: it is replayed, and a fixed body is a new request.
    assert (
        api_a.post(
            "/api/v1/clients/", {**NEW, "industry": "mining"}, HTTP_IDEMPOTENCY_KEY="k1"
        ).json()
        == bad.json()
    )
    assert api_a.post("/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="k1").status_code == 422


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_with_one_key_create_once(firm_a):
    from .conftest import make_key

    _key, secret = make_key(firm_a)
    results = []

    def send():
        try:
            response = ApiClient(secret).post(
                "/api/v1/clients/", NEW, HTTP_IDEMPOTENCY_KEY="parallel"
            )
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1 and results[0][0] == 201
    with firm_context(firm_a.firm):
        assert ClientOrganisation.objects.filter(name="Gamma Bank").count() == 1


def test_body_over_djangos_upload_limit_is_a_413_problem(api_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({**NEW, "name": "x" * 2000})
    response = api_a.post("/api/v1/clients/", big, HTTP_IDEMPOTENCY_KEY="big")
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_unknown_query_parameters_are_400_not_ignored(api_a):
    response = api_a.get("/api/v1/clients/", {"archivd": "true"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "archivd",
            "code": "unknown_parameter",
            "detail": response.json()["errors"][0]["detail"],
        }
    ]
    assert api_a.get("/api/v1/clients/", {"archived": "true", "limit": "5"}).status_code == 200
