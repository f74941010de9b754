"""Hostile and odd input on the assessments side: CSV files, the autosave's JSON, campaign dates
and texts, respondent names, and the neutral page for unknown links."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Campaign, InstrumentVersion, Item, Respondent
from assessments.respondent_csv import parse_respondent_csv
from pmo_platform.error_codes import PlatformErrorCode
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, form_error_codes, new_campaign, person

from .test_campaign_flow import campaign_form
from .test_respondent_import import people, problems, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(firm_a):
    with firm_context(firm_a.firm):
        return new_campaign(firm_a, name="Odd input")


# --- CSV -------------------------------------------------------------------------------------


def test_csv_with_cr_only_line_endings_is_read(client, firm_a, campaign):
    response = upload(client, firm_a, campaign, b"email,name\rcr@x.example,Cara\rs@x.example,S\r")
    assert response.status_code == 302
    assert set(people(firm_a, campaign)) == {"cr@x.example", "s@x.example"}


@pytest.mark.parametrize(
    "content",
    [
        b"email,name\nnul@x.example,Nu\x00l\n",
        b"email,name\nbell@x.example,Be\x07ll\n",
        b"email,department\nsep@x.example,IT\xe2\x80\xa8Ops\n",  # U+2028 line separator
        b'email,name\n"q@x.example","two\rlines"\n',
    ],
)
def test_csv_with_control_characters_is_refused_whole(client, firm_a, campaign, content):
    response = upload(client, firm_a, campaign, content)
    assert response.status_code == 302  # the worker checks the rows
    assert [code for _line, code in problems(firm_a, campaign)] == [Code.CONTROL_CHARACTERS]
    assert people(firm_a, campaign) == {}


def test_csv_with_a_field_over_the_csv_limit_in_the_header_is_unreadable():
    content = ('"' + "e" * 200_000 + '"\nx@x.example\n').encode()
    with pytest.raises(ValidationError) as exc:
        parse_respondent_csv(content=content, default_language="en")
    assert [p.code for p in exc.value.problems] == [Code.CSV_UNREADABLE]


# --- The autosave's JSON ---------------------------------------------------------------------


def _open_respondent(world):
    with firm_context(world.firm):
        campaign = new_campaign(world, name="JSON")
        add_people(world, campaign, [person("json@example.com")])
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = Respondent.objects.get(campaign=campaign)
        item = Item.objects.filter(version=campaign.version).first()
        return services.respondent_token(respondent), item


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"item": 1e400, "value": 3}', PlatformErrorCode.INVALID_JSON),
        ('{"item": ITEM, "value": Infinity}', PlatformErrorCode.INVALID_JSON),
        ('{"item": ITEM, "value": NaN}', PlatformErrorCode.INVALID_JSON),
        ('{"item": ITEM, "value": -Infinity}', PlatformErrorCode.INVALID_JSON),
        ('{"item": ITEM, "value": 1e400}', PlatformErrorCode.INVALID_JSON),
        ("[" * 1500 + "]" * 1500, PlatformErrorCode.INVALID_JSON),
        (
            '{"item": ITEM, "value": ' + "[" * 1500 + "]" * 1500 + "}",
            PlatformErrorCode.INVALID_JSON,
        ),
        ('{"item": ITEM, "value": "\\ud800"}', Code.INVALID_ANSWER),
        ('{"item": ITEM, "value": [3]}', Code.INVALID_ANSWER),
        ('{"item": ITEM, "value": true}', Code.INVALID_ANSWER),
        ('{"item": "ITEM\\u0000", "value": 3}', Code.INVALID_ANSWER),
        ('{"item": ITEM, "value": 3, "pad": "' + "x" * 10_000 + '"}', "body_too_large"),
    ],
)
def test_odd_json_is_a_400_with_a_code_and_saves_nothing(client, firm_a, body, code):
    token, item = _open_respondent(firm_a)
    response = client.post(
        reverse("assessments:survey_answer", args=[firm_a.firm.slug, token]),
        data=body.replace("ITEM", str(item.pk)),
        content_type="application/json",
    )
    assert response.status_code in (400, 413)
    assert code in response.json()["codes"]
    with firm_context(firm_a.firm):
        assert not Answer.objects.exists()


def test_plain_json_still_saves(client, firm_a):
    token, item = _open_respondent(firm_a)
    path = reverse("assessments:survey_answer", args=[firm_a.firm.slug, token])
    for value in (3, "4", "dk"):
        response = client.post(
            path,
            data=json.dumps({"item": item.pk, "value": value}),
            content_type="application/json",
        )
        assert response.json() == {"saved": True, "answered": 1}


# --- Campaign dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("closes_at", "0001-01-01T00:00"),
        ("closes_at", "1999-12-31T23:00"),
        ("closes_at", "2100-01-02T00:00"),
        ("opens_at", "0001-01-01T00:00"),
        ("closes_at", "9999-12-31T23:59"),
    ],
)
def test_campaign_dates_outside_a_sane_range_are_refused(client, firm_a, field, value):
    client.force_login(firm_a.owner)
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    response = client.post(
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]),
        campaign_form(firm_a, version, **{field: value}),
    )
    assert response.status_code == 200  # the form again, with the error
    assert PlatformErrorCode.DATE_OUT_OF_RANGE in form_error_codes(response)[field]
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "when", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]
)
def test_services_refuse_dates_out_of_range(firm_a, when):
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        new_campaign(firm_a, closes_at=when)
    assert exc.value.error_dict["closes_at"][0].code == PlatformErrorCode.DATE_OUT_OF_RANGE


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_campaign_date_out_of_range(firm_a, campaign):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(closes_at=datetime(1, 1, 1, tzinfo=UTC))


# --- Campaign and respondent texts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Spring\r\ncheck"),
        ("name", "Nul\x00"),
        ("invitation_subject_en", "Hello {name}\rBcc: x@evil.example"),
        ("invitation_body_en", "Hello {name}\x00"),
        ("invitation_body_sv", "Hej\x1b[31m"),
        ("name", "x" * 5000),
        ("invitation_body_en", "x" * 100_000),
    ],
)
def test_campaign_texts_with_control_characters_or_too_long_are_refused(
    client, firm_a, field, value
):
    client.force_login(firm_a.owner)
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    response = client.post(
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]),
        campaign_form(firm_a, version, **{field: value}),
    )
    assert response.status_code == 200  # the form again, with the error
    assert form_error_codes(response)[field] & {PlatformErrorCode.CONTROL_CHARACTERS, "max_length"}
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()


def test_multi_line_bodies_keep_their_line_breaks(client, firm_a):
    client.force_login(firm_a.owner)
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    body = "Hello {name},\r\n\r\n\tPlease answer by {deadline}."
    response = client.post(
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]),
        campaign_form(firm_a, version, invitation_body_en=body),
    )
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        assert Campaign.objects.get().invitation_body_en == body.replace("\r\n", "\n")


def test_services_refuse_control_characters_in_campaign_names(firm_a):
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        new_campaign(firm_a, name="Line\nbreak")
    assert exc.value.error_dict["name"][0].code == PlatformErrorCode.CONTROL_CHARACTERS


def test_respondent_form_refuses_control_characters(client, firm_a, campaign):
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("assessments:respondent_add", args=[firm_a.firm.slug, campaign.pk]),
        {"email": "r@x.example", "name": "Rita\r\nBcc: y", "language": "en"},
    )
    assert response.status_code == 400
    assert (
        PlatformErrorCode.CONTROL_CHARACTERS
        in form_error_codes(response, "respondent_form")["name"]
    )
    assert people(firm_a, campaign) == {}


@pytest.mark.django_db(transaction=True)
def test_old_bad_names_cannot_break_the_invitation_batch(celery_worker, firm_a):
    """Rows stored before the checks: a carriage return in the client's and a respondent's
    name (both go into the subject) and in the sender name. The emails still go out."""
    from accounts.models import Branding, ClientOrganisation
    from tests.helpers import wait_for

    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Batch", invitation_subject_en="{name} at {client}")
        add_people(world=firm_a, campaign=campaign, rows=[person("a@x.example", "Ann")])
        add_people(world=firm_a, campaign=campaign, rows=[person("b@x.example", "Bo")])
        ClientOrganisation.objects.filter(pk=firm_a.client.pk).update(name="Evil\r\nBcc: x@y")
        Respondent.objects.filter(email="a@x.example").update(name="Ann\rBcc: z@y")
        Branding.objects.filter(firm=firm_a.firm).update(sender_name="Alpha\nX-Evil: 1")
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    wait_for(lambda: len(mail.outbox) == 2)
    for message in mail.outbox:
        message.message()  # the headers Django would send
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "Evil Bcc: x@y" in message.subject
        assert "\n" not in message.from_email


# --- The neutral page for unknown links ------------------------------------------------------


def _neutral(response):
    """The page without what differs by request only (its own path, the CSRF token)."""
    page = response.content.decode().replace(response.request["PATH_INFO"], "PATH")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


@pytest.mark.parametrize(
    "name", ["survey", "survey_result", "unsubscribe", "open_link", "survey_answer"]
)
def test_unknown_token_page_is_the_same_under_any_firm_or_none(client, firm_a, name):
    from tests.helpers import brand

    brand(firm_a, sender_name="Alpha Insights")
    method = client.post if name == "survey_answer" else client.get
    real = method(reverse(f"assessments:{name}", args=[firm_a.firm.slug, "no-such-token"]))
    missing = method(reverse(f"assessments:{name}", args=["no-such-firm", "no-such-token"]))
    assert real.status_code == missing.status_code == 404
    assert _neutral(real) == _neutral(missing)
    for revealing in (firm_a.firm.name, "Alpha", "logo", "#7A1F5C"):
        assert revealing not in _neutral(real)


def test_valid_links_still_show_the_firm(client, firm_a):
    token, _item = _open_respondent(firm_a)
    page = client.get(reverse("assessments:survey", args=[firm_a.firm.slug, token]))
    assert page.status_code == 200 and firm_a.firm.name in page.content.decode()


def test_dates_at_the_edges_of_the_range_render(client, firm_a, campaign):
    """The campaign pages cope with the earliest and latest dates the checks let through."""
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(
            opens_at=datetime(2000, 1, 1, tzinfo=UTC),
            closes_at=datetime(2099, 12, 31, 23, 59, tzinfo=UTC),
        )
    client.force_login(firm_a.owner)
    for name in ("campaign_detail", "campaign_edit", "campaign_stats"):
        path = reverse(f"assessments:{name}", args=[firm_a.firm.slug, campaign.pk])
        assert client.get(path).status_code == 200
    assert (
        client.get(reverse("assessments:campaign_list", args=[firm_a.firm.slug])).status_code == 200
    )
    assert timezone.now() + timedelta(days=1) < datetime(2100, 1, 1, tzinfo=UTC)


def test_a_bad_answer_in_the_posted_form_saves_none_of_the_others(client, firm_a):
    """Without JavaScript the whole form posts at once: one answer off the scale or a failed
    submit, and nothing of that post is kept."""
    token, _item = _open_respondent(firm_a)
    with firm_context(firm_a.firm):
        items = list(Item.objects.filter(version__campaigns__respondents__isnull=False)[:3])
    path = reverse("assessments:survey", args=[firm_a.firm.slug, token])
    form = {f"item-{items[0].pk}": "4", f"item-{items[1].pk}": "9", f"item-{items[2].pk}": "2"}
    assert client.post(path, form).status_code == 400
    good = {f"item-{items[0].pk}": "4", f"item-{items[1].pk}": "3"}
    assert client.post(path, {**good, "submit": "1"}).status_code == 400  # 22 missing
    with firm_context(firm_a.firm):
        assert not Answer.objects.exists()


@pytest.mark.parametrize("text", ["Agree\x00", "Line\u2028separator", "Esc\x1b[2J"])
def test_instrument_texts_refuse_control_characters_in_form_and_service(client, firm_a, text):
    with firm_context(firm_a.firm):
        item = Item.objects.first()
        before = (Item.objects.count(), InstrumentVersion.objects.count())
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("assessments:item_edit", args=[firm_a.firm.slug, item.pk]),
        {"text_en": text, "text_sv": "Ok", "weight": "1"},
    )
    assert PlatformErrorCode.CONTROL_CHARACTERS in form_error_codes(response)["text_en"]
    with firm_context(firm_a.firm), pytest.raises(ValidationError) as exc:
        services.item_update(
            firm=firm_a.firm,
            actor=firm_a.owner,
            item=item,
            text_en=text,
            text_sv="Ok",
            reverse=False,
            weight=1,
        )
    assert exc.value.error_dict["text_en"][0].code == PlatformErrorCode.CONTROL_CHARACTERS
    with firm_context(firm_a.firm):
        assert (Item.objects.count(), InstrumentVersion.objects.count()) == before
