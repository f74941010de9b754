"""The campaign page's segment counters (`CampaignRespondentCount`, migration 0015) are kept
exact by the triggers on the respondents, whatever writes them: bulk and single inserts, the
fan-out's and the survey's one-statement updates, bounces, imports, erasure and deletes, under
the application role (RLS) and the operator role. The oracle is the aggregate the campaign page
ran over the respondents before the counters existed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, ProgrammingError, connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import selectors, services
from assessments.models import (
    RESPONDENT_COUNTS,
    Campaign,
    CampaignStatus,
    Respondent,
    Source,
)
from assessments.selectors.campaign_page import _STATS
from assessments.services.respondents import new_respondent
from pmo_platform.tenancy import all_firms, firm_context
from tests.helpers import add_people, new_campaign, person

ROLES = ["leadership", "pmo", "project_manager", "team_member", "other", ""]
MOMENTS = ("sent_at", "opened_at", "started_at", "completed_at", "bounced_at")

# The figures as `selectors.campaign_stats` computed them over the respondents before the
# counters (the oracle).
_FIGURES = """COUNT(*) FILTER (WHERE source = 'invited') AS invited,
       COUNT(*) FILTER (WHERE source = 'invited' AND completed_at IS NOT NULL) AS completed,
       COUNT(*) FILTER (WHERE source = 'open_link' AND completed_at IS NOT NULL) AS open_link,
       COUNT(*) FILTER (WHERE source = 'invited' AND sent_at IS NULL AND bounced_at IS NULL)
           AS queued,
       COUNT(*) FILTER (WHERE sent_at IS NOT NULL AND opened_at IS NULL
                        AND completed_at IS NULL AND bounced_at IS NULL) AS sent,
       COUNT(*) FILTER (WHERE opened_at IS NOT NULL AND started_at IS NULL
                        AND completed_at IS NULL AND bounced_at IS NULL) AS opened,
       COUNT(*) FILTER (WHERE started_at IS NOT NULL AND completed_at IS NULL
                        AND bounced_at IS NULL) AS started,
       COUNT(*) FILTER (WHERE bounced_at IS NOT NULL AND completed_at IS NULL) AS bounced"""
_OLD_STATS = f"""
SELECT GROUPING(role_level) AS no_role, GROUPING(department) AS no_department,
       role_level, department,
       {_FIGURES}
FROM assessments_respondent
WHERE firm_id = %s AND campaign_id = %s
GROUP BY GROUPING SETS ((), (role_level), (department))
"""
# The same figures per full segment key: what the counter rows must hold, and no other rows.
_OLD_SEGMENTS = f"""
SELECT firm_id, campaign_id, role_level, department, COUNT(*) AS respondents,
       {_FIGURES}
FROM assessments_respondent GROUP BY firm_id, campaign_id, role_level, department
"""
_COUNTERS = (
    "SELECT firm_id, campaign_id, role_level, department, "
    f"{', '.join(RESPONDENT_COUNTS)} FROM assessments_campaignrespondentcount"
)


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall(), key=repr)


def assert_exact(*worlds):
    """In each firm's scope: the counter rows are the live GROUP BY of its respondents (no row
    for an empty segment), and the page's figures query gives what the old one gave."""
    for world in worlds:
        with firm_context(world.firm):
            assert _rows(_COUNTERS) == _rows(_OLD_SEGMENTS)
            for campaign in Campaign.objects.all():
                params = [world.firm.pk, campaign.pk]
                assert _rows(_STATS, params) == _rows(_OLD_STATS, params), campaign.name


def _people(prefix, count, departments=3):
    return [
        person(
            f"{prefix}{n:03d}@x.example",
            role_level=ROLES[n % len(ROLES)],
            department=f"D{n % departments}" if n % 7 else "",
        )
        for n in range(count)
    ]


