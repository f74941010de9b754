"""Webhook delivery through the real worker (Redis, a Celery worker thread) to a real HTTP
receiver on 127.0.0.1: signatures verified with the `standardwebhooks` library, retries on a
(short) schedule with exactly one success, replay with the same webhook-id, 410 disabling the
endpoint, an endpoint failing too long disabled with its admins emailed, and the sweep."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts import services
from accounts.models import AuditEntry, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from accounts.tasks import webhook_sweep
from assessments import services as assessment_services
from assessments.models import Item
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person, wait_for
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def hooks(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1, 1]
    return settings


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def endpoint_for(world, url, events=("response.completed",)):
    with firm_context(world.firm):
        return services.webhook_endpoint_create(
            firm=world.firm, actor=world.owner, url=url, events=list(events)
        )


def submit_through_the_pages(client, world):
    """A launched campaign; its one respondent answers every statement and submits (the
    no-JavaScript form), as a real request whose transaction commits."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Webhook run")
        add_people(world, campaign, [person("ruth@client.example", "Ruth")])
        assessment_services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = campaign.respondents.get()
        token = assessment_services.respondent_token(respondent)
        items = list(Item.objects.filter(version=campaign.version))
    path = reverse("assessments:survey", args=[world.firm.slug, token])
    response = client.post(path, {**{f"item-{i.pk}": "4" for i in items}, "submit": "1"})
    assert response.status_code == 302
    return campaign


def deliveries(world):
    with firm_context(world.firm):
        return list(WebhookDelivery.objects.select_related("event").order_by("id"))


def attempts(world, delivery):
    with firm_context(world.firm):
        return list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))


def verify(endpoint, request):
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def test_response_completed_arrives_signed_once_after_two_failures_and_replays_same_id(
    client, hooks, receiver, celery_worker, firm_a
):
    receiver.statuses = [500, 503]
    endpoint = endpoint_for(firm_a, receiver.url)
    campaign = submit_through_the_pages(client, firm_a)
    wait_for(lambda: receiver.succeeded(), timeout=30)
    wait_for(lambda: deliveries(firm_a)[0].status == "succeeded", timeout=10)

    got = receiver.received()
    assert [r.status for r in got] == [500, 503, 200]
    ids = {r.headers["webhook-id"] for r in got}
    assert len(ids) == 1 and ids.pop().startswith("msg_")
    assert len({r.body for r in got}) == 1  # the payload snapshotted at emit time
    for request in got:
        event = verify(endpoint, request)
    assert event["type"] == "response.completed"
    assert event["data"]["campaign"]["id"] == campaign.pk
    assert event["data"]["responses"]["completed"] == 1
    assert "ruth@client.example" not in got[0].body.decode()  # anonymous by default

    (delivery,) = deliveries(firm_a)
    assert delivery.attempt_count == 3 and delivery.failures == 0
    log = attempts(firm_a, delivery)
    assert [a.status_code for a in log] == [500, 503, 200]
    assert all(a.response_excerpt == "ok" and a.duration_ms < 10_000 for a in log)

    # The schedule never sends a delivered one again.
    webhook_sweep()
    with firm_context(firm_a.firm):
        services.webhook_publish_due(firm=firm_a.firm)
    # A replay sends the same webhook-id and body again, freshly signed.
    with firm_context(firm_a.firm):
        services.webhook_delivery_replay(firm=firm_a.firm, actor=firm_a.owner, delivery=delivery)
    wait_for(lambda: len(receiver.received()) == 4, timeout=20)
    replayed = receiver.received()[3]
    assert replayed.headers["webhook-id"] == got[0].headers["webhook-id"]
    assert replayed.body == got[0].body and verify(endpoint, replayed)
    wait_for(lambda: deliveries(firm_a)[0].status == "succeeded", timeout=10)
    assert len(receiver.received()) == 4


