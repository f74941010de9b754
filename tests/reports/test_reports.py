"""Report snapshots: numbers against hand-computed values, small-group protection, the build
through the worker, and a query count that does not grow with the responses."""

import json

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import InstrumentVersion, Item
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from reports import services
from reports.confidentiality import visible_groups
from reports.models import Report, ReportSettings
from reports.tasks import build_report, send_report_notice
from tests.helpers import run_in_worker, wait_for
from tests.reports.helpers import build, campaign_with

# Everyone answers every statement with the same value v. Each dimension has three normal
# statements and one reverse one, so its score is (3 * (v - 1) * 25 + (5 - v) * 25) / 4:
DIMENSION_SCORE = {1: 25.0, 2: 37.5, 3: 50.0, 4: 62.5, 5: 75.0}


@pytest.mark.django_db
def test_report_numbers_equal_hand_computed_values(firm_a):
    campaign = campaign_with(
        firm_a, [("leadership", 5, 5), ("team_member", 5, 2), ("pmo", 4, 3)], not_answered=2
    )
    data = build(firm_a, campaign).data
    assert data["response"] == {"invited": 16, "completed": 14, "completed_invited": 14, "rate": 88}
    # Per dimension: (5 * 75 + 5 * 37.5 + 4 * 50) / 14 = 54.46 -> 54.5
    assert [d["mean"] for d in data["dimensions"]] == [54.5] * 6
    first = data["dimensions"][0]
    assert first["key"] == "pace_setter" and first["n"] == 14 and first["band"] == "transition"
    # Population standard deviation of 5 x 75, 5 x 37.5, 4 x 50 = 16.1
    assert first["sd"] == 16.1
    # Quartiles by linear interpolation over the 14 sorted scores: 37.5, 50, 75.
    assert first["quartiles"] == [37.5, 50.0, 75.0]
    # Buckets 0-20, 20-40, 40-60, 60-80, 80-100.
    assert first["histogram"] == [0, 5, 4, 5, 0]
    assert data["overall"]["score"] == 54.5 and data["overall"]["band"] == "transition"
    assert data["overall"]["respondents"]["histogram"] == [0, 5, 4, 5, 0]
    # Per sign: the mean item score over everyone, computed independently here.
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=campaign.version_id))
    for sign in data["signs"]:
        scores = []
        for value, count in ((5, 5), (2, 5), (3, 4)):
            for item in (i for i in items if i.sign == sign["number"]):
                points = (5 - value if item.reverse else value - 1) * 25
                scores += [points] * count
        assert sign["mean"] == round(sum(scores) / len(scores), 1)
        assert sign["n"] == 14


@pytest.mark.django_db
def test_a_group_of_four_is_hidden_and_cannot_be_recovered_by_subtraction(firm_a):
    campaign = campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 5, 2), ("pmo", 4, 3)])
    data = build(firm_a, campaign).data
    shown = {g["value"]: g for g in data["segments"]["role_level"]}
    # PMO (4) is below 5; hiding it alone would let total minus the others give it back, so the
    # smallest other group is hidden too. What is left cannot be subtracted to 4 people.
    assert "pmo" not in shown and "leadership" not in shown
    assert set(shown) == {"team_member"} and shown["team_member"]["overall"] == 37.5
    assert data["hidden_segments"]["role_level"] == 2
    assert data["gap"] is None
    # Departments: IT 2 + 2 + 2 = 6, Sales 3 + 3 + 2 = 8 - both shown.
    assert sorted(g["n"] for g in data["segments"]["department"]) == [6, 8]


@pytest.mark.django_db
def test_leadership_and_teams_gap_when_both_groups_are_large_enough(firm_a):
    campaign = campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 6, 2), ("pmo", 5, 3)])
    data = build(firm_a, campaign).data
    assert {g["value"] for g in data["segments"]["role_level"]} == {
        "leadership",
        "team_member",
        "pmo",
    }
    gap = data["gap"]
    assert (gap["leadership"], gap["teams"], gap["difference"]) == (75.0, 37.5, 37.5)
    assert set(gap["dimensions"].values()) == {37.5}


@pytest.mark.django_db
def test_fewer_responses_than_the_minimum_show_nothing_but_the_response_rate(firm_a):
    campaign = campaign_with(firm_a, [("leadership", 4, 5)], not_answered=3)
    data = build(firm_a, campaign).data
    assert data["suppressed"] is True
    assert data["response"]["completed"] == 4
    assert "dimensions" not in data and "segments" not in data


