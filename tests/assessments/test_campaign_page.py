"""The campaign page at scale: respondents a page at a time (keyset by email, id), searchable by
email and filtered by status, role level and department, the filters kept across pages; live
figures by role level and department; the number of queries independent of the campaign's size."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import selectors
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Respondent
from assessments.respondent_list import decode_key, encode_key
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, form_error_codes, new_campaign, person

pytestmark = pytest.mark.django_db

ROLES = ["leadership", "pmo", "project_manager", "team_member", "other"]
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def campaign_with(world, count, *, departments=4, prefix="p"):
    """A draft campaign of `count` invited people: p000@acme.example, ... with role levels and
    departments in turn."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name=f"{count} people")
        rows = [
            person(
                f"{prefix}{n:03d}@{'acme' if n % 2 else 'globex'}.example",
                name=f"Person {n}",
                role_level=ROLES[n % len(ROLES)],
                department=f"Dept {n % departments}",
            )
            for n in range(count)
        ]
        add_people(world, campaign, rows)
        return campaign


def page_url(world, campaign, **params):
    path = reverse("assessments:campaign_detail", args=[world.firm.slug, campaign.pk])
    return path, params


def emails(response):
    return [r.email for r in response.context["respondents"]]


def follow(client, path, link):
    """GET the page a pager link points at (its query string only)."""
    query = parse_qs(urlsplit(link).query)
    return client.get(path, {k: v[0] for k, v in query.items()})


def queries(client, path, params=None, status=200):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params or {}).status_code == status
    # A prepared statement (pmo_platform.prepared: the firm by slug) is logged without its SQL.
    sqls = [q["sql"] or "" for q in captured.captured_queries]
    return [sql for sql in sqls if not sql.startswith(CONTROL)]


# --- Query counts ------------------------------------------------------------------------------


PARAMS = {
    "first": lambda prefix: {},
    "filtered": lambda prefix: {
        "q": "ACME", "status": "queued", "role_level": "pmo", "department": "Dept 1",
    },
    "page 2": lambda prefix: {
        "status": "queued", "after": encode_key((f"{prefix}001@acme.example", 1)),
    },
    "previous": lambda prefix: {
        "q": "example", "before": encode_key((f"{prefix}002@globex.example", 10**9)),
    },
    "last": lambda prefix: {"q": "example", "last": "1"},
}  # fmt: skip


@pytest.mark.parametrize("params", sorted(PARAMS))
def test_campaign_page_queries_do_not_grow_with_respondents(client, firm_a, params):
    client.force_login(firm_a.consultant)
    counts = []
    for size, prefix in ((3, "s"), (60, "l")):
        campaign = campaign_with(firm_a, size, prefix=prefix)
        path, _ = page_url(firm_a, campaign)
        counts.append(len(queries(client, path, PARAMS[params](prefix))))
    assert counts[0] == counts[1], counts


def test_stats_endpoint_queries_do_not_grow_and_carry_no_rows(client, firm_a):
    client.force_login(firm_a.consultant)
    counts = []
    for size, prefix, departments in ((3, "s", 3), (60, "l", 30)):
        campaign = campaign_with(firm_a, size, prefix=prefix, departments=departments)
        path = reverse("assessments:campaign_stats", args=[firm_a.firm.slug, campaign.pk])
        counts.append(len(queries(client, path)))
        body = client.get(path).content.decode()
        assert "@" not in body  # aggregates only: no respondent's email
    assert counts[0] == counts[1], counts


# --- The list ------------------------------------------------------------------------------------


def test_pages_walk_forward_and_back_in_email_order(client, firm_a):
    campaign = campaign_with(firm_a, 120)
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    with firm_context(firm_a.firm):
        everyone = sorted(
            Respondent.objects.filter(campaign=campaign).values_list("email", flat=True)
        )
    first = client.get(path)
    assert emails(first) == everyone[:50]
    links = first.context["respondent_pages"]
    assert set(links) == {"next", "last"}
    second = follow(client, path, links["next"])
    assert emails(second) == everyone[50:100]
    assert set(second.context["respondent_pages"]) == {"first", "previous", "next", "last"}
    third = follow(client, path, second.context["respondent_pages"]["next"])
    assert emails(third) == everyone[100:]
    assert set(third.context["respondent_pages"]) == {"first", "previous"}
    back = follow(client, path, third.context["respondent_pages"]["previous"])
    assert emails(back) == everyone[50:100]
    last = follow(client, path, links["last"])
    assert emails(last) == everyone[-50:]
    assert "next" not in last.context["respondent_pages"]
    assert "first" in last.context["respondent_pages"]


