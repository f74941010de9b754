"""Respondent emails on their way out: claim rows with a state, a stable Message-ID, outcomes
recorded after the send, and the sweep that resumes what a dead worker left. (The process-level
faults, SIGKILL and misbehaving SMTP servers, are in tests/faults.)"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Campaign, EmailLog, Respondent
from assessments.services.email_delivery import MAX_ATTEMPTS, email_message_id
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import all_firms, firm_context
from tests.helpers import add_people, new_campaign, person, wait_for


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_campaign(world, emails, **fields):
    campaign = new_campaign(world, name="Delivery", days=3, **fields)
    add_people(world, campaign, [person(e) for e in emails])
    services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
    return campaign


def queue_invitations(world, campaign) -> list[int]:
    items = [(pk, 0) for pk in campaign.respondents.values_list("pk", flat=True).order_by("pk")]
    return services.emails_queue(firm=world.firm, kind="invitation", items=items)


@pytest.mark.django_db(transaction=True)
def test_an_email_carries_its_claim_rows_stable_message_id(celery_worker, firm_a):
    with firm_context(firm_a.firm):
        open_campaign(firm_a, ["ann@client.example"])
    wait_for(lambda: len(mail.outbox) == 1)

    def row():
        with firm_context(firm_a.firm):
            return EmailLog.objects.get()

    wait_for(lambda: row().status == "sent")
    found = row()
    assert found.message_id == email_message_id(
        firm_id=firm_a.firm.pk, respondent_id=found.respondent_id, kind="invitation", sequence=0
    )
    assert found.message_id.endswith("@pmo.example>")
    assert mail.outbox[0].message()["Message-ID"] == found.message_id
    assert found.attempts == 1 and found.claimed_at <= found.sent_at


@pytest.mark.django_db
def test_a_row_past_queued_is_never_sent_again(firm_a):
    with firm_context(firm_a.firm):
        campaign = open_campaign(firm_a, ["bo@client.example"])
        (email_id,) = queue_invitations(firm_a, campaign)
        respondent = Respondent.objects.get()
        for status in ("sending", "sent", "unknown", "rejected", "failed", "cancelled"):
            EmailLog.objects.filter(pk=email_id).update(status=status)
            assert not services.respondent_email_send(
                firm=firm_a.firm, respondent_id=respondent.pk, kind="invitation", sequence=0
            )
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_that_cannot_be_built_fails_alone(firm_a):
    with firm_context(firm_a.firm):
        broken = open_campaign(firm_a, ["x@client.example"])
        fine = open_campaign(firm_a, ["y@client.example"])
        # A text that slipped past validation: the placeholder is unknown when it is filled.
        Campaign.objects.filter(pk=broken.pk).update(invitation_subject_en="Hi {nope}")
        ids = queue_invitations(firm_a, broken) + queue_invitations(firm_a, fine)
        assert services.respondent_emails_send_batch(firm=firm_a.firm, email_ids=ids) == 1
        statuses = dict(EmailLog.objects.values_list("respondent__email", "status"))
        assert statuses == {"x@client.example": "failed", "y@client.example": "sent"}
        assert "KeyError" in EmailLog.objects.get(status="failed").last_error
    assert [m.to for m in mail.outbox] == [["y@client.example"]]


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_server_defers_and_leaves_the_batch_to_the_sweep(firm_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Down", days=3)
        add_people(firm_a, campaign, [person("a@client.example"), person("b@client.example")])
        Campaign.objects.filter(pk=campaign.pk).update(status="open", opened_at=timezone.now())
        ids = queue_invitations(firm_a, campaign)
    assert services.respondent_emails_send_batch(firm=firm_a.firm, email_ids=ids) == 0
    with firm_context(firm_a.firm):
        first, second = EmailLog.objects.order_by("id")
        assert first.status == "queued" and first.attempts == 1
        assert "Connection refused" in first.last_error and first.due_at > timezone.now()
        assert second.attempts == 0  # the batch stopped: the server is not there
        EmailLog.objects.filter(pk=first.pk).update(
            attempts=MAX_ATTEMPTS - 1, due_at=timezone.now()
        )
    services.respondent_emails_send_batch(firm=firm_a.firm, email_ids=[first.pk])
    with firm_context(firm_a.firm):
        assert EmailLog.objects.get(pk=first.pk).status == "failed"


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_sweep_resumes_stranded_emails_and_queues_missing_invitations(firm_a, firm_b):
    long_ago = timezone.now() - timedelta(minutes=10)
    with firm_context(firm_a.firm):
        # Launched, but its fan-out never ran (this test's transaction never commits): the
        # invitations that should have gone out have no rows yet.
        campaign = open_campaign(firm_a, [f"p{i}@client.example" for i in range(3)])
        Respondent.objects.update(created_at=long_ago)
        Campaign.objects.filter(pk=campaign.pk).update(opened_at=long_ago)
        young = open_campaign(firm_a, ["new@client.example"])  # just opened: left to its fan-out
    with all_firms():
        assert selectors.firms_with_email_work() == [firm_a.firm.pk]
    with firm_context(firm_a.firm):
        OutboxTask.objects.all().delete()
        assert services.emails_resume(firm=firm_a.firm) == {
            "queued": 3,
            "republished": 0,
            "abandoned": 0,
        }
        (batch,) = OutboxTask.objects.filter(task_name="assessments.send_email_batch")
        rows = list(EmailLog.objects.order_by("id"))
        assert batch.kwargs["email_ids"] == [r.pk for r in rows]
        assert {r.respondent.campaign_id for r in rows} == {campaign.pk} != {young.pk}

        # A dead worker's leftovers: a queued row nobody started, one stuck in "sending".
        stranded, in_flight, done = rows
        EmailLog.objects.filter(pk=stranded.pk).update(due_at=long_ago)
        EmailLog.objects.filter(pk=in_flight.pk).update(status="sending", claimed_at=long_ago)
        EmailLog.objects.filter(pk=done.pk).update(status="sent", due_at=long_ago)
        OutboxTask.objects.all().delete()
        assert services.emails_resume(firm=firm_a.firm) == {
            "queued": 0,
            "republished": 1,
            "abandoned": 1,
        }
        (batch,) = OutboxTask.objects.filter(task_name="assessments.send_email_batch")
        assert batch.kwargs["email_ids"] == [stranded.pk]
        # Treated as sent: never resent, and the respondent counts as invited.
        closed = EmailLog.objects.get(pk=in_flight.pk)
        assert closed.status == "unknown" and closed.sent_at == long_ago
        assert Respondent.objects.get(pk=in_flight.respondent_id).sent_at is not None
        # Republished rows are due again from now: the next sweep leaves them alone.
        OutboxTask.objects.all().delete()
        assert services.emails_resume(firm=firm_a.firm)["republished"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_costs_a_few_queries_a_slice_not_any_per_email(firm_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.services.email_batch import CLAIM_SIZE

    counts = {}
    for slices in (1, 3):
        with firm_context(firm_a.firm):
            campaign = new_campaign(firm_a, name=f"Q{slices}", days=3)
            emails = [f"q{slices}-{i}@client.example" for i in range(CLAIM_SIZE * slices)]
            add_people(firm_a, campaign, [person(e) for e in emails])
            Campaign.objects.filter(pk=campaign.pk).update(status="open", opened_at=timezone.now())
            ids = queue_invitations(firm_a, campaign)
        with CaptureQueriesContext(connection) as queries:
            sent = services.respondent_emails_send_batch(firm=firm_a.firm, email_ids=ids)
        assert sent == len(emails)
        counts[slices] = len(queries)
    # Each further slice: one transaction that records the last slice and claims the next
    # (its firm setting, two updates of the sent, two locking reads and the claim's update).
    assert counts[3] - counts[1] <= 2 * 8, counts
    assert counts[1] <= 12 and counts[3] / (3 * CLAIM_SIZE) < 0.4, counts
    with firm_context(firm_a.firm):
        assert set(EmailLog.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 4 * CLAIM_SIZE
