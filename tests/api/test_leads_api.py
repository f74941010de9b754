"""The leads feed: the Leads page's people (open-link test-takers who left their email with
consent), incremental by cursor and `*_since`, only the firm's own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Respondent
from pmo_platform.tenancy import firm_context

from .conftest import ApiClient, make_key
from .response_helpers import feed, open_campaign, open_link_response, submit, sync

LEADS = "/api/v1/leads/"

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_feed_lists_who_the_leads_page_lists(api_a, firm_a, client):
    campaign = open_campaign(firm_a, anonymous=True, open_link=True)
    lead = open_link_response(
        firm_a,
        campaign,
        value=5,
        lead={"email": "Lee@X.example", "name": "Lee", "followup_opt_in": True},
    )
    silent = open_link_response(firm_a, campaign)  # finished, left no email
    invited = submit(firm_a, campaign, "invited@x.example", name="Invited")
    rows, _cursor = sync(api_a, LEADS, until=[lead])
    with firm_context(firm_a.firm):
        page = [r.pk for r in selectors.leads(firm=firm_a.firm)]
        respondent = Respondent.objects.get(pk=lead)
    assert [row["id"] for row in rows] == page == [lead]
    row = rows[0]
    assert row["email"] == "lee@x.example" and row["name"] == "Lee"
    assert row["campaign"] == campaign.pk and row["campaign_name"] == campaign.name
    assert row["client"] == firm_a.client.pk
    assert row["followup_opt_in"] is True and row["unsubscribed"] is False
    assert row["scores"]["overall"] == respondent.result["overall"] is not None
    assert silent not in {r["id"] for r in rows} and invited not in {r["id"] for r in rows}
    client.force_login(firm_a.owner)
    listing = client.get(reverse("assessments:leads", kwargs={"firm_slug": firm_a.firm.slug}))
    assert b"lee@x.example" in listing.content


def test_the_feed_is_incremental(api_a, firm_a):
    campaign = open_campaign(firm_a, anonymous=False, open_link=True)
    first = open_link_response(firm_a, campaign, lead={"email": "one@x.example"})
    rows, cursor = sync(api_a, LEADS, until=[first])
    second = open_link_response(firm_a, campaign, lead={"email": "two@x.example"})
    rows, cursor = sync(api_a, LEADS, until=[second], cursor=cursor)
    assert [row["id"] for row in rows] == [second]
    # Unsubscribing changes a served field: the lead comes again, once.
    with firm_context(firm_a.firm):
        services.respondent_unsubscribe(respondent=Respondent.objects.get(pk=first))
    rows, cursor = sync(api_a, LEADS, until=[first], cursor=cursor)
    assert [row["id"] for row in rows] == [first] and rows[0]["unsubscribed"] is True
    with firm_context(firm_a.firm):
        consented = Respondent.objects.get(pk=second).consent_at
    rows, _ = feed(api_a, LEADS, created_since=consented.isoformat())
    assert [row["id"] for row in rows] == [second]
    assert api_a.get(LEADS, {"created_since": "soon"}).json()["errors"][0]["code"] == (
        "invalid_datetime"
    )
    assert api_a.get(LEADS, {"updated_since": "2026-02-30T00:00Z"}).status_code == 400


def test_another_firms_leads_are_not_listed_and_the_scope_is_needed(api_a, api_b, firm_a):
    campaign = open_campaign(firm_a, anonymous=True, open_link=True)
    lead = open_link_response(firm_a, campaign, lead={"email": "mine@x.example"})
    sync(api_a, LEADS, until=[lead])
    assert feed(api_b, LEADS)[0] == []
    _key, secret = make_key(firm_a, scopes=["responses:read"])
    response = ApiClient(secret).get(LEADS)
    assert response.status_code == 403 and response.json()["missing_scope"] == "leads:read"


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_queries_for_3_and_30_leads(
    api_a, firm_a, count, django_assert_max_num_queries
):
    campaign = open_campaign(firm_a, anonymous=True, open_link=True)
    ids = [
        open_link_response(firm_a, campaign, lead={"email": f"l{n}@x.example"})
        for n in range(count)
    ]
    sync(api_a, LEADS, until=ids)
    with django_assert_max_num_queries(11):
        response = api_a.get(LEADS, {"limit": 50})
    assert len(response.json()["results"]) == count
