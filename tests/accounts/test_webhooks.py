"""Webhook endpoints, events and payloads without a worker: the pages (secret shown once, edit,
rotate, delete, test event, replay), URL rules and the SSRF guard, what each event carries
(anonymity), emission in the change's transaction, and constant query counts."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from standardwebhooks import Webhook

from accounts import services
from accounts.error_codes import AccountsErrorCode as Code
from accounts.models import (
    AuditEntry,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from accounts.services.webhook_delivery import event_body, signed_headers
from assessments import services as assessment_services
from assessments.models import Campaign, Item, Respondent
from pmo_platform import outbound
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, message_codes, new_campaign, person
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
ALL_EVENTS = [
    "response.completed",
    "lead.created",
    "campaign.launched",
    "campaign.closed",
    "report.ready",
    "invitation.bounced",
]


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    return settings


def endpoint_of(world, url="https://hooks.example.com/pmo", events=None, **fields):
    with firm_context(world.firm):
        return services.webhook_endpoint_create(
            firm=world.firm, actor=world.owner, url=url, events=events or ALL_EVENTS, **fields
        )


def webhook_url(name, world, **ids):
    return reverse(f"accounts:{name}", kwargs={"firm_slug": world.firm.slug, **ids})


def submitted(world, *, anonymous=True, **person_fields):
    """A launched campaign with one identifiable respondent who has submitted every answer."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Hooks", anonymous=anonymous)
        add_people(world, campaign, [person("rita.r@client.example", "Rita Ros", **person_fields)])
        assessment_services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = Respondent.objects.select_related("campaign").get(campaign=campaign)
        campaign = respondent.campaign
        for item in Item.objects.filter(version=campaign.version):
            assessment_services.answer_save(
                firm=world.firm, respondent=respondent, item_id=item.pk, value=4
            )
        assessment_services.respondent_submit(firm=world.firm, respondent=respondent)
        return campaign, Respondent.objects.get(pk=respondent.pk)


def fresh(world, obj):
    with firm_context(world.firm):
        return type(obj).objects.get(pk=obj.pk)


def events_of(world, event_type):
    with firm_context(world.firm):
        return list(WebhookEvent.objects.filter(type=event_type).order_by("id"))


