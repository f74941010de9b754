"""Webhook endpoints through the API (`webhooks:manage`): register (the secret once), list, change,
rotate, delete, send a test event to a real receiver through the real worker, read the delivery
log, replay with the same webhook-id; state refusals are 409s."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from accounts.models import AuditEntry, WebhookEndpoint
from pmo_platform.tenancy import firm_context
from tests.helpers import wait_for
from tests.webhook_receiver import Receiver

from .conftest import ApiClient, make_key


@pytest.fixture
def hooks(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1, 1]
    return settings


@pytest.mark.django_db
def test_register_list_change_rotate_delete(api_a, firm_a):
    body = {"url": "https://hooks.alpha.example.com/pmo", "events": ["response.completed"]}
    created = api_a.post("/api/v1/webhooks/endpoints/", body)
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"] is True
    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}/"
    read = api_a.get(path).json()
    assert "secret" not in read and read["url"] == body["url"]
    listed = api_a.get("/api/v1/webhooks/endpoints/").json()["results"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    changed = api_a.patch(path, {"events": ["report.ready", "lead.created"], "enabled": False})
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert changed.json()["disabled_reason"] == "manual"
    rotated = api_a.post(path + "rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_") and rotated != endpoint["secret"]
    test = api_a.post(path + "test/")
    assert test.status_code == 409 and test.json()["code"] == "webhook_endpoint_disabled"
    assert api_a.delete(path).status_code == 204
    assert api_a.get(path).status_code == 404
    with firm_context(firm_a.firm):
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"} <= (
        actions
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"url": "ftp://x.example", "events": ["report.ready"]}, "url", "webhook_url_invalid"),
        (
            {"url": "https://127.0.0.1/x", "events": ["report.ready"]},
            "url",
            "webhook_url_not_allowed",
        ),
        ({"url": "https://x.example.com/", "events": ["nope"]}, "events.0", "invalid_choice"),
        ({"url": "https://x.example.com/", "events": "report.ready"}, "events", "not_a_list"),
        ({"url": 5, "events": ["report.ready"]}, "url", "wrong_type"),
    ],
)
def test_bad_endpoints_are_field_errors(api_a, firm_a, body, field, code):
    response = api_a.post("/api/v1/webhooks/endpoints/", body)
    assert response.status_code == 400
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}
    with firm_context(firm_a.firm):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_test_event_reaches_a_real_receiver_and_replay_keeps_the_webhook_id(
    hooks, celery_worker, firm_a
):
    receiver = Receiver(statuses=[500]).start()
    try:
        _key, secret = make_key(firm_a)
        api = ApiClient(secret)
        endpoint = api.post(
            "/api/v1/webhooks/endpoints/", {"url": receiver.url, "events": ["report.ready"]}
        ).json()
        path = f"/api/v1/webhooks/endpoints/{endpoint['id']}/"
        sent = api.post(path + "test/")
        assert sent.status_code == 202 and sent.json()["event_type"] == "webhook.test"
        wait_for(lambda: len(receiver.requests) >= 2, timeout=30)  # 500, then the retry's 200
        first, second = receiver.requests[:2]
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        Webhook(endpoint["secret"]).verify(second.body, second.headers)
        log = api.get(path + "deliveries/").json()["results"]
        wait_for(
            lambda: api.get(path + "deliveries/").json()["results"][0]["status"] == "succeeded",
            timeout=30,
        )
        log = api.get(path + "deliveries/").json()["results"]
        assert [a["status_code"] for a in log[0]["attempts"]] == [200, 500]
        replay = api.post(path + f"deliveries/{log[0]['id']}/replay/")
        assert replay.status_code == 202
        wait_for(lambda: len(receiver.requests) >= 3, timeout=30)
        assert receiver.requests[2].headers["webhook-id"] == first.headers["webhook-id"]
        nothing = api.post(path + "replay-failed/")
        assert nothing.status_code == 409 and nothing.json()["code"] == "webhook_nothing_to_replay"
    finally:
        receiver.stop()


@pytest.mark.django_db
def test_delivery_log_pages_newest_first_in_constant_queries(
    api_a, firm_a, django_assert_max_num_queries
):
    from accounts import services

    with firm_context(firm_a.firm):
        endpoint = services.webhook_endpoint_create(
            firm=firm_a.firm,
            actor=firm_a.owner,
            url="https://hooks.alpha.example.com/",
            events=["report.ready"],
        )
        ids = [
            services.webhook_send_test(firm=firm_a.firm, actor=firm_a.owner, endpoint=endpoint).pk
            for _ in range(25)
        ]
    path = f"/api/v1/webhooks/endpoints/{endpoint.pk}/deliveries/"
    seen, cursor = [], None
    while True:
        with django_assert_max_num_queries(14):
            page = api_a.get(path, {"limit": 10, **({"cursor": cursor} if cursor else {})}).json()
        seen += [d["id"] for d in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)
    bad = api_a.get(path, {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
