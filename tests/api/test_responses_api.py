"""The responses feed: completed responses of non-anonymous campaigns with identity, segments
and scores; an incremental sync by cursor that sees each response exactly once even when
transactions commit out of order; anonymous campaigns refused (403 `campaign_anonymous`) and
leaking nothing through any field of the API."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest
from django.db import connections, transaction
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Respondent
from pmo_platform.tenancy import firm_context
from tests.reports.helpers import build

from .conftest import ApiClient, make_key
from .response_helpers import feed, open_campaign, open_link_response, submit, sync

RESPONSES = "/api/v1/responses/"

# The feed serves only rows whose transaction has finished: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def campaign_path(campaign) -> str:
    return reverse("api_campaign_responses", kwargs={"campaign_id": campaign.pk})


def test_a_response_carries_identity_segments_and_the_result_page_scores(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    pk = submit(
        firm_a, campaign, "ada@x.example", name="Ada", value=5, role_level="pmo", department="IT"
    )
    rows, _cursor = sync(api_a, campaign_path(campaign), until=[pk])
    assert [row["id"] for row in rows] == [pk]
    row = rows[0]
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.select_related("campaign__version").get(pk=pk)
        expected = selectors.personal_result(respondent=respondent)
        order = list(respondent.campaign.version.dimensions.values_list("key", flat=True))
    assert row["respondent"] == {"email": "ada@x.example", "name": "Ada", "language": "en"}
    assert row["segments"] == {"role_level": "pmo", "department": "IT"}
    assert row["campaign"] == campaign.pk and row["client"] == firm_a.client.pk
    assert row["source"] == "invited" and row["erased"] is False
    assert row["scores"]["overall"] == expected["overall"] and row["scores"]["band"]
    assert [d["key"] for d in row["scores"]["dimensions"]] == order
    for dimension in row["scores"]["dimensions"]:
        assert dimension["score"] == expected["dimensions"][dimension["key"]]["score"]
    with firm_context(firm_a.firm):
        assert datetime.fromisoformat(row["completed_at"]) == respondent.completed_at
        assert datetime.fromisoformat(row["updated_at"]) == respondent.updated_at


def test_incremental_sync_sees_each_response_exactly_once_while_new_ones_arrive(api_a, firm_a):
    first = open_campaign(firm_a, anonymous=False, name="One")
    second = open_campaign(firm_a, anonymous=False, name="Two")
    expected = [submit(firm_a, first, f"early{n}@x.example") for n in range(5)]
    seen, params = [], {"limit": 2}
    arrivals = iter(range(6))
    while True:
        body = api_a.get(RESPONSES, {k: v for k, v in params.items() if v}).json()
        seen += [row["id"] for row in body["results"]]
        params["cursor"] = body["next_cursor"]
        n = next(arrivals, None)
        if n is not None:  # new responses between page fetches, in both campaigns
            expected.append(submit(firm_a, (first, second)[n % 2], f"late{n}@x.example"))
        elif not body["has_more"]:
            break
    # Whatever had not settled yet comes with the next syncs from the last cursor.
    rest, cursor = sync(api_a, RESPONSES, until=set(expected) - set(seen), cursor=params["cursor"])
    seen += [row["id"] for row in rest]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    # The next sync resumes from the last cursor: only what arrived since.
    newest = submit(firm_a, second, "after@x.example")
    rows, _cursor = sync(api_a, RESPONSES, until=[newest], cursor=cursor)
    assert [row["id"] for row in rows] == [newest]


def test_a_response_whose_transaction_commits_late_is_served_after_the_cursor(api_a, firm_a):
    """The race: transaction X writes first (smaller transaction id) but commits after Y; a
    client that read Y and moved its cursor past it must still get X."""
    slow_campaign = open_campaign(firm_a, anonymous=False, name="Slow")
    fast_campaign = open_campaign(firm_a, anonymous=False, name="Fast")
    written, release, failures = threading.Event(), threading.Event(), []

    def slow_submit():
        try:
            with transaction.atomic():
                submit(firm_a, slow_campaign, "slow@x.example")
                written.set()
                assert release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
            written.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_submit)
    thread.start()
    assert written.wait(30) and not failures
    fast = submit(firm_a, fast_campaign, "fast@x.example")  # committed, newer transaction id
    time.sleep(0.5)
    body = api_a.get(RESPONSES).json()
    # Y is held back while the older transaction X is still running.
    assert body["results"] == [] and body["has_more"] is False
    cursor = body["next_cursor"]
    release.set()
    thread.join(30)
    assert not failures
    with firm_context(firm_a.firm):
        slow = Respondent.objects.get(email="slow@x.example").pk
    rows, cursor = sync(api_a, RESPONSES, until=[slow, fast], cursor=cursor)
    assert [row["id"] for row in rows] == [slow, fast]
    assert feed(api_a, RESPONSES, cursor=cursor)[0] == []


def test_an_erased_respondent_comes_again_without_identity(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    pk = submit(firm_a, campaign, "gone@x.example", name="Gone", department="Sales")
    rows, cursor = sync(api_a, RESPONSES, until=[pk])
    assert rows[0]["respondent"]["email"] == "gone@x.example"
    with firm_context(firm_a.firm):
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        respondent = Respondent.objects.get(pk=pk)
        services.respondent_erase(firm=firm_a.firm, respondent=respondent)
    rows, _cursor = sync(api_a, RESPONSES, until=[pk], cursor=cursor)
    assert [row["id"] for row in rows] == [pk]
    assert rows[0]["erased"] is True
    assert rows[0]["respondent"] is None and rows[0]["segments"] is None
    assert rows[0]["scores"] is None
    assert "gone@x.example" not in json.dumps(rows) and "Sales" not in json.dumps(rows)


def test_an_open_link_respondent_is_named_only_after_consenting(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False, open_link=True)
    silent = open_link_response(firm_a, campaign)
    lead = open_link_response(firm_a, campaign, lead={"email": "lead@x.example", "name": "Lee"})
    rows = {row["id"]: row for row in sync(api_a, RESPONSES, until=[silent, lead])[0]}
    assert rows[silent]["respondent"] is None and rows[silent]["source"] == "open_link"
    assert rows[silent]["scores"]["overall"] is not None
    assert rows[lead]["respondent"]["email"] == "lead@x.example"


def _identities():
    return [("hidden@x.example", "Hidden Person"), ("secret@x.example", "Secret Person")]


def test_an_anonymous_campaign_is_refused_and_leaks_no_identity_anywhere(api_a, firm_a):
    anonymous = open_campaign(firm_a, anonymous=True, name="Anonymous", open_link=True)
    ids = [
        submit(firm_a, anonymous, email, name=name, role_level="pmo", department="Skunkworks")
        for email, name in _identities()
    ]
    ids.append(open_link_response(firm_a, anonymous))  # no consent: not a lead
    visible = open_campaign(firm_a, anonymous=False, name="Named")
    named = submit(firm_a, visible, "named@x.example")

    for path in (campaign_path(anonymous), f"{RESPONSES}?campaign={anonymous.pk}"):
        response = api_a.get(path)
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "campaign_anonymous"
        assert body["campaign"] == anonymous.pk and body["anonymous"] is True
        assert "anonymous" in body["detail"]

    rows, _cursor = sync(api_a, RESPONSES, until=[named])
    assert [row["id"] for row in rows] == [named]
    report = build(firm_a, anonymous)
    bodies = [json.dumps(rows)]
    for path in (
        "/api/v1/leads/",
        "/api/v1/reports/",
        f"/api/v1/reports/{report.pk}/",
        f"/api/v1/reports/{report.pk}/csv/",
    ):
        response = api_a.get(path)
        assert response.status_code == 200, path
        content = b"".join(response.streaming_content) if response.streaming else response.content
        bodies.append(content.decode())
    everything = "\n".join(bodies)
    for email, name in _identities():
        assert email not in everything and name not in everything
    assert not set(ids) & {row["id"] for row in json.loads(bodies[1])["results"]}


def test_since_filters_and_their_validation(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    old = submit(firm_a, campaign, "old@x.example")
    with firm_context(firm_a.firm):
        moment = Respondent.objects.get(pk=old).updated_at
    new = submit(firm_a, campaign, "new@x.example")
    with firm_context(firm_a.firm):
        later = Respondent.objects.get(pk=new).completed_at
    sync(api_a, RESPONSES, until=[old, new])
    rows, _ = feed(api_a, RESPONSES, completed_since=later.isoformat())
    assert [row["id"] for row in rows] == [new]
    rows, _ = feed(api_a, RESPONSES, updated_since=moment.isoformat())
    assert {row["id"] for row in rows} == {old, new}
    for name in ("completed_since", "updated_since"):
        for bad in (
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00",
            "0001-01-01T00:00+01:00",
        ):
            response = api_a.get(RESPONSES, {name: bad})
            assert response.status_code == 400, (name, bad)
            assert response.json()["errors"] == [
                {
                    "field": name,
                    "code": "invalid_datetime",
                    "detail": response.json()["errors"][0]["detail"],
                }
            ]
    for bad in ("abc", "-1", "0"):
        response = api_a.get(RESPONSES, {"campaign": bad})
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == "invalid_id"
    assert api_a.get(RESPONSES, {"cursor": "not-a-cursor"}).status_code == 400


def test_another_firms_campaign_is_a_404_like_a_missing_one(api_a, api_b, firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    pk = submit(firm_a, campaign, "a@x.example")
    sync(api_a, RESPONSES, until=[pk])
    for path in (campaign_path(campaign), f"{RESPONSES}?campaign={campaign.pk}"):
        response = api_b.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    missing = api_b.get(reverse("api_campaign_responses", kwargs={"campaign_id": 10**12}))
    assert missing.status_code == 404 and missing.json() == response.json()
    assert feed(api_b, RESPONSES)[0] == []


def test_the_responses_scope_is_needed(firm_a):
    campaign = open_campaign(firm_a, anonymous=False)
    _key, secret = make_key(firm_a, scopes=["campaigns:read", "leads:read"])
    for path in (RESPONSES, campaign_path(campaign)):
        response = ApiClient(secret).get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "missing_scope"
        assert response.json()["missing_scope"] == "responses:read"
    assert ApiClient().get(RESPONSES).status_code == 401


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_queries_for_3_and_30_responses(
    api_a, firm_a, count, django_assert_max_num_queries
):
    first = open_campaign(firm_a, anonymous=False, name="One")
    second = open_campaign(firm_a, anonymous=False, name="Two")
    ids = [submit(firm_a, (first, second)[n % 2], f"r{n}@x.example") for n in range(count)]
    sync(api_a, RESPONSES, until=ids)  # settled; and the key's last use is written (once a minute)
    with django_assert_max_num_queries(11):
        response = api_a.get(RESPONSES, {"limit": 50})
    assert len(response.json()["results"]) == count