def test_selector_pages_are_exact_and_stable_under_inserts(firm_a):
    campaign = campaign_with(firm_a, 7)
    with firm_context(firm_a.firm):

        def page(**kwargs):
            return selectors.campaign_respondent_page(
                firm=firm_a.firm, campaign=campaign, size=3, **kwargs
            )

        one = page()
        assert [r.email for r in one.rows] == ["p000@globex.example", "p001@acme.example",
                                               "p002@globex.example"]  # fmt: skip
        assert one.previous_key is None
        two = page(after=one.next_key)
        # Someone added before the cursor does not shift the next page.
        add_people(firm_a, campaign, [person("a-new@acme.example")])
        assert [r.email for r in page(after=one.next_key).rows] == [r.email for r in two.rows]
        three = page(after=two.next_key)
        assert [r.email for r in three.rows] == ["p006@globex.example"]
        assert three.next_key is None
        assert [r.email for r in page(before=three.previous_key).rows] == [
            r.email for r in two.rows
        ]
        # Before page one: only the person added since, sorting first.
        assert [r.email for r in page(before=(one.rows[0].email, one.rows[0].pk)).rows] == [
            "a-new@acme.example"
        ]
        final = page(last=True)
        assert [r.email for r in final.rows][-1] == "p006@globex.example"
        assert final.next_key is None


def test_search_is_a_case_insensitive_substring_of_the_email(client, firm_a):
    campaign = campaign_with(firm_a, 10)
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    found = emails(client.get(path, {"q": "ACME"}))
    assert found == [f"p{n:03d}@acme.example" for n in (1, 3, 5, 7, 9)]
    expected = [f"p00{n}@{'acme' if n % 2 else 'globex'}.example" for n in range(10)]
    assert emails(client.get(path, {"q": "p00"})) == expected
    response = client.get(path, {"q": "nobody-here"})
    assert emails(response) == []
    assert b'id="respondents-none"' in response.content


def test_status_role_and_department_filters(client, firm_a):
    campaign = campaign_with(firm_a, 20)
    now = timezone.now()
    with firm_context(firm_a.firm):
        by_email = {r.email: r for r in Respondent.objects.filter(campaign=campaign)}
        Respondent.objects.filter(pk=by_email["p002@globex.example"].pk).update(
            sent_at=now, bounced_at=now
        )
        Respondent.objects.filter(pk=by_email["p003@acme.example"].pk).update(
            sent_at=now, opened_at=now, started_at=now, completed_at=now
        )
        Respondent.objects.filter(pk=by_email["p004@globex.example"].pk).update(
            sent_at=now, opened_at=now
        )
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    assert emails(client.get(path, {"status": "bounced"})) == ["p002@globex.example"]
    assert emails(client.get(path, {"status": "completed"})) == ["p003@acme.example"]
    assert emails(client.get(path, {"status": "opened"})) == ["p004@globex.example"]
    assert len(emails(client.get(path, {"status": "queued"}))) == 17
    assert emails(client.get(path, {"role_level": "pmo"})) == [
        f"p{n:03d}@{'acme' if n % 2 else 'globex'}.example" for n in (1, 6, 11, 16)
    ]
    assert emails(client.get(path, {"department": "Dept 3", "q": "acme"})) == [
        "p003@acme.example", "p007@acme.example", "p011@acme.example", "p015@acme.example",
        "p019@acme.example",
    ]  # fmt: skip
    assert emails(client.get(path, {"department": "Dept 3", "status": "completed"})) == [
        "p003@acme.example"
    ]