# --- Pages ----------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_audits(client, firm_a):
    client.force_login(firm_a.owner)
    response = client.post(
        webhook_url("webhook_create", firm_a),
        {
            "url": "https://crm.example.com/hooks",
            "description": "CRM",
            "events": ["response.completed", "report.ready"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        endpoint = WebhookEndpoint.objects.get()
        assert AuditEntry.objects.filter(action="webhook.created", target_id=endpoint.pk).exists()
    assert endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret.removeprefix("whsec_"))) == 32
    assert endpoint.events == ["response.completed", "report.ready"] and endpoint.enabled
    first = client.get(response["Location"])
    assert endpoint.secret.encode() in first.content
    again = client.get(response["Location"])
    assert again.status_code == 200 and endpoint.secret.encode() not in again.content
    # The list shows the endpoint; the secret never.
    listing = client.get(webhook_url("webhook_list", firm_a))
    assert b"crm.example.com" in listing.content and endpoint.secret.encode() not in listing.content


def test_create_refuses_bad_urls_and_events_with_codes(client, firm_a):
    client.force_login(firm_a.owner)
    cases = {
        "http://crm.example.com/hooks": Code.WEBHOOK_URL_INVALID,  # https only
        "https://user:pw@crm.example.com/": Code.WEBHOOK_URL_INVALID,
        "https://" + "a" * 1000 + ".example.com/": Code.WEBHOOK_URL_INVALID,
        "ftp://crm.example.com/": Code.WEBHOOK_URL_INVALID,
        "https://127.0.0.1/hooks": Code.WEBHOOK_URL_NOT_ALLOWED,
        "https://10.1.2.3/": Code.WEBHOOK_URL_NOT_ALLOWED,
        "https://169.254.169.254/latest/meta-data/": Code.WEBHOOK_URL_NOT_ALLOWED,
        "https://[::1]/": Code.WEBHOOK_URL_NOT_ALLOWED,
        "https://[::ffff:127.0.0.1]/": Code.WEBHOOK_URL_NOT_ALLOWED,
        "https://localhost/": Code.WEBHOOK_URL_NOT_ALLOWED,
    }
    for url, code in cases.items():
        with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
            services.webhook_endpoint_create(
                firm=firm_a.firm, actor=firm_a.owner, url=url, events=["report.ready"]
            )
        assert exc.value.error_dict["url"][0].code == code, url
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        services.webhook_endpoint_create(
            firm=firm_a.firm, actor=firm_a.owner, url="https://a.example.com/", events=[]
        )
    assert exc.value.error_dict["events"][0].code == Code.WEBHOOK_EVENTS_REQUIRED
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        services.webhook_endpoint_create(
            firm=firm_a.firm,
            actor=firm_a.owner,
            url="https://a.example.com/",
            events=["webhook.test"],  # not subscribable
        )
    assert exc.value.error_dict["events"][0].code == Code.WEBHOOK_EVENT_UNKNOWN
    response = client.post(
        webhook_url("webhook_create", firm_a),
        {"url": "https://10.0.0.1/", "events": ["report.ready"]},
    )
    assert response.status_code == 400
    with firm_context(firm_a.firm):
        assert not WebhookEndpoint.objects.exists()


def test_private_targets_allowed_only_by_the_setting(allow_private, firm_a):
    endpoint = endpoint_of(firm_a, url="http://127.0.0.1:9/hooks")
    assert endpoint.url == "http://127.0.0.1:9/hooks"
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        services.webhook_endpoint_create(
            firm=firm_a.firm, actor=None, url="http://169.254.169.254/", events=["report.ready"]
        )
    assert exc.value.error_dict["url"][0].code == Code.WEBHOOK_URL_NOT_ALLOWED


def test_edit_disable_enable_rotate_test_event_and_delete(client, firm_a):
    endpoint = endpoint_of(firm_a)
    old_secret = endpoint.secret
    client.force_login(firm_a.owner)
    ids = {"endpoint_id": endpoint.pk}
    response = client.post(
        webhook_url("webhook_edit", firm_a, **ids),
        {"url": endpoint.url, "description": "BI", "events": ["report.ready"]},
    )
    assert response.status_code == 302
    endpoint = fresh(firm_a, endpoint)
    assert not endpoint.enabled and endpoint.disabled_reason == "manual"
    assert endpoint.events == ["report.ready"] and endpoint.description == "BI"
    # A disabled endpoint gets no test event.
    response = client.post(webhook_url("webhook_test", firm_a, **ids), follow=True)
    assert Code.WEBHOOK_ENDPOINT_DISABLED in message_codes(response)
    client.post(
        webhook_url("webhook_edit", firm_a, **ids),
        {"url": endpoint.url, "events": ["report.ready"], "enabled": "on"},
    )
    endpoint = fresh(firm_a, endpoint)
    assert endpoint.enabled and endpoint.disabled_at is None and endpoint.disabled_reason == ""

    response = client.post(webhook_url("webhook_rotate", firm_a, **ids))
    endpoint = fresh(firm_a, endpoint)
    assert endpoint.secret != old_secret and endpoint.previous_secret == old_secret
    shown = client.get(response["Location"])
    assert endpoint.secret.encode() in shown.content and old_secret.encode() not in shown.content

    client.post(webhook_url("webhook_test", firm_a, **ids))
    with firm_context(firm_a.firm):
        delivery = WebhookDelivery.objects.get()
        assert delivery.event.type == "webhook.test" and delivery.endpoint_id == endpoint.pk
        assert OutboxTask.objects.filter(
            task_name="accounts.deliver_webhook", kwargs__delivery_id=delivery.pk
        ).exists()
    client.post(webhook_url("webhook_delete", firm_a, **ids))
    with firm_context(firm_a.firm):
        assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.test_sent",
        "webhook.deleted",
    } <= actions


