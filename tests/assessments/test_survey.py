"""The respondent's side: tokens, answers, submit, closed campaigns, the open link and leads."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.selectors import hash_token
from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Campaign, InstrumentVersion, Item, Respondent
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

pytestmark = pytest.mark.django_db


def make_campaign(world, **changes):
    with firm_context(world.firm):
        campaign = new_campaign(world, **({"name": "Check"} | changes))
        add_people(world, campaign, [person("resp@example.com", "Rita", role_level="pmo")])
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = campaign.respondents.get()
        return campaign, respondent, services.respondent_token(respondent)


def survey_path(world, token, suffix=""):
    return reverse("assessments:survey", args=[world.firm.slug, token]) + suffix


def post_answer(client, world, token, item, value):
    return client.post(
        survey_path(world, token, "answer/"),
        data=json.dumps({"item": item, "value": value}),
        content_type="application/json",
    )


def test_token_is_long_random_and_only_its_hash_is_stored(firm_a):
    _campaign, respondent, token = make_campaign(firm_a)
    assert len(token) >= 43  # 256 bits, base64url
    assert respondent.token_hash == hash_token(token) and token not in respondent.token_hash
    assert token not in respondent.token_salt


def test_answers_are_kept_across_reloads_and_progress_shows(client, firm_a):
    campaign, respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=campaign.version).order_by("order")[:3])
    assert post_answer(client, firm_a, token, items[0].pk, 5).json() == {
        "saved": True,
        "answered": 1,
    }
    assert post_answer(client, firm_a, token, items[1].pk, "dk").json()["answered"] == 2
    assert post_answer(client, firm_a, token, items[0].pk, 2).json()["answered"] == 2  # changed
    page = client.get(survey_path(firm_a, token)).content.decode()
    assert "2 of 24 answered" in page
    assert f'name="item-{items[0].pk}" value="2" checked' in page
    assert f'name="item-{items[1].pk}" value="dk" checked' in page
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(pk=respondent.pk).status == "started"
        assert InstrumentVersion.objects.get(pk=campaign.version_id).is_frozen


@pytest.mark.parametrize("value", [0, 6, -1, "seven", "", None, 3.5])
def test_answers_outside_the_scale_are_refused(client, firm_a, value):
    campaign, _respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        item = Item.objects.filter(version=campaign.version).first()
    response = post_answer(client, firm_a, token, item.pk, value)
    assert response.status_code == 400 and "error" in response.json()
    with firm_context(firm_a.firm):
        assert not Answer.objects.exists()


def test_items_of_another_version_or_firm_are_refused(client, firm_a, firm_b):
    _campaign, _respondent, token = make_campaign(firm_a)
    with firm_context(firm_b.firm):
        foreign = Item.objects.first()
    for item in (foreign.pk, 999999, "x"):
        assert post_answer(client, firm_a, token, item, 3).status_code == 400
    response = client.post(
        survey_path(firm_a, token, "answer/"), data="not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_submit_needs_every_item_then_works_once(client, firm_a):
    campaign, respondent, token = make_campaign(firm_a)
    response = client.post(survey_path(firm_a, token), {"submit": "1"})
    assert response.status_code == 400
    assert response.context["error_codes"] == [Code.ANSWERS_MISSING]
    assert escape(response.context["error"]) in response.content.decode()
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        fresh = Respondent.objects.get(pk=respondent.pk)
        services.respondent_submit(firm=firm_a.firm, respondent=fresh)
    assert exc.value.code == Code.ANSWERS_MISSING and exc.value.params == {"count": 24}
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=campaign.version))
    # The no-JavaScript path: the whole form posts at once.
    form = {f"item-{item.pk}": "dk" if n % 5 == 0 else "4" for n, item in enumerate(items)}
    response = client.post(survey_path(firm_a, token), {**form, "submit": "1"})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        done = Respondent.objects.get(pk=respondent.pk)
        assert done.completed_at is not None and done.result["overall"] is not None
        assert OutboxTask.objects.filter(task_name="assessments.send_respondent_email").exists()
        first_completed = done.completed_at
    again = client.post(survey_path(firm_a, token), {**form, "submit": "1"})
    assert again.status_code == 302 and again["Location"].endswith("/result/")
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(pk=respondent.pk).completed_at == first_completed
        with pytest.raises(ValidationError) as exc:
            services.respondent_submit(firm=firm_a.firm, respondent=done)
        assert exc.value.code == Code.ALREADY_SUBMITTED


@pytest.mark.parametrize("bad", ["x" * 43, "short", "A" * 300, "dots..and--dashes"])
def test_unknown_or_tampered_tokens_get_a_friendly_page(client, firm_a, bad):
    _campaign, _respondent, token = make_campaign(firm_a)
    tampered = token[:-2] + ("AB" if token[-2:] != "AB" else "CD")
    for candidate in (bad, tampered):
        for suffix in ("", "result/", "unsubscribe/"):
            response = client.get(survey_path(firm_a, candidate, suffix))
            assert response.status_code == 404 and response.context["reason"] == "unknown"
            assert b"This link is not valid" in response.content


def test_another_firms_token_is_unknown_here(client, firm_a, firm_b):
    _campaign, _respondent, token_b = make_campaign(firm_b)
    make_campaign(firm_a)
    for suffix in ("", "result/", "unsubscribe/"):
        response = client.get(survey_path(firm_a, token_b, suffix))
        assert response.status_code == 404 and b"Beta" not in response.content
    assert post_answer(client, firm_a, token_b, 1, 3).status_code == 404
    assert client.get(survey_path(firm_b, token_b)).status_code == 200


def test_closed_campaign_gives_a_clear_page_and_takes_no_answers(client, firm_a):
    campaign, _respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        item = Item.objects.filter(version=campaign.version).first()
    response = client.get(survey_path(firm_a, token))
    assert response.status_code == 410 and response.context["reason"] == "closed"
    assert b"This assessment is closed" in response.content
    assert post_answer(client, firm_a, token, item.pk, 3).status_code == 400
    # Past its close date a campaign stops taking answers even before the sweep closes it.
    campaign2, _r, token2 = make_campaign(firm_a, name="Second")
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign2.pk).update(
            closes_at=timezone.now() - timedelta(seconds=1)
        )
    assert client.get(survey_path(firm_a, token2)).status_code == 410


def test_language_switch_on_the_survey(client, firm_a):
    _campaign, respondent, token = make_campaign(firm_a)
    client.post(survey_path(firm_a, token, "language/"), {"language": "sv"})
    page = client.get(survey_path(firm_a, token)).content.decode()
    assert '<html lang="sv">' in page
    client.post(survey_path(firm_a, token, "language/"), {"language": "xx"})
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(pk=respondent.pk).language == "sv"


def test_open_link_lead_and_rate_limit(client, firm_a, settings):
    settings.OPEN_LINK_RATE = "3/h"
    campaign, _respondent, _token = make_campaign(firm_a, open_link=True)
    start = reverse("assessments:open_link", args=[firm_a.firm.slug, campaign.open_link_token])
    assert client.get(start).status_code == 200
    response = client.post(start)
    assert response.status_code == 302
    path = response["Location"]
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=campaign.version))
    client.post(path, {**{f"item-{i.pk}": "3" for i in items}, "submit": "1"})
    result = path + "result/"
    page = client.get(result)
    assert page.status_code == 200 and b"Get your results and tips by email" in page.content
    # Consent is required.
    response = client.post(result, {"email": "lead@example.com", "name": "Lena"})
    assert response.status_code == 400
    assert response.context["lead_form"].has_error("consent", "required")
    with firm_context(firm_a.firm):
        assert not Respondent.objects.filter(email="lead@example.com").exists()
    response = client.post(result, {"email": "lead@example.com", "name": "Lena", "consent": "on"})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        lead = Respondent.objects.get(email="lead@example.com")
        assert lead.source == "open_link" and lead.consent_at is not None
    client.force_login(firm_a.consultant)
    assert (
        b"lead@example.com"
        in client.get(reverse("assessments:leads", args=[firm_a.firm.slug])).content
    )
    client.logout()
    # Two more starts are allowed within the limit of three; the fourth is refused.
    assert client.post(start).status_code == 302
    assert client.post(start).status_code == 302
    response = client.post(start)
    assert response.status_code == 429 and response.context["reason"] == "busy"
    assert b"Too many attempts" in response.content
    # An unknown open link, or one of another firm, is a friendly 404.
    assert (
        client.get(reverse("assessments:open_link", args=[firm_a.firm.slug, "nope"])).status_code
        == 404
    )
    assert mail.outbox == []  # nothing sent in-process: the worker does that


def test_open_link_is_off_unless_switched_on(client, firm_a):
    campaign, _r, _t = make_campaign(firm_a)
    assert campaign.open_link_token == ""
    assert (
        client.get(reverse("assessments:open_link", args=[firm_a.firm.slug, "x" * 32])).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("path_suffix", "body"),
    [
        ("answer/", "[1, 2]"),
        ("answer/", "7"),
        ("answer/", '"text"'),
        ("answer/", '{"item": "²", "value": 3}'),
        ("answer/", '{"item": 100000000000000000000000000000, "value": 3}'),
        ("answer/", '{"item": -5, "value": 3}'),
        ("answer/", '{"item": true, "value": 3}'),
        ("answer/", '{"item": null, "value": 3}'),
    ],
)
def test_odd_json_is_a_400_not_a_500(client, firm_a, path_suffix, body):
    _campaign, _respondent, token = make_campaign(firm_a)
    response = client.post(
        survey_path(firm_a, token, path_suffix), data=body, content_type="application/json"
    )
    assert response.status_code == 400


def test_odd_form_fields_and_ids_give_no_500(client, firm_a):
    campaign, _respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        item = Item.objects.filter(version=campaign.version).first()
    assert client.post(survey_path(firm_a, token), {"item-²": "3"}).status_code in (302, 400)
    assert client.post(survey_path(firm_a, token), {f"item-{item.pk}": "²"}).status_code == 400
    client.force_login(firm_a.consultant)
    for url in (
        reverse("assessments:campaign_list", args=[firm_a.firm.slug]) + "?client=²",
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]) + "?client=²",
    ):
        assert client.get(url).status_code == 200


def test_placeholder_format_specs_are_refused(firm_a):
    with pytest.raises(ValidationError) as exc:
        make_campaign(firm_a, invitation_body_en="Hi {name:d}")
    assert exc.value.error_dict["invitation_body_en"][0].code == Code.PLACEHOLDER_FORMAT


def test_the_survey_page_says_when_a_campaign_is_not_anonymous(client, firm_a):
    """The API serves a non-anonymous campaign's responses with identity (docs/api.md), so its
    respondents are told on the survey page, in their language; an anonymous one says so too."""
    _named, _person, named_token = make_campaign(firm_a, name="Named", anonymous=False)
    page = client.get(survey_path(firm_a, named_token)).content.decode()
    assert 'id="not-anonymous"' in page and escape(firm_a.firm.name) in page
    client.post(survey_path(firm_a, named_token, "language/"), {"language": "sv"})
    page = client.get(survey_path(firm_a, named_token)).content.decode()
    assert 'id="not-anonymous"' in page and "inte anonym" in page

    _anonymous, _other, token = make_campaign(firm_a, name="Anonymous")
    page = client.get(survey_path(firm_a, token)).content.decode()
    assert 'id="not-anonymous"' not in page


def test_an_autosave_takes_a_small_constant_number_of_queries(
    client, firm_a, django_assert_num_queries
):
    """The autosave's hot path (bench/autosave.py): the firm found and set for RLS in one
    statement, and one prepared statement finding the respondent by its link, saving and
    counting, plus the savepoint of the request's transaction (in a test all inside the test's
    transaction; neither the firm scope nor the service adds one). The same for the first
    answer, a changed one and a later one."""
    campaign, _respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version=campaign.version).order_by("order")[:2])
    for item, value, answered in ((items[0], 4, 1), (items[0], "dk", 1), (items[1], 2, 2)):
        with django_assert_num_queries(4):
            response = post_answer(client, firm_a, token, item.pk, value)
        assert response.json() == {"saved": True, "answered": answered}