@pytest.mark.django_db
def test_the_firms_minimum_group_size_applies_and_never_goes_below_three(firm_a):
    from django.db import IntegrityError, transaction

    campaign = campaign_with(firm_a, [("leadership", 3, 5), ("team_member", 3, 2)])
    with firm_context(firm_a.firm):
        ReportSettings.objects.create(firm=firm_a.firm, min_group_size=3)
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportSettings.objects.filter(firm=firm_a.firm).update(min_group_size=2)
    data = build(firm_a, campaign).data
    assert {g["value"] for g in data["segments"]["role_level"]} == {"leadership", "team_member"}


@pytest.mark.parametrize(
    ("sizes", "visible"),
    [
        ({"a": 10, "b": 8, "c": 4}, {"a"}),  # c hidden, then b (smallest shown) hidden too
        ({"a": 10, "b": 8, "c": 4, "d": 2}, {"a", "b"}),  # c + d = 6 hidden: safe already
        ({"a": 10, "b": 8, "c": 2, "d": 2}, {"a"}),  # c + d = 4 < 5: b hidden as well
        ({"a": 10, "b": 8}, {"a", "b"}),
        ({"a": 4}, set()),
        ({"a": 12, "": 3}, set()),  # unknown role is a group too
    ],
)
def test_complementary_suppression(sizes, visible):
    assert visible_groups(sizes, 5) == visible


@pytest.mark.django_db
def test_building_takes_the_same_number_of_queries_for_more_responses(firm_a, firm_b):
    small = campaign_with(firm_a, [("leadership", 5, 4), ("team_member", 5, 2)])
    large = campaign_with(firm_b, [("leadership", 30, 4), ("team_member", 40, 2), ("pmo", 20, 3)])
    counts = []
    for world, campaign in ((firm_a, small), (firm_b, large)):
        with firm_context(world.firm):
            report = services.report_request(
                firm=world.firm, campaign=campaign, trigger="requested"
            )
            with CaptureQueriesContext(connection) as queries:
                services.report_build(firm=world.firm, report_id=report.pk)
            counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 30


@pytest.mark.django_db(transaction=True)
def test_the_builds_planner_settings_hold_for_its_transaction_only(firm_a):
    """No JIT and a low parallel tuple cost (a large campaign's answers scanned in parallel,
    reports.aggregation.BUILD_SETTINGS), set locally: the pooled connection keeps its defaults."""
    campaign = campaign_with(firm_a, [("leadership", 5, 4)])

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('parallel_tuple_cost')")
            return cursor.fetchone()

    defaults = settings()
    with firm_context(firm_a.firm):
        report = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="requested")
        with transaction.atomic():
            services.report_build(firm=firm_a.firm, report_id=report.pk)
            assert settings() == ("off", "0.01")
    assert settings() == defaults != ("off", "0.01")


@pytest.mark.django_db(transaction=True)
def test_closing_a_campaign_builds_a_report_in_the_worker_once(celery_worker, firm_a):
    campaign = campaign_with(firm_a, [("leadership", 5, 4), ("team_member", 5, 2)])
    with firm_context(firm_a.firm):
        assessment_services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        report = Report.objects.get(campaign=campaign)
    assert report.trigger == "closed"
    wait_for(lambda: _status(firm_a, report) == "ready")
    with firm_context(firm_a.firm):
        campaign.refresh_from_db()
        assert campaign.status == "reported"
    wait_for(lambda: _status(firm_a, report) == "ready")
    with firm_context(firm_a.firm):
        assert Report.objects.get(pk=report.pk).response_count == 10
    # The same build again does nothing: the snapshot is immutable.
    assert run_in_worker(build_report, firm_id=firm_a.firm.pk, report_id=report.pk) is False
    # The campaign's consultant and the client's executive hear that it is ready, once.
    wait_for(lambda: len(mail.outbox) == 2)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {firm_a.owner.email, firm_a.executive.email}
    assert (
        f"/portal/{firm_a.client.pk}/campaigns/{campaign.pk}/"
        in by_recipient[firm_a.executive.email].body
    )
    assert f"/campaigns/{campaign.pk}/report/" in by_recipient[firm_a.owner.email].body
    assert "is ready" in by_recipient[firm_a.owner.email].subject
    for user in (firm_a.owner, firm_a.executive, firm_a.consultant):
        assert (
            run_in_worker(
                send_report_notice, firm_id=firm_a.firm.pk, report_id=report.pk, user_id=user.pk
            )
            is False
        )
    assert len(mail.outbox) == 2