def _open(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.OPEN)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db
def test_counters_follow_a_mixed_sequence_of_writes(firm_a, firm_b):
    now = timezone.now()
    with firm_context(firm_b.firm):
        other = new_campaign(firm_b, name="B")
        add_people(firm_b, other, _people("b", 12))
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="A")
        add_people(firm_a, campaign, _people("a", 40))  # one bulk insert
        second = new_campaign(firm_a, name="A2")
        add_people(firm_a, second, _people("s", 5))
    assert_exact(firm_a, firm_b)

    with firm_context(firm_a.firm):
        new_respondent(firm=firm_a.firm, campaign=campaign, **person("single@x.example")).save()
        Respondent.objects.create(
            firm=firm_a.firm, campaign=campaign, email="", language="en", source=Source.OPEN_LINK,
            started_at=now, token_salt="s", token_hash="open-1",
        )  # fmt: skip
        people = list(Respondent.objects.filter(campaign=campaign).order_by("id"))
        ids = [r.pk for r in people]
        # The fan-out's stamp of many rows in one UPDATE, then each later moment.
        Respondent.objects.filter(pk__in=ids[:30]).update(sent_at=now, bounced_at=None)
        Respondent.objects.filter(pk__in=ids[:20]).update(opened_at=now)
        services.respondent_opened(respondent=people[25])
        Respondent.objects.filter(pk__in=ids[:8]).update(completed_at=now)
        services.respondent_bounced(
            firm=firm_a.firm, respondent_id=people[28].pk, recipient=people[28].email
        )
        Respondent.objects.filter(pk=ids[3]).update(bounced_at=now)  # completed and bounced
    assert_exact(firm_a, firm_b)

    with firm_context(firm_a.firm):
        # The survey's one-statement autosave stamps `started_at`.
        campaign = _open(campaign)
        item = campaign.version.items.order_by("id").first()
        for respondent in people[10:14]:
            services.answer_save(firm=firm_a.firm, respondent=respondent, item_id=item.pk, value=4)
        services.answer_save(firm=firm_a.firm, respondent=people[10], item_id=item.pk, value=2)
        Respondent.objects.filter(pk=ids[11]).update(bounced_at=now)  # started, then bounced
        # Segment changes: one save(), one UPDATE moving many rows, a campaign move.
        moved = people[14]
        moved.department, moved.role_level = "Moved", "pmo"
        moved.save()
        Respondent.objects.filter(pk__in=ids[15:35]).update(department="Shared")
        Respondent.objects.filter(pk=ids[35]).update(source=Source.OPEN_LINK, completed_at=now)
    assert_exact(firm_a, firm_b)

    with firm_context(firm_a.firm):
        Respondent.objects.get(pk=ids[36]).delete()
        Respondent.objects.filter(pk__in=ids[37:40]).delete()
        services.person_erase(firm=firm_a.firm, actor=firm_a.owner, email=people[5].email)
        services.respondent_erase(firm=firm_a.firm, respondent=people[6])
        # Every respondent of one segment gone: its counter row goes too.
        Respondent.objects.filter(campaign=campaign, department="Moved").delete()
    assert_exact(firm_a, firm_b)
    with firm_context(firm_a.firm):
        stats = selectors.campaign_stats(campaign=campaign)
        assert (
            stats["invited"]
            == Respondent.objects.filter(campaign=campaign, source=Source.INVITED).count()
        )
        assert "Moved" not in {d["department"] for d in stats["departments"]}


@pytest.mark.django_db
def test_the_worker_import_counts_created_and_updated_people(firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Import")
        add_people(firm_a, campaign, [person("known@x.example", department="Old")])
    lines = ["email,name,language,role_level,department", "known@x.example,,,pmo,New"]
    lines += [f"p{n}@x.example,P {n},en,team_member,Dept {n % 4}" for n in range(60)]
    with firm_context(firm_a.firm):
        job = services.respondent_import_start(
            firm=firm_a.firm, actor=firm_a.owner, campaign=campaign, file_name="p.csv",
            content="\n".join(lines).encode(),
        )  # fmt: skip
    assert services.respondent_import_process(firm=firm_a.firm, import_id=job.pk) == "done"
    assert_exact(firm_a)
    with firm_context(firm_a.firm):
        stats = selectors.campaign_stats(campaign=campaign)
    assert stats["invited"] == 61
    assert {d["department"] for d in stats["departments"]} == {f"Dept {n}" for n in range(4)} | {
        "New"
    }


@pytest.mark.django_db
def test_deleting_a_campaign_takes_its_counters(firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Gone")
        add_people(firm_a, campaign, _people("g", 9))
        kept = new_campaign(firm_a, name="Kept")
        add_people(firm_a, kept, _people("k", 4))
        Campaign.objects.get(pk=campaign.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred keys hold
        left = {row[1] for row in _rows(_COUNTERS)}
    assert left == {kept.pk}
    assert_exact(firm_a)


@pytest.mark.django_db
def test_another_firms_counters_are_invisible_and_a_cross_firm_row_is_refused(firm_a, firm_b):
    with firm_context(firm_b.firm):
        other = new_campaign(firm_b, name="B")
        add_people(firm_b, other, _people("b", 5))
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="A")
        add_people(firm_a, campaign, _people("a", 5))
        assert {row[0] for row in _rows(_COUNTERS)} == {firm_a.firm.pk}
        sql = (
            "INSERT INTO assessments_campaignrespondentcount (firm_id, campaign_id, role_level, "
            "department, respondents, invited, completed, open_link, queued, sent, opened, "
            "started, bounced) VALUES (%s, %s, 'pmo', 'X', 1, 1, 0, 0, 1, 0, 0, 0, 0)"
        )
        refused = pytest.raises(ProgrammingError, match="row-level security")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [firm_b.firm.pk, other.pk])
        refused = pytest.raises(IntegrityError, match="same_firm_fk")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [firm_a.firm.pk, other.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Firm B's figures are not reachable through firm A's scope.
        assert _rows(_STATS, [firm_b.firm.pk, other.pk]) == _rows(_STATS, [0, 0])
    with firm_context(firm_b.firm):
        assert selectors.campaign_stats(campaign=other)["invited"] == 5


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_operator_role_keeps_every_firms_counters(firm_a, firm_b):
    campaigns = []
    for world, prefix in ((firm_a, "a"), (firm_b, "b")):
        with firm_context(world.firm):
            campaigns.append(new_campaign(world, name=prefix))
            add_people(world, campaigns[-1], _people(prefix, 6))
    with all_firms():  # one UPDATE and one DELETE across both firms
        Respondent.objects.filter(email__endswith="1@x.example").update(
            bounced_at=timezone.now(), department="Bounced"
        )
        Respondent.objects.filter(email__endswith="2@x.example").delete()
    assert_exact(firm_a, firm_b)
    with firm_context(firm_b.firm):
        assert selectors.campaign_stats(campaign=campaigns[1])["invited"] == 5


# --- Random sequences ----------------------------------------------------------------------------

_SUBSET = st.sets(st.integers(0, 7), max_size=8)
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 4), st.sampled_from(ROLES), st.integers(0, 2)),
        st.tuples(st.just("stamp"), _SUBSET, st.sampled_from(MOMENTS)),
        st.tuples(st.just("clear"), _SUBSET, st.sampled_from(MOMENTS)),
        st.tuples(st.just("segment"), _SUBSET, st.sampled_from(ROLES), st.integers(0, 2)),
        st.tuples(st.just("source"), _SUBSET, st.sampled_from([Source.INVITED, Source.OPEN_LINK])),
        st.tuples(st.just("move"), _SUBSET),
        st.tuples(st.just("delete"), _SUBSET),
    ),
    min_size=1,
    max_size=8,
)


