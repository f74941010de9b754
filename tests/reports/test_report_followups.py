"""Issue 9 follow-ups in reports: report-ready emails (archived clients' executives, links that
survive a rebuild), the campaign's "reported" step through a service with an audit entry, and
concurrent report requests on their own connections."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditEntry
from assessments.models import Campaign
from pmo_platform.tenancy import firm_context
from reports import selectors, services
from reports.models import Report

from .helpers import build, campaign_with

GROUPS = [("leadership", 5, 4), ("team_member", 5, 2)]


def _notify(world, report, user):
    return services.report_notice_send(firm=world.firm, report_id=report.pk, user_id=user.pk)


@pytest.mark.django_db
def test_the_emailed_link_still_leads_to_the_report_after_a_rebuild(client, firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    first = build(firm_a, campaign)
    assert _notify(firm_a, first, firm_a.executive)
    (message,) = mail.outbox
    link = re.search(r"https?://\S+", message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert path == reverse(
        "reports:portal_campaign", args=[firm_a.firm.slug, firm_a.client.pk, campaign.pk]
    )
    second = build(firm_a, campaign, close=False)  # "Rebuild now" on the closed campaign
    assert second.number == first.number + 1
    client.force_login(firm_a.executive)
    response = client.get(path)
    assert response.status_code == 200  # the snapshot link 404ed here
    assert response.context["report"].pk == second.pk
    # The first snapshot is not shown any more (the portal shows the newest only).
    old = reverse("reports:portal_report", args=[firm_a.firm.slug, firm_a.client.pk, first.pk])
    assert client.get(old).status_code == 404


@pytest.mark.django_db
def test_the_campaign_link_shows_nothing_of_an_open_campaign_or_another_client(client, firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    build(firm_a, campaign, close=False)  # open: its snapshots stay with the firm
    client.force_login(firm_a.executive)
    own = reverse("reports:portal_campaign", args=[firm_a.firm.slug, firm_a.client.pk, campaign.pk])
    assert client.get(own).status_code == 404
    other = campaign_with(firm_a, GROUPS, client=firm_a.other_client, name="Other")
    build(firm_a, other)
    crossed = reverse(
        "reports:portal_campaign", args=[firm_a.firm.slug, firm_a.client.pk, other.pk]
    )
    assert client.get(crossed).status_code == 404


@pytest.mark.django_db
def test_executives_of_an_archived_client_get_no_report_ready_email(firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    with firm_context(firm_a.firm):
        account_services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
        assert selectors.notice_recipients(campaign=campaign) == [firm_a.owner.pk]
    report = build(firm_a, campaign)
    # A notice queued before the archive is not sent when its turn comes either.
    assert not _notify(firm_a, report, firm_a.executive)
    assert _notify(firm_a, report, firm_a.owner)
    assert [m.to for m in mail.outbox] == [[firm_a.owner.email]]


@pytest.mark.django_db
def test_the_reported_step_is_a_service_with_an_audit_entry(firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    report = build(firm_a, campaign)
    with firm_context(firm_a.firm):
        assert Campaign.objects.get(pk=campaign.pk).status == "reported"
        entry = AuditEntry.objects.get(action="campaign.reported")
        assert (entry.target_type, entry.target_id) == ("campaign", campaign.pk)
        assert entry.data == {"report_id": report.pk}
    build(firm_a, campaign, close=False)  # a rebuild: reported already, no second entry
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.filter(action="campaign.reported").count() == 1


def _waiting_on_a_lock(timeout=10.0) -> bool:
    """Whether another session of this database is waiting on a lock (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


def _thread(world, outcomes, name, work):
    def run():
        try:
            with firm_context(world.firm):
                outcomes[name] = work()
        except Exception as exc:  # the outcome the test asserts on
            outcomes[name] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_request_racing_one_whose_report_is_done_before_it_looks_again(firm_a):
    """Request A creates report 1 and, before it commits, that report is no longer pending
    (built, or given up on). Request B read "nothing pending" and the same next number while
    A was uncommitted; its insert waited for A and failed, and the read-back of "the pending
    report" found none: a 500. Requests now take turns, so B sees A's outcome and adds report
    2."""
    campaign = campaign_with(firm_a, GROUPS)
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    release = threading.Event()
    outcomes = {}

    def first():
        report = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="requested")
        Report.objects.filter(pk=report.pk).update(status="ready")
        release.wait(10)
        return report.number

    def second():
        return services.report_request(
            firm=firm_a.firm, campaign=campaign, trigger="requested"
        ).number

    a = _thread(firm_a, outcomes, "a", first)
    time.sleep(0.3)  # A holds its transaction open
    b = _thread(firm_a, outcomes, "b", second)
    assert _waiting_on_a_lock()  # B waits for A
    release.set()
    a.join(20)
    b.join(20)
    assert outcomes == {"a": 1, "b": 2}, outcomes
    with firm_context(firm_a.firm):
        numbers = dict(Report.objects.filter(campaign=campaign).values_list("number", "status"))
    assert numbers == {1: "ready", 2: "queued"}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_share_one_report(firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    barrier = threading.Barrier(4)
    outcomes = {}

    def request():
        barrier.wait(10)
        return services.report_request(firm=firm_a.firm, campaign=campaign, trigger="requested").pk

    threads = [_thread(firm_a, outcomes, n, request) for n in range(4)]
    for thread in threads:
        thread.join(20)
    assert len(set(outcomes.values())) == 1, outcomes
    assert all(isinstance(value, int) for value in outcomes.values()), outcomes
    with firm_context(firm_a.firm):
        assert Report.objects.filter(campaign=campaign).count() == 1
