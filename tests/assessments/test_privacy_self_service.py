"""Privacy rights, the respondent's side: asking for erasure from the result page or an email
link, in the respondent's language; the link stops working afterwards."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry
from assessments import services
from assessments.models import Answer, Campaign, EmailLog, Item, Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

pytestmark = pytest.mark.django_db


def finished(world, *, language="en", email="rita@example.com"):
    """An invited respondent of an open campaign who answered everything and submitted."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Check", days=9)
        add_people(world, campaign, [person(email, "Rita", language=language, role_level="pmo")])
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = Respondent.objects.get(campaign=campaign)
        for item in Item.objects.filter(version=campaign.version):
            services.answer_save(firm=world.firm, respondent=respondent, item_id=item.pk, value=4)
        services.respondent_submit(firm=world.firm, respondent=respondent, followup_opt_in=True)
        return Respondent.objects.get(pk=respondent.pk), services.respondent_token(respondent)


def page(world, name, token):
    return reverse(f"assessments:{name}", args=[world.firm.slug, token])


def test_the_result_page_links_to_erasure_and_the_confirmation_changes_nothing(client, firm_a):
    respondent, token = finished(firm_a)
    result = client.get(page(firm_a, "survey_result", token))
    assert page(firm_a, "survey_erase", token).encode() in result.content
    confirm = client.get(page(firm_a, "survey_erase", token))
    assert confirm.status_code == 200
    assert b"Erase your data?" in confirm.content
    assert b"Your answers will be deleted." in confirm.content
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(pk=respondent.pk).email == "rita@example.com"


def test_erasing_from_an_open_campaign_deletes_the_record_and_the_link_stops_working(
    client, firm_a
):
    respondent, token = finished(firm_a)
    response = client.post(page(firm_a, "survey_erase", token))
    assert response.status_code == 200 and response.context["reason"] == "erased"
    assert b"Your data has been erased" in response.content
    with firm_context(firm_a.firm):
        assert not Respondent.objects.filter(pk=respondent.pk).exists()
        assert not Answer.objects.filter(respondent_id=respondent.pk).exists()
        entry = AuditEntry.objects.get(action="privacy.respondent_erased")
    assert entry.actor is None and entry.target_id == respondent.campaign_id
    assert entry.data["deleted"] == 1 and entry.data["answers_deleted"] == 24
    for name in ("survey_result", "survey_erase"):
        again = client.get(page(firm_a, name, token))
        assert again.status_code == 404 and again.context["reason"] == "unknown"
    assert client.post(page(firm_a, "survey_erase", token)).status_code == 404


def test_in_a_closed_campaign_the_answers_stay_anonymous_and_the_pages_are_in_swedish(
    client, firm_a
):
    respondent, token = finished(firm_a, language="sv")
    with firm_context(firm_a.firm):
        services.campaign_close(firm=firm_a.firm, actor=None, campaign=respondent.campaign)
    confirm = client.get(page(firm_a, "survey_erase", token))
    assert b'<html lang="sv">' in confirm.content
    assert "Radera dina uppgifter?" in confirm.content.decode()
    assert confirm.context["keeps_answers"] is True
    done = client.post(page(firm_a, "survey_erase", token))
    assert b'<html lang="sv">' in done.content
    assert "Dina uppgifter är raderade" in done.content.decode()
    with firm_context(firm_a.firm):
        kept = Respondent.objects.get(pk=respondent.pk)
        assert (kept.email, kept.name, kept.erased_at is not None) == ("", "", True)
        assert Answer.objects.filter(respondent=kept).count() == 24
        assert Campaign.objects.get(pk=respondent.campaign_id).status in ("closed", "reported")


def test_result_and_follow_up_emails_carry_the_erasure_link(client, firm_a):
    respondent, token = finished(firm_a)
    with firm_context(firm_a.firm):
        for kind, sequence in (("result", 0), ("followup", 1)):
            assert services.respondent_email_send(
                firm=firm_a.firm, respondent_id=respondent.pk, kind=kind, sequence=sequence
            )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        link = re.search(r"https?://\S+/erase/", message.body).group(0)
        assert link.endswith(page(firm_a, "survey_erase", token))
        assert link in message.alternatives[0][0]
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        assert client.get(path).status_code == 200  # the confirmation, not the erasure


def test_an_email_still_waiting_after_erasure_is_not_sent(firm_a):
    respondent, _token = finished(firm_a)
    with firm_context(firm_a.firm):
        services.campaign_close(firm=firm_a.firm, actor=None, campaign=respondent.campaign)
        services.respondent_erase(firm=firm_a.firm, respondent=respondent)
        assert not services.respondent_email_send(
            firm=firm_a.firm, respondent_id=respondent.pk, kind="result", sequence=0
        )
        assert not EmailLog.objects.filter(respondent_id=respondent.pk).exists()
    assert mail.outbox == []


def test_another_firms_slug_does_not_reach_the_respondent(client, firm_a, firm_b):
    respondent, token = finished(firm_a)
    response = client.post(reverse("assessments:survey_erase", args=[firm_b.firm.slug, token]))
    assert response.status_code == 404
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(pk=respondent.pk).email == "rita@example.com"