def test_a_410_disables_the_endpoint_and_tells_the_admins(
    client, hooks, receiver, celery_worker, firm_a
):
    receiver.default = 410
    endpoint = endpoint_for(firm_a, receiver.url, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Gone")
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    wait_for(lambda: deliveries(firm_a)[0].status == "gave_up", timeout=20)
    with firm_context(firm_a.firm):
        endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
        assert AuditEntry.objects.filter(action="webhook.disabled").count() == 1
    assert not endpoint.enabled and endpoint.disabled_reason == "gone"
    assert len(receiver.received()) == 1
    wait_for(lambda: len(mail.outbox) == 1, timeout=20)
    (message,) = mail.outbox
    assert message.to == [firm_a.owner.email] and receiver.url in message.body
    # Later events are not delivered to a disabled endpoint.
    with firm_context(firm_a.firm):
        other = new_campaign(firm_a, name="Later")
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=other)
        assert WebhookDelivery.objects.count() == 1
    # Replaying the notice task sends nothing twice.
    from accounts.tasks import send_webhook_disabled_notice
    from tests.helpers import run_in_worker

    assert not run_in_worker(
        send_webhook_disabled_notice,
        firm_id=firm_a.firm.pk,
        endpoint_id=endpoint.pk,
        user_id=firm_a.owner.pk,
    )
    assert len(mail.outbox) == 1