def test_filters_are_kept_in_every_page_link(client, firm_a):
    campaign = campaign_with(firm_a, 130)
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    params = {"q": "acme", "role_level": "pmo", "department": "Dept 1", "status": "queued"}
    # acme = odd, pmo = n % 5 == 1, Dept 1 = n % 4 == 1: n % 20 == 1 -> 7 people; with a
    # looser filter, 65 acme people over two pages.
    response = client.get(path, {"q": "acme"})
    assert len(emails(response)) == 50
    second = follow(client, path, response.context["respondent_pages"]["next"])
    assert len(emails(second)) == 15
    assert all("acme" in e for e in emails(second))
    for link in second.context["respondent_pages"].values():
        assert parse_qs(urlsplit(link).query)["q"] == ["acme"]
    narrow = client.get(path, params)
    assert len(emails(narrow)) == 7
    assert narrow.context["respondent_pages"] == {}


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"status": "lost"}, "status", "invalid_choice"),
        ({"role_level": "ceo"}, "role_level", "invalid_choice"),
        ({"q": "a\x00b"}, "q", "control_characters"),
        ({"q": "x" * 101}, "q", "max_length"),
        ({"department": "\u202eIT"}, "department", "invisible_characters"),
        ({"after": "not-a-cursor"}, "after", Code.INVALID_PAGE),
        ({"before": encode_key(("a", 0))}, "before", Code.INVALID_PAGE),
        ({"after": "x" * 401}, "after", "max_length"),
    ],
)
def test_a_bad_value_is_shown_and_ignored_not_an_error(client, firm_a, params, field, code):
    campaign = campaign_with(firm_a, 3)
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    response = client.get(path, params)
    assert response.status_code == 200
    assert code in form_error_codes(response, "respondent_filter")[field]
    assert len(emails(response)) == 3  # the bad value is left out, the rest still applies


def test_a_bad_value_leaves_the_good_ones_applied(client, firm_a):
    campaign = campaign_with(firm_a, 10)
    client.force_login(firm_a.consultant)
    path, _ = page_url(firm_a, campaign)
    response = client.get(path, {"status": "lost", "q": "acme"})
    assert response.status_code == 200
    assert len(emails(response)) == 5


def test_page_keys_round_trip_and_refuse_odd_values():
    key = ("ö@example.com", 42)
    assert decode_key(encode_key(key)) == key
    for odd in ("", "!!!", encode_key(("a", 2**63)), encode_key((1, 1)), encode_key(("a",))):
        assert decode_key(odd) is None


def test_another_firms_user_gets_404_with_any_parameters(client, firm_a, firm_b):
    campaign = campaign_with(firm_a, 3)
    client.force_login(firm_b.owner)
    for name in ("assessments:campaign_detail", "assessments:campaign_stats"):
        for slug in (firm_a.firm.slug, firm_b.firm.slug):
            path = reverse(name, args=[slug, campaign.pk])
            response = client.get(path, {"q": "acme", "status": "queued", "last": "1"})
            assert response.status_code == 404, (name, slug)
            assert b"acme.example" not in response.content


# --- Figures by segment --------------------------------------------------------------------------


def test_stats_by_role_level_and_top_departments_with_the_rest_as_other(client, firm_a):
    departments = selectors.TOP_DEPARTMENTS + 3
    # Department k has k + 1 people... build sizes so the top N is clear: Dept 0 biggest.
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Departments")
        rows, n = [], 0
        for dept in range(departments):
            for _ in range(departments - dept + 1):
                rows.append(
                    person(
                        f"d{n:04d}@x.example", role_level=ROLES[n % 5], department=f"D{dept:02d}"
                    )
                )
                n += 1
        add_people(firm_a, campaign, rows)
        done = list(Respondent.objects.filter(campaign=campaign, department="D00")[:3])
        Respondent.objects.filter(pk__in=[r.pk for r in done]).update(completed_at=timezone.now())
    client.force_login(firm_a.consultant)
    path = reverse("assessments:campaign_stats", args=[firm_a.firm.slug, campaign.pk])
    data = client.get(path).json()
    assert data["invited"] == len(rows)
    shown = data["departments"]
    assert [d["department"] for d in shown[:-1]] == [
        f"D{k:02d}" for k in range(selectors.TOP_DEPARTMENTS)
    ]
    assert shown[0] == {
        "department": "D00", "label": "D00", "invited": departments + 1, "completed": 3,
        "rate": round(100 * 3 / (departments + 1)),
    }  # fmt: skip
    other = shown[-1]
    assert other["department"] is None
    assert other["label"] == "Other departments"
    assert other["invited"] == sum(departments - d + 1 for d in range(10, departments))
    assert sum(d["invited"] for d in shown) == data["invited"]
    assert {s["role_level"] for s in data["segments"]} == set(ROLES)
    assert sum(s["invited"] for s in data["segments"]) == data["invited"]
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert b'id="departments"' in page.content
    assert b"Other departments" in page.content
    assert b'data-segments="departments"' in page.content
