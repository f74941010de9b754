"""The autosave's fast path (assessments/services/autosave.py): one prepared statement keyed by
the link's token hash, and the ordinary path for everything it does not save."""

import json

import pytest
from django.db import connection

from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Item, Respondent
from pmo_platform.tenancy import firm_context
from tests.assessments.test_survey import make_campaign, post_answer, survey_path

pytestmark = pytest.mark.django_db


def prepared_runs() -> int:
    """How many times this connection ran the autosave's prepared statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%assessments_answer%FROM saved, target%"],
        )
        return cursor.fetchone()[0]


def items_of(world, campaign, count=3):
    with firm_context(world.firm):
        return list(Item.objects.filter(version=campaign.version).order_by("order")[:count])


def test_the_autosave_statement_is_prepared_and_reused(client, firm_a):
    campaign, _respondent, token = make_campaign(firm_a)
    items = items_of(firm_a, campaign)
    before = prepared_runs()
    for n, item in enumerate(items, start=1):
        assert post_answer(client, firm_a, token, item.pk, 4).json() == {
            "saved": True,
            "answered": n,
        }
    assert prepared_runs() == before + len(items)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%FROM saved, target%"],
        )
        assert cursor.fetchone()[0] == 1  # one statement for every call (the casts)


def test_without_prepared_statements_the_autosave_still_saves(client, firm_a, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    campaign, respondent, token = make_campaign(firm_a)
    items = items_of(firm_a, campaign, 2)
    before = prepared_runs()
    assert post_answer(client, firm_a, token, items[0].pk, 2).json()["answered"] == 1
    assert post_answer(client, firm_a, token, items[1].pk, "dk").json()["answered"] == 2
    assert prepared_runs() == before
    with firm_context(firm_a.firm):
        saved = dict(Answer.objects.filter(respondent=respondent).values_list("item_id", "value"))
    assert saved == {items[0].pk: 2, items[1].pk: None}


def test_another_firms_link_saves_nothing_even_with_its_own_item(client, firm_a, firm_b):
    campaign_b, respondent_b, token_b = make_campaign(firm_b)
    make_campaign(firm_a)
    item_b = items_of(firm_b, campaign_b, 1)[0]
    with firm_context(firm_a.firm):
        saved = services.answer_save_by_link(
            firm=firm_a.firm, token=token_b, item_id=item_b.pk, value=3
        )
    assert saved is None
    response = post_answer(client, firm_a, token_b, item_b.pk, 3)
    assert response.status_code == 404 and response.json().get("saved") is None
    with firm_context(firm_b.firm):
        assert not Answer.objects.filter(respondent=respondent_b).exists()
        assert Respondent.objects.get(pk=respondent_b.pk).started_at is None


def test_a_refusal_after_the_fast_path_is_in_the_survey_language(client, firm_a):
    campaign, respondent, token = make_campaign(firm_a)
    with firm_context(firm_a.firm):
        Respondent.objects.filter(pk=respondent.pk).update(language="sv")
    items = items_of(firm_a, campaign, 24)
    saved = post_answer(client, firm_a, token, items[0].pk, 5)
    assert saved.json() == {"saved": True, "answered": 1}
    assert saved["Content-Language"] == "sv"  # the survey's language, as on the ordinary path
    for item in items:
        post_answer(client, firm_a, token, item.pk, 3)
    client.post(survey_path(firm_a, token), {"submit": "1"})
    refused = post_answer(client, firm_a, token, items[0].pk, 1)
    assert refused.status_code == 400
    assert refused.json()["codes"] == [Code.ALREADY_SUBMITTED]
    assert "redan" in refused.json()["error"]  # "Dina svar har redan skickats in."
    with firm_context(firm_a.firm):
        assert Answer.objects.get(respondent=respondent, item=items[0]).value == 3


@pytest.mark.parametrize("value", [0, 6, 32768, 2**63])
def test_off_scale_values_never_reach_the_statement(client, firm_a, value):
    campaign, _respondent, token = make_campaign(firm_a)
    item = items_of(firm_a, campaign, 1)[0]
    response = client.post(
        survey_path(firm_a, token, "answer/"),
        data=json.dumps({"item": item.pk, "value": value}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["codes"] == [Code.INVALID_ANSWER]
    with firm_context(firm_a.firm):
        assert not Answer.objects.exists()