def _apply(world, campaigns, operation, serial):
    ids = list(Respondent.objects.order_by("id").values_list("id", flat=True))
    chosen = [ids[i] for i in sorted(operation[1]) if i < len(ids)] if operation[0] != "add" else []
    rows = Respondent.objects.filter(pk__in=chosen)
    match operation:
        case ("add", count, role, department):
            Respondent.objects.bulk_create(
                new_respondent(
                    firm=world.firm,
                    campaign=campaigns[n % 2],
                    email=f"h{serial}-{n}@x.example",
                    name="",
                    language="en",
                    role_level=role,
                    department=f"D{department}",
                )
                for n in range(count)
            )
        case ("stamp", _, moment):
            rows.update(**{moment: timezone.now() - timedelta(minutes=1)})
        case ("clear", _, moment):
            rows.update(**{moment: None})
        case ("segment", _, role, department):
            rows.update(role_level=role, department=f"D{department}")
        case ("source", _, source):
            rows.update(source=source)
        case ("move", _):
            rows.filter(campaign=campaigns[0]).update(campaign=campaigns[1])
        case ("delete", _):
            rows.delete()


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=_OPERATIONS)
def test_random_sequences_of_writes_keep_the_counters_exact(firm_a, operations):
    with firm_context(firm_a.firm):
        sid = transaction.savepoint()
        campaigns = [new_campaign(firm_a, name="H1"), new_campaign(firm_a, name="H2")]
        add_people(firm_a, campaigns[0], _people("h", 5, departments=2))
        for serial, operation in enumerate(operations):
            _apply(firm_a, campaigns, operation, serial)
        try:
            assert_exact(firm_a)
        finally:
            transaction.savepoint_rollback(sid)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_the_same_segments_lose_no_count(firm_a):
    """Four connections at once insert into, stamp and delete from the same segments (new
    segment rows racing each other's ON CONFLICT, in opposite row orders): nothing is lost and
    no deadlock is raised."""
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Race")
    errors = []

    def work(worker):
        try:
            for round_ in range(4):
                with firm_context(firm_a.firm):
                    rows = _people(f"w{worker}r{round_}-", 12, departments=3)
                    if worker % 2:
                        rows.reverse()
                    add_people(firm_a, campaign, rows)
                    mine = Respondent.objects.filter(email__startswith=f"w{worker}r{round_}-")
                    mine.filter(role_level__in=["pmo", "other"]).update(sent_at=timezone.now())
                    mine.filter(department="D1").delete()
        except Exception as exc:
            errors.append((worker, repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert_exact(firm_a)
    with firm_context(firm_a.firm):
        assert (
            selectors.campaign_stats(campaign=campaign)["invited"] == 4 * 4 * 9
        )  # 3 of each 12 were in D1
