"""Respondents through the API: bulk add with the CSV import's rules (all or nothing, every bad
row named with its index, field and code, at most 1,000), idempotent repeats, the list with
invitation status and its filter, what an anonymous campaign's list shows, resend, removal
before the launch, another firm's objects a 404 that changes nothing, scopes, constant queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from assessments import services
from assessments.models import Answer, Campaign, InstrumentVersion, Respondent
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

from .conftest import ApiClient, make_key
from .problems import codes

pytestmark = pytest.mark.django_db

ROW_FIELDS = {
    "id",
    "email",
    "name",
    "language",
    "role_level",
    "department",
    "status",
    "reminders_sent",
    "erased",
    "created_at",
}


def campaign_of(world, people=(), launch=False, **fields):
    with firm_context(world.firm):
        campaign = new_campaign(world, **fields)
        if people:
            add_people(world, campaign, list(people))
        if launch:
            campaign = services.campaign_launch(
                firm=world.firm, actor=world.owner, campaign=campaign
            )
        return campaign


def people_of(world):
    with firm_context(world.firm):
        return sorted(
            Respondent.objects.values_list("campaign_id", "email", "name", "role_level", "sent_at")
        )


def url(campaign, tail=""):
    return f"/api/v1/campaigns/{campaign.pk}/respondents/{tail}"


def test_bulk_add_creates_and_updates_by_email(api_a, firm_a):
    campaign = campaign_of(firm_a, [person("known@x.example", "Old name")])
    response = api_a.post(
        url(campaign),
        {
            "rows": [
                {"email": "New@X.example", "name": "New", "role_level": "Team member"},
                {"email": "known@x.example", "name": "Fresh name", "language": "sv"},
                {"email": "third@x.example", "department": "IT"},
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 1}
    with firm_context(firm_a.firm):
        new = Respondent.objects.get(email="new@x.example")
        known = Respondent.objects.get(email="known@x.example")
        entry = AuditEntry.objects.get(action="respondents.added", data__created=2)
    assert (new.role_level, new.language) == ("team_member", "en")
    assert (known.name, known.language) == ("Fresh name", "sv")
    assert entry.data["api_key"] == api_a.key.prefix
    # A draft sends nothing yet.
    assert not OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").exists()


def test_new_people_of_an_open_campaign_are_invited_at_once(api_a, firm_a):
    campaign = campaign_of(firm_a, [person("a@x.example")], launch=True)
    before = OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").count()
    response = api_a.post(url(campaign), {"rows": [{"email": "late@x.example"}]})
    assert response.status_code == 200
    after = OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").count()
    assert after == before + 1


def test_one_bad_row_adds_nobody_and_every_bad_row_is_named(api_a, firm_a):
    campaign = campaign_of(firm_a)
    rows = [
        {"email": "fine@x.example"},
        {"email": "not-an-email"},
        {"name": "No email"},
        {"email": "x@x.example", "language": "de", "role_level": "boss"},
        {"email": "y@x.example", "name": "N" * 151, "department": "bad\x07dept"},
        {"email": 42},
        {"email": "a" * 250 + "@x.example"},
        "not a row",
    ]
    response = api_a.post(url(campaign), {"rows": rows})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    # The shape comes first (strings, required email; JSON types strictly) ...
    assert codes(response) == {
        "rows.2.email": {"required"},
        "rows.5.email": {"wrong_type"},
        "rows.7": {"invalid"},
    }
    assert people_of(firm_a) == []
    rows = [*rows[:2], *rows[3:5], {"email": "42"}, rows[6]]
    response = api_a.post(url(campaign), {"rows": rows})
    # ... then the CSV import's rules, every problem of every row, with its code.
    assert codes(response) == {
        "rows.1.email": {"invalid_email"},
        "rows.2.language": {"invalid_language"},
        "rows.2.role_level": {"invalid_role_level"},
        "rows.3.name": {"name_too_long"},
        "rows.3.department": {"control_characters"},
        "rows.4.email": {"invalid_email"},
        "rows.5.email": {"invalid_email"},
    }
    assert all(error["detail"] for error in response.json()["errors"])
    assert people_of(firm_a) == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "rows", "required"),
        ({"rows": []}, "rows", "min_length"),
        ({"rows": "a@x.example"}, "rows", "not_a_list"),
        ({"rows": [{"email": f"p{n}@x.example"} for n in range(1001)]}, "rows", "max_length"),
    ],
)
def test_the_batch_itself_must_be_1_to_1000_rows(api_a, firm_a, body, field, code):
    campaign = campaign_of(firm_a)
    response = api_a.post(url(campaign), body)
    assert response.status_code == 400
    assert codes(response) == {field: {code}}
    assert people_of(firm_a) == []


def test_1000_rows_in_one_call(api_a, firm_a):
    campaign = campaign_of(firm_a)
    rows = [{"email": f"p{n}@x.example", "name": f"P {n}"} for n in range(1000)]
    response = api_a.post(url(campaign), {"rows": rows})
    assert response.status_code == 200 and response.json() == {"created": 1000, "updated": 0}


def test_a_closed_campaign_takes_nobody(api_a, firm_a):
    campaign = campaign_of(firm_a, launch=True)
    with firm_context(firm_a.firm):
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    response = api_a.post(url(campaign), {"rows": [{"email": "a@x.example"}]})
    assert response.status_code == 409 and response.json()["code"] == "campaign_closed"
    assert people_of(firm_a) == []


def test_the_same_bulk_add_with_one_idempotency_key_adds_once(api_a, firm_a):
    campaign = campaign_of(firm_a)
    body = {"rows": [{"email": "once@x.example"}, {"email": "twice@x.example"}]}
    first = api_a.post(url(campaign), body, HTTP_IDEMPOTENCY_KEY="sync-42")
    with firm_context(firm_a.firm):
        Respondent.objects.filter(email="once@x.example").update(name="Changed since")
    repeat = api_a.post(url(campaign), body, HTTP_IDEMPOTENCY_KEY="sync-42")
    assert first.status_code == repeat.status_code == 200
    assert first.json() == {"created": 2, "updated": 0}
    assert repeat.content == first.content
    assert repeat["Idempotent-Replayed"] == "true"
    with firm_context(firm_a.firm):
        assert Respondent.objects.count() == 2
        assert Respondent.objects.get(email="once@x.example").name == "Changed since"
        assert AuditEntry.objects.filter(action="respondents.added").count() == 1
    other = api_a.post(
        url(campaign), {"rows": [{"email": "else@x.example"}]}, HTTP_IDEMPOTENCY_KEY="sync-42"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    with firm_context(firm_a.firm):
        assert not Respondent.objects.filter(email="else@x.example").exists()


def test_list_with_invitation_status_and_its_filter(api_a, firm_a):
    emails = ["q@x.example", "s@x.example", "o@x.example", "st@x.example", "c@x.example"]
    campaign = campaign_of(firm_a, [person(e) for e in [*emails, "b@x.example"]], launch=True)
    now = timezone.now()
    with firm_context(firm_a.firm):
        people = Respondent.objects.filter(campaign=campaign)
        people.exclude(email="q@x.example").update(sent_at=now)
        people.filter(email__in=["o@x.example", "st@x.example", "c@x.example"]).update(
            opened_at=now
        )
        people.filter(email__in=["st@x.example", "c@x.example"]).update(started_at=now)
        people.filter(email="c@x.example").update(completed_at=now, reminders_sent=1)
        people.filter(email="b@x.example").update(bounced_at=now)
    body = api_a.get(url(campaign)).json()
    by_email = {row["email"]: row for row in body["results"]}
    assert {email: row["status"] for email, row in by_email.items()} == {
        "q@x.example": "queued",
        "s@x.example": "sent",
        "o@x.example": "opened",
        "st@x.example": "started",
        "c@x.example": "completed",
        "b@x.example": "bounced",
    }
    assert by_email["c@x.example"]["reminders_sent"] == 1
    assert [row["id"] for row in body["results"]] == sorted(row["id"] for row in body["results"])
    for status, email in [
        ("queued", "q@x.example"),
        ("sent", "s@x.example"),
        ("opened", "o@x.example"),
        ("started", "st@x.example"),
        ("completed", "c@x.example"),
        ("bounced", "b@x.example"),
    ]:
        rows = api_a.get(url(campaign), {"status": status}).json()["results"]
        assert [row["email"] for row in rows] == [email], status
    response = api_a.get(url(campaign), {"status": "answered"})
    assert response.status_code == 400 and codes(response) == {"status": {"invalid_choice"}}


def test_an_anonymous_campaigns_list_shows_what_its_page_shows_and_no_answers(api_a, firm_a):
    campaign = campaign_of(
        firm_a, [person("done@x.example", "Done", role_level="pmo"), person("gone@x.example")]
    )
    assert campaign.anonymous
    with firm_context(firm_a.firm):
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        done = Respondent.objects.get(email="done@x.example")
        item = InstrumentVersion.objects.get().items.first()
        Answer.objects.create(firm=firm_a.firm, respondent=done, item=item, value=5)
        Respondent.objects.filter(pk=done.pk).update(
            sent_at=timezone.now(),
            completed_at=timezone.now(),
            result={"overall": 12.3456789, "band": "engine"},
        )
        gone = Respondent.objects.get(email="gone@x.example")
        # Erased in a closed campaign, the row stays for the figures, without the identity.
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        services.respondent_erase(firm=firm_a.firm, respondent=gone)
    rows = api_a.get(url(campaign)).json()["results"]
    assert all(set(row) == ROW_FIELDS for row in rows)
    by_id = {row["id"]: row for row in rows}
    assert by_id[done.pk]["status"] == "completed" and by_id[done.pk]["email"] == "done@x.example"
    assert by_id[gone.pk]["erased"] is True
    assert (by_id[gone.pk]["email"], by_id[gone.pk]["name"]) == ("", "")
    text = api_a.get(url(campaign)).content.decode()
    assert "12.3456789" not in text and "engine" not in text and "gone@x.example" not in text
    one = api_a.get(url(campaign, f"{done.pk}/")).json()
    assert one == by_id[done.pk]


def test_resend(api_a, firm_a):
    campaign = campaign_of(firm_a, [person("a@x.example"), person("done@x.example")])
    with firm_context(firm_a.firm):
        a = Respondent.objects.get(email="a@x.example")
        done = Respondent.objects.get(email="done@x.example")
    response = api_a.post(url(campaign, f"{a.pk}/resend/"))
    assert response.status_code == 409 and response.json()["code"] == "campaign_not_open"
    with firm_context(firm_a.firm):
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        Respondent.objects.filter(pk=a.pk).update(sent_at=timezone.now(), bounced_at=timezone.now())
        Respondent.objects.filter(pk=done.pk).update(completed_at=timezone.now())
    response = api_a.post(url(campaign, f"{a.pk}/resend/"))
    assert response.status_code == 202, response.content
    assert response.json()["id"] == a.pk and response.json()["status"] == "sent"
    assert OutboxTask.objects.filter(
        task_name="assessments.send_respondent_email", kwargs__respondent_id=a.pk
    ).exists()
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.filter(
            action="respondent.invitation_resent", target_id=a.pk
        ).exists()
    response = api_a.post(url(campaign, f"{done.pk}/resend/"))
    assert response.status_code == 409 and response.json()["code"] == "respondent_completed"


def test_remove_before_the_launch_only(api_a, firm_a):
    campaign = campaign_of(firm_a, [person("a@x.example"), person("b@x.example")])
    with firm_context(firm_a.firm):
        a = Respondent.objects.get(email="a@x.example")
        b = Respondent.objects.get(email="b@x.example")
    response = api_a.delete(url(campaign, f"{a.pk}/"))
    assert response.status_code == 204 and response.content == b""
    with firm_context(firm_a.firm):
        assert list(Respondent.objects.values_list("email", flat=True)) == ["b@x.example"]
        entry = AuditEntry.objects.get(action="respondent.removed")
        assert entry.target_id == a.pk and "a@x.example" not in str(entry.data)
    assert api_a.delete(url(campaign, f"{a.pk}/")).status_code == 404
    with firm_context(firm_a.firm):
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    response = api_a.delete(url(campaign, f"{b.pk}/"))
    assert response.status_code == 409 and response.json()["code"] == "campaign_not_draft"
    with firm_context(firm_a.firm):
        assert Respondent.objects.filter(pk=b.pk).exists()


def test_another_firms_campaign_and_respondents_are_404s_and_nothing_changes(
    api_a, api_b, firm_a, firm_b
):
    campaign = campaign_of(firm_a, [person("a@x.example")], launch=True)
    own = campaign_of(firm_b, [person("b@x.example")])
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get()
    before_a, before_b = people_of(firm_a), people_of(firm_b)
    outbox_before = OutboxTask.objects.count()
    calls = [
        ("get", url(campaign), None),
        ("post", url(campaign), {"rows": [{"email": "intruder@x.example"}]}),
        ("get", url(campaign, f"{respondent.pk}/"), None),
        ("delete", url(campaign, f"{respondent.pk}/"), None),
        ("post", url(campaign, f"{respondent.pk}/resend/"), None),
        # Firm B's own campaign, firm A's respondent.
        ("get", url(own, f"{respondent.pk}/"), None),
        ("delete", url(own, f"{respondent.pk}/"), None),
        ("post", url(own, f"{respondent.pk}/resend/"), None),
    ]
    for method, path, data in calls:
        response = getattr(api_b, method)(path, data)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
        assert b"a@x.example" not in response.content
    assert people_of(firm_a) == before_a and people_of(firm_b) == before_b
    assert OutboxTask.objects.count() == outbox_before
    with firm_context(firm_a.firm):
        assert Campaign.objects.get().status == "open"


def test_scopes(firm_a):
    campaign = campaign_of(firm_a, [person("a@x.example")])
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get()
    _key, secret = make_key(firm_a, scopes=["respondents:read", "campaigns:write"])
    reader = ApiClient(secret)
    assert reader.get(url(campaign)).status_code == 200
    for method, path in [
        ("post", url(campaign)),
        ("delete", url(campaign, f"{respondent.pk}/")),
        ("post", url(campaign, f"{respondent.pk}/resend/")),
    ]:
        response = getattr(reader, method)(path, {"rows": [{"email": "n@x.example"}]})
        assert response.status_code == 403
        assert response.json()["missing_scope"] == "respondents:write"
    _key, secret = make_key(firm_a, scopes=["campaigns:read"], name="campaigns only")
    response = ApiClient(secret).get(url(campaign))
    assert response.status_code == 403 and response.json()["missing_scope"] == "respondents:read"
    assert people_of(firm_a) == [(campaign.pk, "a@x.example", "", "", None)]


def test_the_list_takes_the_same_queries_for_3_and_30_people(
    api_a, firm_a, django_assert_max_num_queries
):
    campaign = campaign_of(firm_a, [person(f"p{n}@x.example") for n in range(3)])
    api_a.get(url(campaign))  # the key's last use is recorded once a minute
    with django_assert_max_num_queries(15) as small:
        body = api_a.get(url(campaign), {"status": "queued", "limit": 100}).json()
    assert len(body["results"]) == 3
    with firm_context(firm_a.firm):
        add_people(firm_a, campaign, [person(f"p{n}@x.example") for n in range(3, 30)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api_a.get(url(campaign), {"status": "queued", "limit": 100}).json()
    assert len(body["results"]) == 30