def _status(world, report):
    with firm_context(world.firm):
        return Report.objects.get(pk=report.pk).status


@pytest.mark.django_db
def test_answers_arriving_share_one_debounced_rebuild(firm_a):
    campaign = campaign_with(firm_a, [("leadership", 5, 4)])
    with firm_context(firm_a.firm):
        first = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="answers")
        second = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="answers")
        assert first.pk == second.pk
        task = OutboxTask.objects.get(task_name="reports.build_report")
        assert task.countdown == int(services.DEBOUNCE.total_seconds())


def extra_clients(world, count, industry="finance", size_band="250-999"):
    from accounts import services as account_services

    with firm_context(world.firm):
        return [
            account_services.client_create(
                firm=world.firm,
                actor=world.owner,
                name=f"Peer {n}",
                industry=industry,
                size_band=size_band,
                country="SE",
            )
            for n in range(count)
        ]


@pytest.mark.django_db
def test_firm_benchmark_needs_five_other_clients_and_gives_percentiles(firm_a):
    peers = extra_clients(firm_a, 5)
    for n, client in enumerate(peers[:4]):
        build(firm_a, campaign_with(firm_a, [("pmo", 5, 1 + n)], client=client))  # 25 .. 62.5
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)])).data  # 62.5
    assert data["benchmarks"]["firm"] == {"organisations": 4, "shown": False, "dimensions": {}}
    build(firm_a, campaign_with(firm_a, [("pmo", 5, 5)], client=peers[4]))  # 75
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)], name="Again")).data
    firm_benchmark = data["benchmarks"]["firm"]
    assert firm_benchmark["organisations"] == 5 and firm_benchmark["shown"]
    # Peers overall: 25, 37.5, 50, 62.5, 75; ours 62.5 -> (3 below + 1/2 equal) / 5 = 70th.
    assert firm_benchmark["dimensions"][""] == {
        "percentile": 70,
        "median": 50.0,
        "organisations": 5,
    }
    # The earlier campaign of the same client is the trend.
    assert [(p["campaign"], p["overall"]) for p in data["trend"]] == [("Report", 62.5)]


@pytest.mark.django_db
def test_cross_firm_benchmark_uses_opted_in_firms_only_and_never_names_peers(firm_a, firm_b):
    from reports.models import BenchmarkPoint

    with firm_context(firm_b.firm):
        ReportSettings.objects.create(firm=firm_b.firm, contribute_to_benchmarks=True)
    peers = extra_clients(firm_b, 5, industry="finance")
    for n, client in enumerate(peers[:4]):
        build(firm_b, campaign_with(firm_b, [("pmo", 5, 1 + n)], client=client))
    # Firm A does not contribute, so it sees no cross-firm comparison at all.
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)])).data
    assert "industry" not in data["benchmarks"] and "size_band" not in data["benchmarks"]
    with firm_context(firm_a.firm):
        ReportSettings.objects.create(firm=firm_a.firm, contribute_to_benchmarks=True)
    # Four organisations of another firm: not enough. Firm A's own finance clients never count.
    own_peers = extra_clients(firm_a, 3, industry="finance")
    for client in own_peers:
        build(firm_a, campaign_with(firm_a, [("pmo", 5, 5)], client=client))
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)], name="Second")).data
    assert data["benchmarks"]["industry"] == {
        "value": "finance",
        "organisations": 4,
        "shown": False,
        "dimensions": {},
    }
    build(firm_b, campaign_with(firm_b, [("pmo", 5, 5)], client=peers[4]))
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)], name="Later")).data
    industry = data["benchmarks"]["industry"]
    assert industry["shown"] and industry["organisations"] == 5
    assert industry["dimensions"][""] == {"percentile": 70, "median": 50.0, "organisations": 5}
    assert industry["dimensions"]["pace_setter"]["percentile"] == 70
    assert "Beta" not in json.dumps(data) and "Peer" not in json.dumps(data)
    # Points hold no firm or client id: an opaque organisation key and an opaque firm key.
    point = BenchmarkPoint.objects.first()
    assert str(firm_b.firm.pk) not in (point.org_key, point.firm_key)
    assert BenchmarkPoint.objects.values("firm_key").distinct().count() == 2