def test_an_endpoint_failing_past_the_limit_is_disabled(
    client, hooks, receiver, celery_worker, firm_a
):
    hooks.WEBHOOK_DISABLE_AFTER = timedelta(seconds=2)
    hooks.WEBHOOK_RETRY_SCHEDULE = [2, 2, 2, 2]
    receiver.default = 500
    endpoint = endpoint_for(firm_a, receiver.url, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Failing")
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)

    def disabled():
        with firm_context(firm_a.firm):
            return not WebhookEndpoint.objects.get(pk=endpoint.pk).enabled

    wait_for(disabled, timeout=30)
    with firm_context(firm_a.firm):
        endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.disabled_reason == "failing" and endpoint.failing_since is not None
    assert 2 <= len(receiver.received()) <= 3
    wait_for(lambda: len(mail.outbox) == 1, timeout=20)
    # The delivery's next try finds the endpoint disabled and gives up without a request.
    wait_for(lambda: deliveries(firm_a)[0].status == "gave_up", timeout=20)
    sent = len(receiver.received())
    # Enabled again (by hand), the failed delivery can be replayed.
    with firm_context(firm_a.firm):
        services.webhook_endpoint_update(
            firm=firm_a.firm,
            actor=firm_a.owner,
            endpoint=endpoint,
            url=endpoint.url,
            events=endpoint.events,
            enabled=True,
        )
    receiver.default = 204
    with firm_context(firm_a.firm):
        assert services.webhook_replay_failed(
            firm=firm_a.firm, actor=firm_a.owner, endpoint=endpoint
        )
    wait_for(lambda: deliveries(firm_a)[0].status == "succeeded", timeout=20)
    assert len(receiver.received()) == sent + 1
    with firm_context(firm_a.firm):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_the_sweep_resends_a_delivery_whose_worker_died(hooks, receiver, celery_worker, firm_a):
    """A claim left by a dead worker (claimed, no outcome) is released by the sweep and sent."""
    hooks.WEBHOOK_CLAIM_STALE_AFTER = timedelta(seconds=1)
    endpoint = endpoint_for(firm_a, receiver.url, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        services.emit_event(firm=firm_a.firm, event_type="campaign.launched", payload={"x": 1})
        # The state a killed worker leaves: the row claimed (attempt 1), no attempt recorded.
        WebhookDelivery.objects.update(
            claim_token="dead", claimed_at=timezone.now(), attempt_count=1
        )
    time.sleep(1.5)  # the task published at commit ran and found the row claimed
    assert receiver.received() == []

    def swept_and_sent():
        webhook_sweep()  # what beat runs every 15 seconds
        return receiver.succeeded()

    wait_for(swept_and_sent, timeout=30, interval=1)
    wait_for(lambda: deliveries(firm_a)[0].status == "succeeded", timeout=10)
    (delivery,) = deliveries(firm_a)
    assert delivery.attempt_count == 2 and len(receiver.received()) == 1
    assert json.loads(receiver.received()[0].body)["data"] == {"x": 1}
    assert verify(endpoint, receiver.received()[0])


def test_a_slow_endpoint_times_out_and_is_retried(hooks, celery_worker, firm_a):
    hooks.WEBHOOK_TIMEOUT_SECONDS = 1
    slow = Receiver(delay=3).start()
    try:
        endpoint_for(firm_a, slow.url, events=["campaign.launched"])
        with firm_context(firm_a.firm):
            campaign = new_campaign(firm_a, name="Slow")
            assessment_services.campaign_launch(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign
            )

        def first_attempt():
            found = deliveries(firm_a)
            return found and attempts(firm_a, found[0])

        (attempt, *_rest) = wait_for(first_attempt, timeout=20)
        assert attempt.status_code is None and attempt.error_code == "timeout"
        assert attempt.duration_ms < 2500
    finally:
        slow.stop()


def test_operators_see_endpoints_and_deliveries_read_only_without_secrets(client, firm_a, firm_b):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    alpha = endpoint_for(firm_a, "https://alpha-hooks.example.com/", events=["report.ready"])
    endpoint_for(firm_b, "https://beta-hooks.example.com/", events=["report.ready"])
    with firm_context(firm_a.firm):
        services.webhook_send_test(firm=firm_a.firm, actor=firm_a.owner, endpoint=alpha)
    operator = User.objects.create_superuser("ops@pmo.example", "ops-pass-1234")
    TOTP.activate(operator, generate_totp_secret())
    client.force_login(operator)
    page = client.get("/admin/accounts/webhookendpoint/").content.decode()
    assert "alpha-hooks.example.com" in page and "beta-hooks.example.com" in page
    detail = client.get(f"/admin/accounts/webhookendpoint/{alpha.pk}/change/")
    assert detail.status_code == 200 and alpha.secret not in detail.content.decode()
    assert "alpha-hooks" in client.get("/admin/accounts/webhookdelivery/").content.decode()
    assert client.post(f"/admin/accounts/webhookendpoint/{alpha.pk}/delete/").status_code == 403


def test_old_settled_events_and_their_log_are_pruned(
    hooks, receiver, celery_worker, firm_a, firm_b
):
    from accounts.models import WebhookEvent
    from accounts.tasks import webhook_log_retention

    for world in (firm_a, firm_b):
        endpoint_for(world, receiver.url, events=["report.ready"])
        with firm_context(world.firm):
            for n in range(3):
                services.emit_event(firm=world.firm, event_type="report.ready", payload={"n": n})
    wait_for(lambda: len(receiver.succeeded()) == 6, timeout=20)
    old = timezone.now() - hooks.WEBHOOK_LOG_RETENTION - timedelta(days=1)
    with firm_context(firm_a.firm):
        first, second, _third = WebhookEvent.objects.order_by("id")
        WebhookEvent.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=old)
        # The first one is settled (delivered); the second still has a delivery to make.
        WebhookDelivery.objects.filter(event=second).update(status="failed")
    assert webhook_log_retention() == 1  # firm B has nothing old

    def pruned():
        with firm_context(firm_a.firm):
            return not WebhookEvent.objects.filter(pk=first.pk).exists()

    wait_for(pruned, timeout=20)
    with firm_context(firm_a.firm):
        assert WebhookEvent.objects.count() == 2
        assert WebhookDelivery.objects.filter(event=second).exists()
    with firm_context(firm_b.firm):
        assert WebhookEvent.objects.count() == 3


def test_a_retry_due_later_is_published_by_the_sweep_when_due(
    hooks, receiver, celery_worker, firm_a
):
    hooks.WEBHOOK_RETRY_SCHEDULE = [1800, 7200]  # 30 min: no countdown task, the sweep's turn
    receiver.statuses = [503]
    endpoint_for(firm_a, receiver.url, events=["campaign.launched"])
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Later retry")
        assessment_services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    wait_for(lambda: deliveries(firm_a)[0].status == "failed", timeout=20)
    (delivery,) = deliveries(firm_a)
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 1790 < wait <= 1800 and delivery.failures == 1
    webhook_sweep()  # not due yet: nothing is sent
    time.sleep(1.5)
    assert len(receiver.received()) == 1
    with firm_context(firm_a.firm):  # half an hour later
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    webhook_sweep()
    wait_for(lambda: deliveries(firm_a)[0].status == "succeeded", timeout=20)
    assert [r.status for r in receiver.received()] == [503, 200]
