"""Webhook delivery under faults, with the real parts: a Celery worker process killed with
SIGKILL while the receiver holds its request, a second worker and the sweep taking over, and a
receiver on 127.0.0.1 that fails twice before it accepts."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from accounts import services
from accounts.models import WebhookAttempt, WebhookDelivery
from accounts.tasks import deliver_webhook, webhook_sweep
from assessments import services as assessment_services
from assessments.models import Item
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person, wait_for
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

WORKER_ENV = {
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    "WEBHOOK_RETRY_SCHEDULE": "2,2,2,2,2",
    "WEBHOOK_CLAIM_STALE_AFTER_SECONDS": "3",
}


def delivery_of(world) -> WebhookDelivery:
    with firm_context(world.firm):
        return WebhookDelivery.objects.select_related("event").get()


def finished_tasks(worker) -> int:
    return sum(
        1
        for line in worker.log().splitlines()
        if "Task accounts.deliver_webhook[" in line and "succeeded" in line
    )


def test_one_success_per_event_after_two_failures_and_a_killed_worker(
    faults, client, settings, firm_a
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_CLAIM_STALE_AFTER = timedelta(seconds=3)  # the sweep, run by this test
    # First answer: 500 at once. Second: held for 6 s (the worker is killed meanwhile), then 500
    # into a dead connection. Then 200.
    receiver = Receiver(statuses=[500, 500], delays=[0, 6]).start()
    try:
        with firm_context(firm_a.firm):
            endpoint = services.webhook_endpoint_create(
                firm=firm_a.firm,
                actor=firm_a.owner,
                url=receiver.url,
                events=["response.completed"],
            )
            campaign = new_campaign(firm_a, name="Faulty hooks")
            add_people(firm_a, campaign, [person("kim@client.example", "Kim")])
            assessment_services.campaign_launch(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign
            )
            respondent = campaign.respondents.get()
            token = assessment_services.respondent_token(respondent)
            items = list(Item.objects.filter(version=campaign.version))
        first = faults.worker(None, **WORKER_ENV)
        path = reverse("assessments:survey", args=[firm_a.firm.slug, token])
        response = client.post(path, {**{f"item-{i.pk}": "4" for i in items}, "submit": "1"})
        assert response.status_code == 302

        # The first attempt fails; the retry (2 s later) is in flight when the worker dies.
        wait_for(lambda: len(receiver.received()) == 2, timeout=60, interval=0.02)
        first.kill()
        killed_at = time.monotonic()
        held = delivery_of(firm_a)
        assert held.claimed_at is not None and held.attempt_count == 2  # claimed, no outcome

        second = faults.worker(None, **WORKER_ENV)

        def delivered():
            webhook_sweep()  # what beat runs every 15 seconds
            return receiver.succeeded()

        wait_for(delivered, timeout=90, interval=1)
        recovered_after = time.monotonic() - killed_at
        assert recovered_after < 60, f"delivered only {recovered_after:.0f}s after the kill"
        wait_for(lambda: delivery_of(firm_a).status == "succeeded", timeout=20)

        got = receiver.received()
        assert [r.status for r in got] == [500, 500, 200]
        assert len(receiver.succeeded()) == 1
        assert len({r.headers["webhook-id"] for r in got}) == 1
        assert len({r.body for r in got}) == 1
        for request in got:
            data = Webhook(endpoint.secret).verify(request.body, request.headers)
        assert data["type"] == "response.completed"
        assert data["data"]["campaign"]["id"] == campaign.pk

        delivery = delivery_of(firm_a)
        assert delivery.attempt_count == 3
        with firm_context(firm_a.firm):
            log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
        # The killed worker's attempt left no log row: only what was recorded is shown.
        assert [a.status_code for a in log] == [500, 200]

        # The dead worker's task comes back when Redis' visibility timeout runs out (an hour),
        # and the sweep runs again: nothing is sent twice.
        with firm_context(firm_a.firm):
            enqueue(deliver_webhook, firm_id=firm_a.firm.pk, delivery_id=delivery.pk, attempt=1)
            enqueue(deliver_webhook, firm_id=firm_a.firm.pk, delivery_id=delivery.pk, attempt=2)
        webhook_sweep()
        wait_for(lambda: finished_tasks(second) >= 3, timeout=30, interval=0.5)
        time.sleep(1)
        assert len(receiver.received()) == 3
        print(
            f"\nwebhook delivered {recovered_after:.1f}s after the worker was killed "
            f"(stale claims are released after 3 s here, {settings.WEBHOOK_CLAIM_STALE_AFTER})"
        )
    finally:
        receiver.stop()


def test_a_slow_endpoint_does_not_delay_another_endpoint(faults, settings, firm_a):
    """Each delivery is its own task: with two workers, a receiver that takes 8 s to answer
    holds one of them while the other endpoint gets its event at once."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    slow = Receiver(delay=8).start()
    fast = Receiver().start()
    try:
        with firm_context(firm_a.firm):
            for receiver in (slow, fast):  # the slow endpoint's delivery is published first
                services.webhook_endpoint_create(
                    firm=firm_a.firm,
                    actor=firm_a.owner,
                    url=receiver.url,
                    events=["campaign.launched"],
                )
        faults.worker(None, **WORKER_ENV)
        faults.worker(None, **WORKER_ENV)
        with firm_context(firm_a.firm):
            campaign = new_campaign(firm_a, name="Two endpoints")
            assessment_services.campaign_launch(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign
            )
        launched = time.monotonic()
        wait_for(lambda: fast.succeeded(), timeout=30, interval=0.02)
        fast_after = time.monotonic() - launched
        assert slow.received(), "the slow endpoint's request was sent too"
        assert fast_after < 5, f"the fast endpoint waited {fast_after:.1f}s"

        def both_delivered():
            with firm_context(firm_a.firm):
                return set(WebhookDelivery.objects.values_list("status", flat=True)) == {
                    "succeeded"
                }

        wait_for(both_delivered, timeout=30, interval=0.5)
        print(f"\nfast endpoint served {fast_after:.2f}s after the event; the slow one takes 8 s")
    finally:
        slow.stop()
        fast.stop()
