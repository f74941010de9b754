"""Privacy rights, the firm's side: one person's data by email across campaigns and leads (the
summary, the JSON export, erasure), the report snapshots staying consistent, tenancy."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEntry
from assessments import selectors, services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Campaign, EmailLog, Item, Respondent
from assessments.services.privacy import ERASED_TOKEN_PREFIX
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, message_codes, new_campaign, person
from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db

EMAIL = "pmo0@x.example"


def lead(world, email, name="Pat"):
    """An open-link test-taker who finished and left `email`: a lead."""
    with firm_context(world.firm):
        campaign = new_campaign(
            world, client=world.other_client, name="Website test", open_link=True, days=20
        )
        campaign = services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent, _token = services.open_link_start(
            firm=world.firm, campaign=campaign, language="en"
        )
        for item in Item.objects.filter(version=campaign.version):
            services.answer_save(firm=world.firm, respondent=respondent, item_id=item.pk, value=3)
        services.respondent_submit(firm=world.firm, respondent=respondent)
        services.lead_capture(
            firm=world.firm,
            respondent=respondent,
            email=email,
            name=name,
            consent=True,
            followup_opt_in=True,
        )
        return Respondent.objects.get(pk=respondent.pk)


@pytest.fixture
def person_data(firm_a, firm_b):
    """EMAIL in firm A: a respondent of a reported campaign (with a report built), an invited
    respondent halfway through an open campaign, and a lead; in firm B: the same address."""
    closed = campaign_with(firm_a, [("pmo", 6, 4), ("leadership", 5, 2)], name="Closed round")
    report = build(firm_a, closed)
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=closed.pk).update(closed_at=report.finished_at)
        done = Respondent.objects.get(campaign=closed, email=EMAIL)
        Respondent.objects.filter(pk=done.pk).update(name="Pat Pmo", result={"overall": 75})
        for kind in ("invitation", "result"):  # both went out
            EmailLog.objects.create(firm=firm_a.firm, respondent=done, kind=kind, status="sent")
        running = new_campaign(firm_a, client=firm_a.other_client, name="Open round", days=9)
        add_people(firm_a, running, [person(EMAIL, "Pat Pmo", role_level="pmo")])
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=running)
        halfway = Respondent.objects.get(campaign=running)
        for item in Item.objects.filter(version=running.version)[:5]:
            services.answer_save(firm=firm_a.firm, respondent=halfway, item_id=item.pk, value=5)
    the_lead = lead(firm_a, EMAIL.upper())
    with firm_context(firm_b.firm):
        other = new_campaign(firm_b, name="Beta round")
        add_people(firm_b, other, [person(EMAIL, "Pat in Beta")])
    return {
        "closed": closed,
        "report": report,
        "done": done,
        "running": running,
        "halfway": halfway,
        "lead": the_lead,
        "other_firm": other,
    }


def privacy_url(world, name="assessments:privacy"):
    return reverse(name, args=[world.firm.slug])


def test_the_summary_finds_the_person_across_campaigns_and_leads_of_the_firm_only(
    client, firm_a, person_data
):
    client.force_login(firm_a.owner)
    assert client.get(privacy_url(firm_a)).status_code == 200
    response = client.post(privacy_url(firm_a), {"email": f"  {EMAIL.upper()} "})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert {r.pk for r in summary["records"]} == {
        person_data["done"].pk,
        person_data["halfway"].pk,
        person_data["lead"].pk,
    }
    assert (summary["responses"], summary["leads"], summary["emails"]) == (2, 1, 2)
    assert len(summary["campaigns"]) == 3 and summary["kept"] == 1
    body = response.content.decode()
    assert "Closed round" in body and "Website test" in body and "Beta round" not in body
    # The address is sent in the body, never in a URL.
    assert EMAIL not in response.request["PATH_INFO"] + response.request.get("QUERY_STRING", "")


def test_a_malformed_address_is_refused(client, firm_a):
    client.force_login(firm_a.owner)
    response = client.post(privacy_url(firm_a), {"email": "not an address"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"]


def test_the_json_export_holds_everything_of_this_firm_and_nothing_of_another(
    client, firm_a, firm_b, person_data
):
    client.force_login(firm_a.owner)
    response = client.post(privacy_url(firm_a, "assessments:privacy_export"), {"email": EMAIL})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-')
    data = json.loads(response.content)
    assert data["firm"] == firm_a.firm.name and data["email"] == EMAIL
    campaigns = sorted(r["campaign"]["name"] for r in data["records"])
    assert campaigns == ["Closed round", "Open round", "Website test"]
    closed = next(r for r in data["records"] if r["campaign"]["name"] == "Closed round")
    assert closed["name"] == "Pat Pmo" and closed["role_level"] == "pmo"
    assert len(closed["answers"]) == 24 and {a["value"] for a in closed["answers"]} == {4}
    assert {e["kind"] for e in closed["emails"]} == {"invitation", "result"}
    website = next(r for r in data["records"] if r["source"] == "open_link")
    assert website["consent_at"] and website["followup_opt_in"] is True
    assert data["access"] == {"member_role": "", "executive_of": []}
    text = response.content.decode()
    assert firm_b.firm.name not in text and "Pat in Beta" not in text
    with firm_context(firm_a.firm):
        entry = AuditEntry.objects.get(action="privacy.person_exported")
    assert entry.actor == firm_a.owner and entry.data == {"records": 3}


def test_the_export_names_a_users_access_to_the_firm(firm_a):
    with firm_context(firm_a.firm):
        data = selectors.person_export(firm=firm_a.firm, email=firm_a.executive.email)
    assert data["records"] == []
    assert data["access"] == {"member_role": "", "executive_of": [firm_a.client.name]}


def test_erasure_asks_first_then_erases_identity_and_keeps_only_what_reports_need(
    client, firm_a, firm_b, person_data
):
    client.force_login(firm_a.owner)
    erase = privacy_url(firm_a, "assessments:privacy_erase")
    confirm = client.post(erase, {"email": EMAIL})
    assert confirm.status_code == 200
    assert b'name="confirm" value="yes"' in confirm.content
    with firm_context(firm_a.firm):
        assert Respondent.objects.filter(email__iexact=EMAIL).count() == 3  # nothing yet
        old_hash = Respondent.objects.get(pk=person_data["done"].pk).token_hash

    response = client.post(erase, {"email": EMAIL, "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == privacy_url(firm_a)

    with firm_context(firm_a.firm):
        assert not Respondent.objects.filter(email__iexact=EMAIL).exists()
        # The reported campaign: the row stays, anonymous, with its answers and segment.
        kept = Respondent.objects.get(pk=person_data["done"].pk)
        assert (kept.email, kept.name, kept.token_salt, kept.result) == ("", "", "", None)
        assert kept.token_hash == f"{ERASED_TOKEN_PREFIX}{kept.pk}" != old_hash
        assert kept.erased_at is not None and kept.completed_at is not None
        assert kept.role_level == "pmo"
        assert Answer.objects.filter(respondent=kept).count() == 24
        # The open campaign and the lead: deleted with their answers.
        assert not Respondent.objects.filter(
            pk__in=[person_data["halfway"].pk, person_data["lead"].pk]
        ).exists()
        assert not Answer.objects.filter(respondent_id=person_data["halfway"].pk).exists()
        assert not EmailLog.objects.filter(respondent_id=kept.pk).exists()
        assert not selectors.leads(firm=firm_a.firm).exists()
        entry = AuditEntry.objects.get(action="privacy.person_erased")
    assert entry.actor == firm_a.owner
    assert entry.data == {
        "respondents": 3,
        "campaigns": 3,
        "leads": 1,
        "anonymised": 1,
        "deleted": 2,
        "answers_kept": 24,
        "answers_deleted": 5 + 24,
        "email_logs_deleted": 3,  # the two sent and one still queued
    }
    assert "pmo0" not in json.dumps(entry.data) + entry.target_type
    # Another firm's record of the same address is untouched.
    with firm_context(firm_b.firm):
        assert Respondent.objects.get(campaign=person_data["other_firm"]).name == "Pat in Beta"
    # Erasing again: nothing left, and the page says so with its code.
    again = client.post(erase, {"email": EMAIL, "confirm": "yes"}, follow=True)
    assert Code.NOTHING_TO_ERASE in message_codes(again)


def test_erased_links_no_longer_open_anything(client, firm_a, person_data):
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get(pk=person_data["done"].pk)
        token = services.respondent_token(respondent)
        services.person_erase(firm=firm_a.firm, actor=firm_a.owner, email=EMAIL)
    for name in ("survey", "survey_result", "unsubscribe", "survey_erase"):
        response = client.get(reverse(f"assessments:{name}", args=[firm_a.firm.slug, token]))
        assert response.status_code == 404, name
        assert response.context["reason"] == "unknown"


def test_a_rebuild_after_erasure_gives_the_same_snapshot(firm_a, person_data):
    """Reports already shown do not change: the anonymous row keeps what the build counts."""
    before = person_data["report"]
    with firm_context(firm_a.firm):
        services.person_erase(firm=firm_a.firm, actor=firm_a.owner, email=EMAIL)
        services.person_erase(firm=firm_a.firm, actor=firm_a.owner, email="leadership0@x.example")
    after = build(firm_a, person_data["closed"], close=False)
    assert after.pk != before.pk and after.response_count == before.response_count == 11
    strip = lambda data: {k: v for k, v in data.items() if k != "generated_at"}  # noqa: E731
    assert strip(after.data) == strip(before.data)
    assert after.data["segments"]  # the role-level groups are still there


def test_erasure_service_refuses_an_unknown_or_empty_address_with_a_code(firm_a, person_data):
    with firm_context(firm_a.firm):
        for email in ("nobody@x.example", "", "   "):
            with pytest.raises(ValidationError) as caught:
                services.person_erase(firm=firm_a.firm, actor=firm_a.owner, email=email)
            assert caught.value.code == Code.NOTHING_TO_ERASE
        assert not AuditEntry.objects.filter(action="privacy.person_erased").exists()


def test_only_owners_and_admins_can_search_export_or_erase(client, firm_a, person_data):
    client.force_login(firm_a.consultant)
    for name in ("assessments:privacy", "assessments:privacy_export"):
        assert client.post(privacy_url(firm_a, name), {"email": EMAIL}).status_code == 404
    erase = privacy_url(firm_a, "assessments:privacy_erase")
    assert client.post(erase, {"email": EMAIL, "confirm": "yes"}).status_code == 404
    with firm_context(firm_a.firm):
        assert Respondent.objects.filter(email__iexact=EMAIL).count() == 3


def test_another_firms_owner_finds_and_erases_nothing_of_this_firm(client, firm_a, firm_b):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Alpha only")
        add_people(firm_a, campaign, [person("only-alpha@x.example", "Olga")])
    client.force_login(firm_b.owner)
    response = client.post(privacy_url(firm_b), {"email": "only-alpha@x.example"})
    assert response.status_code == 200 and response.context["summary"]["records"] == []
    export = client.post(
        privacy_url(firm_b, "assessments:privacy_export"), {"email": "only-alpha@x.example"}
    )
    assert json.loads(export.content)["records"] == []
    client.post(
        privacy_url(firm_b, "assessments:privacy_erase"),
        {"email": "only-alpha@x.example", "confirm": "yes"},
    )
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(campaign=campaign).name == "Olga"