def test_during_rotation_both_secrets_sign(firm_a):
    endpoint = endpoint_of(firm_a)
    old = endpoint.secret
    with firm_context(firm_a.firm):
        endpoint = services.webhook_endpoint_rotate_secret(
            firm=firm_a.firm, actor=firm_a.owner, endpoint=endpoint
        )
        event = WebhookEvent.objects.create(
            firm=firm_a.firm, msg_id="msg_rotation", type="report.ready", payload={"a": 1}
        )
    body = event_body(event)
    headers = signed_headers(endpoint=endpoint, event=event, body=body, at=datetime.now(tz=UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, endpoint.secret):
        assert Webhook(secret).verify(body, headers)["data"] == {"a": 1}


def test_replay_one_and_all_failed(client, firm_a):
    endpoint = endpoint_of(firm_a, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Replay")
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status="gave_up", failures=8, attempt_count=8, next_attempt_at=None
        )
        OutboxTask.objects.all().delete()
    client.force_login(firm_a.owner)
    ids = {"endpoint_id": endpoint.pk}
    client.post(webhook_url("webhook_replay", firm_a, delivery_id=delivery.pk, **ids))
    with firm_context(firm_a.firm):
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.failures == 0
        task = OutboxTask.objects.get(task_name="accounts.deliver_webhook")
        assert task.kwargs == {"firm_id": firm_a.firm.pk, "delivery_id": delivery.pk, "attempt": 8}
        assert AuditEntry.objects.filter(action="webhook.replayed").exists()
    # Nothing failed now: "replay all failed" says so.
    response = client.post(webhook_url("webhook_replay_failed", firm_a, **ids), follow=True)
    assert Code.WEBHOOK_NOTHING_TO_REPLAY in message_codes(response)
    with firm_context(firm_a.firm):
        WebhookDelivery.objects.update(status="failed")
    client.post(webhook_url("webhook_replay_failed", firm_a, **ids))
    with firm_context(firm_a.firm):
        assert WebhookDelivery.objects.get().status == "pending"
        assert AuditEntry.objects.filter(action="webhook.replayed_failed").exists()


# --- Emission -------------------------------------------------------------------------------


def test_an_event_and_its_deliveries_are_written_with_the_change_or_not_at_all(firm_a, firm_b):
    wanted = endpoint_of(firm_a, events=["campaign.launched"])
    endpoint_of(firm_a, url="https://other.example.com/", events=["report.ready"])
    endpoint_of(firm_a, url="https://off.example.com/", enabled=False)
    endpoint_of(firm_b, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Atomic")
    with pytest.raises(RuntimeError), firm_context(firm_a.firm):
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        raise RuntimeError("the change fails after the event was emitted")
    with firm_context(firm_a.firm):
        assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        (delivery,) = WebhookDelivery.objects.select_related("event")
        assert delivery.endpoint_id == wanted.pk and delivery.event.type == "campaign.launched"
        assert delivery.event.msg_id.startswith("msg_") and delivery.status == "pending"
        assert delivery.event.payload["campaign"]["id"] == campaign.pk
        assert OutboxTask.objects.filter(task_name="accounts.deliver_webhook").count() == 1
    with firm_context(firm_b.firm):
        assert not WebhookDelivery.objects.exists()


def test_emit_event_takes_known_types_only(firm_a):
    endpoint_of(firm_a, events=["report.ready"])
    with firm_context(firm_a.firm):
        event = services.emit_event(
            firm=firm_a.firm, event_type="report.ready", payload={"report": {"id": 1}}
        )
        assert event is not None
        with pytest.raises(ValueError):
            services.emit_event(firm=firm_a.firm, event_type="no.such", payload={})


IDENTITY = ["rita.r@client.example", "Rita Ros", "leadership", "Finance"]


def test_anonymous_campaign_events_carry_no_identity_or_scores(firm_a):
    endpoint_of(firm_a)
    campaign, respondent = submitted(firm_a, role_level="leadership", department="Finance")
    assert respondent.result["overall"] is not None  # identifiable data is in the database
    (event,) = events_of(firm_a, "response.completed")
    body = event_body(event)
    for value in IDENTITY:
        assert value not in body
    data = json.loads(body)["data"]
    assert set(data) == {"campaign", "responses"}
    assert data["campaign"] == {
        "id": campaign.pk,
        "client_id": campaign.client_id,
        "name": campaign.name,
        "anonymous": True,
    }
    assert data["responses"] == {
        "invited": 1,
        "completed": 1,
        "open_link_completed": 0,
        "response_rate": 100,
    }
    assert str(respondent.result["overall"]) not in body
    with firm_context(firm_a.firm):
        assessment_services.respondent_bounced(
            firm=firm_a.firm, respondent_id=respondent.pk, recipient="rita.r@client.example"
        )
    (bounce,) = events_of(firm_a, "invitation.bounced")
    bounce_body = event_body(bounce)
    for value in IDENTITY:
        assert value not in bounce_body
    assert json.loads(bounce_body)["data"]["respondent"] == {"id": respondent.pk}


def test_non_anonymous_campaign_events_carry_identity_and_scores(firm_a):
    endpoint_of(firm_a)
    _campaign, respondent = submitted(
        firm_a, anonymous=False, role_level="leadership", department="Finance"
    )
    (event,) = events_of(firm_a, "response.completed")
    data = json.loads(event_body(event))["data"]
    assert data["respondent"]["email"] == "rita.r@client.example"
    assert data["respondent"]["role_level"] == "leadership"
    assert data["scores"]["overall"] == respondent.result["overall"]
    assert set(data["scores"]["dimensions"]) == set(respondent.result["dimensions"])


def test_lead_with_consent_carries_identity_and_scores(firm_a):
    endpoint_of(firm_a, events=["lead.created", "response.completed"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Open", open_link=True)
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        respondent, _token = assessment_services.open_link_start(
            firm=firm_a.firm, campaign=Campaign.objects.get(pk=campaign.pk), language="en"
        )
        for item in Item.objects.filter(version=campaign.version):
            assessment_services.answer_save(
                firm=firm_a.firm, respondent=respondent, item_id=item.pk, value=2
            )
        assessment_services.respondent_submit(firm=firm_a.firm, respondent=respondent)
        assessment_services.lead_capture(
            firm=firm_a.firm,
            respondent=Respondent.objects.get(pk=respondent.pk),
            email="lena@lead.example",
            name="Lena",
            consent=True,
            followup_opt_in=True,
        )
    (completed,) = events_of(firm_a, "response.completed")
    assert json.loads(event_body(completed))["data"]["responses"]["open_link_completed"] == 1
    (lead,) = events_of(firm_a, "lead.created")
    data = lead.payload
    assert data["lead"]["email"] == "lena@lead.example" and data["lead"]["consent_at"]
    assert data["scores"]["overall"] is not None


def test_campaign_closed_and_report_ready(firm_a):
    from reports import services as report_services

    endpoint_of(firm_a)
    campaign, _respondent = submitted(firm_a)
    with firm_context(firm_a.firm):
        assessment_services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        report = report_services.report_request(
            firm=firm_a.firm, campaign=campaign, trigger="requested"
        )
        report_services.report_build(firm=firm_a.firm, report_id=report.pk)
    (closed,) = events_of(firm_a, "campaign.closed")
    assert closed.payload["campaign"]["status"] == "closed"
    assert closed.payload["campaign"]["closed_at"]
    (ready,) = events_of(firm_a, "report.ready")
    # One response is below the minimum group size: no score leaves with the event.
    assert ready.payload["report"]["id"] == report.pk
    assert ready.payload["report"]["suppressed"] is True
    assert ready.payload["report"]["overall"] is None


# --- The SSRF guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:0001::1",  # 6to4 of 127.0.0.1
    ],
)
def test_address_guard_refuses_non_public_addresses(address):
    assert not outbound.address_allowed(address, allow_private=False)


def test_address_guard_admits_public_and_with_the_setting_loopback_only():
    assert outbound.address_allowed("93.184.216.34", allow_private=False)
    assert outbound.address_allowed("2606:2800:220:1:248:1893:25c8:1946", allow_private=False)
    assert outbound.address_allowed("127.0.0.1", allow_private=True)
    assert outbound.address_allowed("::1", allow_private=True)
    assert outbound.address_allowed("10.0.0.1", allow_private=True)
    for address in ("169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"):
        assert not outbound.address_allowed(address, allow_private=True)


def test_names_are_resolved_and_their_address_checked():
    target = outbound.Target("https", "localhost", 443, "/")
    with pytest.raises(outbound.Refused) as exc:
        outbound.resolve(target, allow_private=False)
    assert exc.value.code == outbound.ADDRESS_REFUSED
    assert outbound.resolve(target, allow_private=True) in ("127.0.0.1", "::1")
    with pytest.raises(outbound.Refused) as exc:
        outbound.resolve(
            outbound.Target("https", "no-such-host.invalid", 443, "/"), allow_private=True
        )
    assert exc.value.code == outbound.DNS


def test_nothing_reaches_a_loopback_receiver_unless_allowed():
    receiver = Receiver().start()
    try:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            for scheme_url in (url, url.replace("http://", "https://")):
                response = outbound.post(
                    scheme_url, b"{}", {}, timeout=2, allow_private=False, max_length=1000
                )
                assert response.status is None
                assert response.error_code in (outbound.INVALID_URL, outbound.ADDRESS_REFUSED)
        assert receiver.received() == []
        # Allowed: the name is resolved once, the checked address connected to, and the Host
        # header stays the name.
        named = receiver.url.replace("127.0.0.1", "localhost")
        response = outbound.post(named, b"{}", {}, timeout=2, allow_private=True)
        if response.error_code == outbound.CONNECTION:  # localhost resolved to ::1 first
            pytest.skip("localhost resolves to IPv6 here")
        assert response.status == 200
        (got,) = receiver.received()
        assert got.headers["host"] == f"localhost:{receiver.server.server_address[1]}"
    finally:
        receiver.stop()


def test_redirects_are_not_followed_and_excerpts_are_sanitised():
    receiver = Receiver(statuses=[302], body=b"moved\x00\x1b[31m" + b"x" * 3000).start()
    try:
        response = outbound.post(receiver.url, b"{}", {}, timeout=2, allow_private=True)
        assert response.status == 302 and len(receiver.received()) == 1
        assert "\x00" not in response.excerpt and "\x1b" not in response.excerpt
        assert response.excerpt.startswith("moved") and len(response.excerpt) <= 1024
    finally:
        receiver.stop()


def test_a_slow_receiver_is_cut_off_at_the_timeout():
    receiver = Receiver(delay=3).start()
    try:
        response = outbound.post(receiver.url, b"{}", {}, timeout=1, allow_private=True)
        assert response.status is None and response.error_code == outbound.TIMEOUT
        assert response.duration_ms < 2000
    finally:
        receiver.stop()


# --- Query counts ---------------------------------------------------------------------------


def _deliveries(world, endpoint, count):
    with firm_context(world.firm):
        for _n in range(count):
            event = WebhookEvent.objects.create(
                firm=world.firm, msg_id=f"msg_{uuid.uuid4().hex}", type="report.ready", payload={}
            )
            delivery = WebhookDelivery.objects.create(
                firm=world.firm, event=event, endpoint=endpoint, status="failed"
            )
            for number in (1, 2):
                WebhookAttempt.objects.create(
                    firm=world.firm,
                    delivery=delivery,
                    number=number,
                    attempted_at=datetime.now(tz=UTC),
                    status_code=500,
                    response_excerpt="boom",
                )


def test_list_and_detail_pages_take_a_constant_number_of_queries(
    client, firm_a, django_assert_max_num_queries
):
    client.force_login(firm_a.owner)
    first = endpoint_of(firm_a)
    _deliveries(firm_a, first, 1)
    with django_assert_max_num_queries(30) as small_list:
        assert client.get(webhook_url("webhook_list", firm_a)).status_code == 200
    detail = webhook_url("webhook_detail", firm_a, endpoint_id=first.pk)
    with django_assert_max_num_queries(30) as small_detail:
        assert client.get(detail).status_code == 200
    for n in range(5):
        _deliveries(firm_a, endpoint_of(firm_a, url=f"https://h{n}.example.com/"), 2)
    _deliveries(firm_a, first, 12)
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        page = client.get(webhook_url("webhook_list", firm_a))
    assert page.content.count(b"h4.example.com") == 1
    with django_assert_max_num_queries(len(small_detail.captured_queries)):
        page = client.get(detail)
    assert page.content.count(b"boom") == 26


def test_private_targets_outside_development_are_a_deploy_warning(settings):
    from django.core.checks import run_checks

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.DEVELOPMENT = False
    found = [m for m in run_checks(include_deployment_checks=True) if m.id == "pmo.W001"]
    assert len(found) == 1 and "SSRF" in found[0].msg
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    assert "pmo.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}


def test_erasing_a_person_erases_them_from_stored_events(firm_a):
    endpoint_of(firm_a)
    _campaign, respondent = submitted(firm_a, anonymous=False, role_level="leadership")
    (event,) = events_of(firm_a, "response.completed")
    assert "rita.r@client.example" in event_body(event)
    with firm_context(firm_a.firm):
        assessment_services.person_erase(
            firm=firm_a.firm, actor=firm_a.owner, email="rita.r@client.example"
        )
    (event,) = events_of(firm_a, "response.completed")
    body = event_body(event)  # what a replay would send now
    for value in ("rita.r@client.example", "Rita Ros", "leadership", '"scores"'):
        assert value not in body
    assert event.payload["respondent"] == {"id": respondent.pk, "erased": True}


def test_https_sends_the_host_name_as_sni_and_checks_the_certificate(tmp_path):
    """A TLS server on 127.0.0.1 with a self-signed certificate for `localhost`: the request to
    https://localhost:<port>/ connects to the checked address, names `localhost` in the TLS
    handshake (SNI), and refuses the certificate no public authority signed."""
    import contextlib
    import socket
    import ssl
    import subprocess
    import threading

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_one():
        conn, _addr = listener.accept()
        with contextlib.suppress(ssl.SSLError, OSError):  # the client refuses the certificate
            context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        response = outbound.post(
            f"https://localhost:{port}/hooks", b"{}", {}, timeout=3, allow_private=True
        )
    finally:
        thread.join(timeout=5)
        listener.close()
    if not server_names and response.error_code == outbound.CONNECTION:
        pytest.skip("localhost resolves to IPv6 first here")
    assert server_names == ["localhost"]
    assert response.status is None and response.error_code == outbound.TLS
    assert "CERTIFICATE_VERIFY_FAILED" in response.error