@pytest.mark.django_db
def test_report_settings_page_and_leaving_the_benchmark(client, firm_a):
    from django.urls import reverse

    from reports.models import BenchmarkPoint

    url = reverse("reports:settings", args=[firm_a.firm.slug])
    client.force_login(firm_a.owner)
    assert client.post(url, {"min_group_size": "2"}).status_code == 400
    assert (
        client.post(url, {"min_group_size": "4", "contribute_to_benchmarks": "on"}).status_code
        == 302
    )
    build(firm_a, campaign_with(firm_a, [("pmo", 5, 3)]))
    assert BenchmarkPoint.objects.count() == 7
    client.post(url, {"min_group_size": "4"})
    assert BenchmarkPoint.objects.count() == 0
    with firm_context(firm_a.firm):
        settings_ = ReportSettings.objects.get()
        assert (settings_.min_group_size, settings_.contribute_to_benchmarks) == (4, False)


@pytest.mark.django_db(transaction=True)
def test_report_tasks_given_another_firms_ids_do_nothing(celery_worker, firm_a, firm_b):
    campaign = campaign_with(firm_b, [("pmo", 5, 3)])
    with firm_context(firm_b.firm):  # a queued report of firm B, with no build task of its own
        report = Report.objects.create(
            firm=firm_b.firm, campaign=campaign, number=1, trigger="requested"
        )
    a = firm_a.firm.pk
    assert run_in_worker(build_report, firm_id=a, report_id=report.pk) is False
    assert (
        run_in_worker(
            send_report_notice, firm_id=a, report_id=report.pk, user_id=firm_b.executive.pk
        )
        is False
    )
    with firm_context(firm_b.firm):
        assert Report.objects.get(pk=report.pk).status == "queued"
    assert [m for m in mail.outbox if "is ready" in m.subject] == []


@pytest.mark.django_db
def test_closing_outranks_the_debounce_and_stale_builds_are_replaced(firm_a):
    from datetime import timedelta as td

    campaign = campaign_with(firm_a, [("pmo", 5, 3)])
    with firm_context(firm_a.firm):
        waiting = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="answers")
        closed = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="closed")
        assert closed.pk == waiting.pk and Report.objects.get(pk=waiting.pk).trigger == "closed"
        # The build was published again, now without a countdown.
        tasks = OutboxTask.objects.filter(task_name="reports.build_report").order_by("id")
        assert [t.countdown for t in tasks] == [int(services.DEBOUNCE.total_seconds()), 0]
        Report.objects.filter(pk=waiting.pk).update(requested_at=timezone.now() - td(hours=1))
        fresh = services.report_request(firm=firm_a.firm, campaign=campaign, trigger="requested")
        assert fresh.pk != waiting.pk
        assert Report.objects.get(pk=waiting.pk).status == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_build_that_raises_is_recorded_as_failed(celery_worker, firm_a):
    campaign = campaign_with(firm_a, [("pmo", 5, 3)])
    with firm_context(firm_a.firm):
        report = Report.objects.create(
            firm=firm_a.firm, campaign=campaign, number=1, trigger="requested"
        )
        # A version whose bands are broken makes the snapshot raise.
        InstrumentVersion.objects.filter(pk=campaign.version_id).update(bands=[{"bad": 1}])
    run_in_worker(build_report, firm_id=firm_a.firm.pk, report_id=report.pk)
    with firm_context(firm_a.firm):
        failed = Report.objects.get(pk=report.pk)
    assert failed.status == "failed" and "KeyError" in failed.error


@pytest.mark.django_db
def test_firm_benchmark_takes_each_peers_most_recently_closed_campaign(firm_a):
    from datetime import timedelta

    from django.utils import timezone

    from assessments.models import Campaign

    peers = extra_clients(firm_a, 5)
    for n, client in enumerate(peers[:4]):
        build(firm_a, campaign_with(firm_a, [("pmo", 5, 1 + n)], client=client))
    # Peer 4 has two rounds: the one created later closed long ago (score 1), the one created
    # first closed yesterday (score 5). The recent one counts, whatever the ids say.
    recent = campaign_with(firm_a, [("pmo", 5, 5)], client=peers[4], name="Recent")
    build(firm_a, recent)
    old = campaign_with(firm_a, [("pmo", 5, 1)], client=peers[4], name="Old")
    build(firm_a, old)
    with firm_context(firm_a.firm):
        now = timezone.now()
        Campaign.objects.filter(pk=recent.pk).update(closed_at=now - timedelta(days=1))
        Campaign.objects.filter(pk=old.pk).update(closed_at=now - timedelta(days=400))
    data = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)], name="Mine")).data
    # Peers overall 25, 37.5, 50, 62.5 and 75 (not 25): ours 62.5 is the 70th percentile.
    assert data["benchmarks"]["firm"]["dimensions"][""]["percentile"] == 70
