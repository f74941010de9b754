"""The database unreachable during a request (an outage, a failover): a 503 with Retry-After, a
page for people and the API's problem shape for integrations, never a 500; the next request
after it works again. The outage is real: the application role's connection is closed and
pointed at a port nothing listens on, so every connect is refused."""

import pytest
from django.db import connection
from django.test import Client

from tests.api.conftest import ApiClient, make_key


class Outage:
    """Takes the application role's database away (`down()`) and brings it back (`up()`)."""

    def __init__(self):
        self.port = connection.settings_dict["PORT"]

    def down(self):
        connection.close()
        connection.settings_dict["PORT"] = "1"

    def up(self):
        connection.close()
        connection.settings_dict["PORT"] = self.port


@pytest.fixture
def outage():
    outage = Outage()
    try:
        yield outage
    finally:
        outage.up()


@pytest.mark.django_db(transaction=True)
def test_pages_and_the_api_answer_503_while_the_database_is_down(firm_a, outage):
    slug = firm_a.firm.slug
    consultant = Client(raise_request_exception=False)
    consultant.force_login(firm_a.owner)
    respondent = Client(raise_request_exception=False)
    _key, secret = make_key(firm_a)
    api = ApiClient(secret, raise_request_exception=False)
    pages = {
        "consultant": (consultant, f"/f/{slug}/campaigns/"),
        "respondent": (respondent, f"/f/{slug}/s/{'x' * 43}/"),
    }
    assert api.get("/api/v1/clients/").status_code == 200
    for client, path in pages.values():
        assert client.get(path).status_code in (200, 404)

    outage.down()
    for name, (client, path) in pages.items():
        response = client.get(path)
        assert response.status_code == 503, name
        assert response["Retry-After"] == "30"
        assert "Temporarily unavailable" in response.content.decode()
        assert "Tillfälligt otillgängligt" in response.content.decode()
    answer = respondent.post(
        f"/f/{slug}/s/{'x' * 43}/answer/", {"item": 1, "value": 3}, content_type="application/json"
    )
    assert answer.status_code == 503
    response = api.get("/api/v1/clients/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "service_unavailable"
    health = Client().get("/health/")
    assert health.status_code == 503 and health.json()["database"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_the_outage_works(firm_a, outage):
    client = Client(raise_request_exception=False)
    client.force_login(firm_a.owner)
    path = f"/f/{firm_a.firm.slug}/campaigns/"
    assert client.get(path).status_code == 200
    outage.down()
    assert client.get(path).status_code == 503
    outage.up()
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_other_errors_stay_a_500(client, firm_a, monkeypatch):
    """Only a lost database is a 503: a bug is still a 500 (its own page, logged)."""
    from accounts import middleware

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(middleware, "firm_access", broken)
    client.raise_request_exception = False
    client.force_login(firm_a.owner)
    response = client.get(f"/f/{firm_a.firm.slug}/campaigns/")
    assert response.status_code == 500
    assert "Retry-After" not in response
