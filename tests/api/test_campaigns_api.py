"""Campaigns through the API: create with the pages' rules, the list's filters, update while a
draft (a 409 after the launch), launch, close and remind with their 409 codes, the live
statistics equal to the campaign page's, another firm's campaign a 404 that changes nothing,
scopes and constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEntry
from assessments import services
from assessments.models import Campaign, InstrumentVersion, Respondent
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, brand, new_campaign, person

from .conftest import ApiClient, make_key
from .problems import codes

pytestmark = pytest.mark.django_db


def version_of(world):
    with firm_context(world.firm):
        return InstrumentVersion.objects.get()


def draft(world, people=(), **fields):
    with firm_context(world.firm):
        campaign = new_campaign(world, **fields)
        if people:
            add_people(world, campaign, list(people))
        return campaign


def launched(world, people=(), **fields):
    campaign = draft(world, people, **fields)
    with firm_context(world.firm):
        return services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)


def state(world):
    with firm_context(world.firm):
        return (
            sorted(Campaign.objects.values_list("id", "status", "name", "closes_at")),
            sorted(Respondent.objects.values_list("id", "email", "sent_at")),
            AuditEntry.objects.count(),
        )


def closes(days=10):
    return (timezone.now() + timedelta(days=days)).isoformat()


def test_create_a_campaign_with_the_firms_defaults(api_a, firm_a):
    brand(firm_a, default_language="sv")
    version = version_of(firm_a)
    response = api_a.post(
        "/api/v1/campaigns/",
        {
            "client": firm_a.client.pk,
            "version": version.pk,
            "name": "Spring round",
            "closes_at": closes(),
            "open_link": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    with firm_context(firm_a.firm):
        campaign = Campaign.objects.get()
        entry = AuditEntry.objects.get(action="campaign.created")
    assert body["id"] == campaign.pk and isinstance(body["id"], int)
    assert body["client"] == firm_a.client.pk and body["version"] == version.pk
    assert body["status"] == "draft" and body["anonymous"] is True
    assert body["default_language"] == "sv"
    assert (
        body["invitation_subject_sv"]
        == services.default_invitation_texts()["invitation_subject_sv"]
    )
    assert body["max_reminders"] == 2 and body["reminder_interval_days"] == 4
    assert body["opens_at"] is None and body["opened_at"] is None
    assert timezone.datetime.fromisoformat(body["closes_at"]) == campaign.closes_at
    assert body["open_link"].endswith(
        reverse("assessments:open_link", args=[firm_a.firm.slug, campaign.open_link_token])
    )
    assert entry.data["api_key"] == api_a.key.prefix


def test_create_reports_every_field_error_with_its_code(api_a, firm_a):
    version = version_of(firm_a)
    response = api_a.post("/api/v1/campaigns/", {"max_reminders": 9})
    assert response.status_code == 400
    assert codes(response) == {
        "client": {"required"},
        "version": {"required"},
        "name": {"required"},
        "closes_at": {"required"},
        "max_reminders": {"max_value"},
    }
    base = {"client": firm_a.client.pk, "version": version.pk, "name": "X", "closes_at": closes()}
    response = api_a.post("/api/v1/campaigns/", {**base, "invitation_body_en": "Hi {who}"})
    assert codes(response) == {"invitation_body_en": {"unknown_placeholder"}}
    response = api_a.post("/api/v1/campaigns/", {**base, "closes_at": closes(-1)})
    assert codes(response) == {"closes_at": {"close_date_not_in_future"}}
    response = api_a.post("/api/v1/campaigns/", {**base, "closes_at": "tomorrow"})
    assert codes(response) == {"closes_at": {"invalid"}}
    response = api_a.post("/api/v1/campaigns/", {**base, "version": 999999999})
    assert codes(response) == {"version": {"does_not_exist"}}
    response = api_a.post("/api/v1/campaigns/", [base])
    assert response.status_code == 400 and codes(response) == {"": {"not_an_object"}}
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()


def test_archived_client_gets_no_new_campaign(api_a, firm_a):
    with firm_context(firm_a.firm):
        account_services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
    version = version_of(firm_a)
    response = api_a.post(
        "/api/v1/campaigns/",
        {"client": firm_a.client.pk, "version": version.pk, "name": "X", "closes_at": closes()},
    )
    assert response.status_code == 400
    assert codes(response) == {"client": {"client_archived"}}


def test_another_firms_client_or_version_cannot_be_named(api_a, firm_a, firm_b):
    before = state(firm_b)
    base = {"name": "X", "closes_at": closes()}
    response = api_a.post(
        "/api/v1/campaigns/",
        {**base, "client": firm_b.client.pk, "version": version_of(firm_a).pk},
    )
    assert codes(response) == {"client": {"does_not_exist"}}
    response = api_a.post(
        "/api/v1/campaigns/",
        {**base, "client": firm_a.client.pk, "version": version_of(firm_b).pk},
    )
    assert codes(response) == {"version": {"does_not_exist"}}
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()
    assert state(firm_b) == before


def test_list_filters_by_client_and_status(api_a, firm_a, firm_b):
    first = draft(firm_a, name="First")
    other = draft(firm_a, name="Other", client=firm_a.other_client)
    opened = launched(firm_a, name="Opened")
    draft(firm_b, name="Beta's")
    body = api_a.get("/api/v1/campaigns/").json()
    assert [c["id"] for c in body["results"]] == [first.pk, other.pk, opened.pk]
    body = api_a.get(f"/api/v1/campaigns/?client={firm_a.other_client.pk}").json()
    assert [c["id"] for c in body["results"]] == [other.pk]
    body = api_a.get("/api/v1/campaigns/?status=open").json()
    assert [c["id"] for c in body["results"]] == [opened.pk]
    body = api_a.get(f"/api/v1/campaigns/?status=draft&client={firm_a.client.pk}").json()
    assert [c["id"] for c in body["results"]] == [first.pk]
    page = api_a.get("/api/v1/campaigns/?limit=2").json()
    assert len(page["results"]) == 2 and page["next_cursor"]
    rest = api_a.get(f"/api/v1/campaigns/?limit=2&cursor={page['next_cursor']}").json()
    assert [c["id"] for c in rest["results"]] == [opened.pk] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("client=abc", "client", "invalid"),
        ("client=-3", "client", "invalid"),
        ("client=99999999999999999999", "client", "invalid"),
        ("client=999999999", "client", "does_not_exist"),
        ("status=running", "status", "invalid_choice"),
        ("status=", "status", "invalid_choice"),
    ],
)
def test_invalid_filters_are_400s_with_a_field_error(api_a, firm_a, query, field, code):
    draft(firm_a)
    response = api_a.get(f"/api/v1/campaigns/?{query}")
    assert response.status_code == 400
    assert codes(response) == {field: {code}}


def test_filtering_by_another_firms_client_is_like_a_missing_one(api_a, firm_b):
    draft(firm_b)
    other = api_a.get(f"/api/v1/campaigns/?client={firm_b.client.pk}")
    missing = api_a.get("/api/v1/campaigns/?client=999999999")
    assert other.status_code == missing.status_code == 400
    assert codes(other) == codes(missing) == {"client": {"does_not_exist"}}


def test_read_and_update_a_draft(api_a, firm_a):
    campaign = draft(firm_a, name="Before")
    response = api_a.get(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 200 and response.json()["name"] == "Before"
    response = api_a.patch(
        f"/api/v1/campaigns/{campaign.pk}/",
        {"name": "After", "max_reminders": 3, "anonymous": False, "open_link": True},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["max_reminders"], body["anonymous"]) == ("After", 3, False)
    assert body["open_link"]
    with firm_context(firm_a.firm):
        campaign.refresh_from_db()
        assert (campaign.name, campaign.max_reminders, campaign.anonymous) == ("After", 3, False)
        assert AuditEntry.objects.filter(action="campaign.updated").exists()
    response = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"closes_at": closes(-2)})
    assert codes(response) == {"closes_at": {"close_date_not_in_future"}}
    response = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": ""})
    assert codes(response) == {"name": {"blank"}}
    response = api_a.patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"client": firm_a.other_client.pk, "name": "Y"}
    )
    assert codes(response) == {"client": {"read_only"}}
    with firm_context(firm_a.firm):
        campaign.refresh_from_db()
        assert (campaign.client_id, campaign.name) == (firm_a.client.pk, "After")


def test_update_changes_the_instrument_only_to_the_firms_own_version(api_a, firm_a, firm_b):
    campaign = draft(firm_a)
    with firm_context(firm_a.firm):
        copy = services.instrument_copy(
            firm=firm_a.firm, actor=firm_a.owner, version=InstrumentVersion.objects.get()
        )
    response = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"version": copy.pk})
    assert response.status_code == 200 and response.json()["version"] == copy.pk
    response = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"version": version_of(firm_b).pk})
    assert codes(response) == {"version": {"does_not_exist"}}


@pytest.mark.parametrize("step", ["launched", "closed"])
def test_update_after_the_launch_is_a_409(api_a, firm_a, step):
    campaign = launched(firm_a, name="Fixed")
    if step == "closed":
        with firm_context(firm_a.firm):
            services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    before = state(firm_a)
    response = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Changed"})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "campaign_not_draft"
    assert state(firm_a) == before


def test_launch_close_and_their_409s(api_a, firm_a):
    campaign = draft(firm_a, [person("a@x.example"), person("b@x.example")])
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open" and response.json()["opened_at"]
    assert OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").exists()
    again = api_a.post(f"/api/v1/campaigns/{campaign.pk}/launch/")
    assert again.status_code == 409 and again.json()["code"] == "campaign_not_launchable"
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["closed_at"]
    again = api_a.post(f"/api/v1/campaigns/{campaign.pk}/close/")
    assert again.status_code == 409 and again.json()["code"] == "campaign_already_closed"
    with firm_context(firm_a.firm):
        assert Campaign.objects.get().status == "closed"


def test_launch_with_a_future_opening_schedules_it(api_a, firm_a):
    campaign = draft(firm_a, opens_at=timezone.now() + timedelta(days=1))
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 200 and response.json()["status"] == "scheduled"


def test_launch_after_the_close_date_is_a_409(api_a, firm_a):
    campaign = draft(firm_a)
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - timedelta(1))
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/launch/")
    assert response.status_code == 409 and response.json()["code"] == "close_date_passed"


def test_remind_now(api_a, firm_a):
    campaign = draft(firm_a, [person("a@x.example"), person("b@x.example")])
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/reminders/")
    assert response.status_code == 409 and response.json()["code"] == "campaign_not_open"
    with firm_context(firm_a.firm):
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/reminders/")
    assert response.status_code == 409 and response.json()["code"] == "nobody_to_remind"
    with firm_context(firm_a.firm):
        Respondent.objects.filter(email="a@x.example").update(sent_at=timezone.now())
    reminders = OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").count()
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/reminders/")
    assert response.status_code == 202
    assert response.json() == {"reminded": 1}
    assert (
        OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").count()
        == reminders + 1
    )
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.get(action="campaign.reminded").data["respondents"] == 1


def test_stats_are_the_campaign_pages_figures(api_a, client, firm_a):
    people = [person(f"l{n}@x.example", role_level="leadership") for n in range(3)] + [
        person(f"t{n}@x.example", role_level="team_member") for n in range(6)
    ]
    campaign = launched(firm_a, people)
    with firm_context(firm_a.firm):
        Respondent.objects.filter(email__startswith="t").update(sent_at=timezone.now())
        Respondent.objects.filter(email__in=["t0@x.example", "t1@x.example"]).update(
            started_at=timezone.now(), completed_at=timezone.now()
        )
        Respondent.objects.filter(email="l0@x.example").update(bounced_at=timezone.now())
    response = api_a.get(f"/api/v1/campaigns/{campaign.pk}/stats/")
    assert response.status_code == 200
    body = response.json()
    assert (body["invited"], body["completed"], body["rate"], body["bounced"]) == (9, 2, 22, 1)
    assert {s["role_level"]: (s["invited"], s["completed"]) for s in body["segments"]} == {
        "leadership": (3, 0),
        "team_member": (6, 2),
    }
    client.force_login(firm_a.consultant)
    page = client.get(reverse("assessments:campaign_stats", args=[firm_a.firm.slug, campaign.pk]))
    figures = page.json()
    assert figures["departments"] == [
        {"department": "", "label": "—", "invited": 9, "completed": 2, "rate": 22}
    ]
    assert body == figures


def test_another_firms_campaign_is_a_404_and_nothing_changes(api_a, api_b, firm_a):
    campaign = draft(firm_a, [person("a@x.example")])
    before = state(firm_a)
    base = f"/api/v1/campaigns/{campaign.pk}/"
    calls = [
        ("get", base, None),
        ("patch", base, {"name": "Hijacked"}),
        ("post", base + "launch/", None),
        ("post", base + "close/", None),
        ("post", base + "reminders/", None),
        ("get", base + "stats/", None),
    ]
    missing = api_b.get("/api/v1/campaigns/999999999/")
    for method, path, data in calls:
        response = getattr(api_b, method)(path, data)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
        assert campaign.name.encode() not in response.content
    assert missing.status_code == 404
    assert state(firm_a) == before
    assert api_b.get("/api/v1/campaigns/").json()["results"] == []


def test_writes_need_campaigns_write(firm_a):
    campaign = draft(firm_a)
    _key, secret = make_key(firm_a, scopes=["campaigns:read"])
    api = ApiClient(secret)
    before = state(firm_a)
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 200
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/stats/").status_code == 200
    for path in (
        f"/api/v1/campaigns/{campaign.pk}/launch/",
        f"/api/v1/campaigns/{campaign.pk}/close/",
        f"/api/v1/campaigns/{campaign.pk}/reminders/",
    ):
        response = api.post(path)
        assert response.status_code == 403
        assert response.json()["missing_scope"] == "campaigns:write"
    response = api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "New"})
    assert response.status_code == 403
    assert state(firm_a) == before
    _key, secret = make_key(firm_a, scopes=["respondents:read"], name="other")
    response = ApiClient(secret).get("/api/v1/campaigns/")
    assert response.status_code == 403 and response.json()["missing_scope"] == "campaigns:read"


def test_anonymous_requests_are_401s(firm_a):
    campaign = draft(firm_a)
    response = ApiClient().get(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_list_takes_the_same_queries_for_3_and_30_campaigns(
    api_a, firm_a, django_assert_max_num_queries
):
    for n in range(3):
        draft(firm_a, [person(f"p{n}@x.example")], name=f"C{n}", open_link=True)
    url = f"/api/v1/campaigns/?limit=100&client={firm_a.client.pk}"
    api_a.get(url)  # the key's last use is recorded once a minute: not in the counts below
    with django_assert_max_num_queries(15) as small:
        body = api_a.get(url).json()
    assert len(body["results"]) == 3
    for n in range(3, 30):
        draft(firm_a, [person(f"p{n}@x.example")], name=f"C{n}", open_link=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api_a.get(url).json()
    assert len(body["results"]) == 30


def test_problem_details_follow_the_requests_language(api_a, firm_a):
    campaign = launched(firm_a)
    english = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "X"})
    swedish = api_a.patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"name": "X"}, HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert english.json()["code"] == swedish.json()["code"] == "campaign_not_draft"
    assert swedish.json()["detail"] == "Bara ett kampanjutkast kan ändras här."
    bad = api_a.get("/api/v1/campaigns/?status=x", HTTP_ACCEPT_LANGUAGE="sv").json()
    assert bad["errors"][0]["detail"].startswith("Använd något av:")
