"""Answers and the submit racing each other: two real transactions on their own connections."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from assessments import selectors, services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Item, Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

pytestmark = pytest.mark.django_db(transaction=True)


def _answered_campaign(world):
    """An open campaign whose respondent has answered every statement with 1."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name="Race")
        add_people(world, campaign, [person("race@example.com", "Rae")])
        services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
        respondent = Respondent.objects.select_related("campaign").get(campaign=campaign)
        items = list(Item.objects.filter(version=campaign.version).order_by("order"))
        for item in items:
            services.answer_save(firm=world.firm, respondent=respondent, item_id=item.pk, value=1)
    return respondent, items


def _in_thread(world, outcomes, name, work):
    def run():
        try:
            with firm_context(world.firm):
                fresh = Respondent.objects.select_related("campaign").get(pk=work.respondent_id)
                outcomes[name] = work(fresh)
        except ValidationError as exc:
            outcomes[name] = exc.code
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class _Work:
    def __init__(self, respondent_id, call):
        self.respondent_id = respondent_id
        self.call = call

    def __call__(self, respondent):
        return self.call(respondent)


def _stored_agrees(world, respondent_id):
    with firm_context(world.firm):
        stored = Respondent.objects.get(pk=respondent_id)
        return stored.result == selectors.personal_result(respondent=stored)


def test_autosave_racing_a_submit_never_lands_after_completion(firm_a):
    """The autosave has read the respondent and waits (here on the answer row, held by the
    test); the submit runs meanwhile. Without the respondent lock the late answer was written
    after `completed_at`, so the stored answers and the stored result disagreed."""
    respondent, items = _answered_campaign(firm_a)
    outcomes = {}
    save = _Work(
        respondent.pk,
        lambda r: (
            services.answer_save(firm=firm_a.firm, respondent=r, item_id=items[0].pk, value=5).value
        ),
    )
    submit = _Work(
        respondent.pk, lambda r: services.respondent_submit(firm=firm_a.firm, respondent=r)
    )
    with transaction.atomic(), firm_context(firm_a.firm):
        # Hold the first answer's row, so the autosave stops right before writing it.
        list(Answer.objects.select_for_update().filter(item_id=items[0].pk))
        saver = _in_thread(firm_a, outcomes, "save", save)
        time.sleep(0.5)
        submitter = _in_thread(firm_a, outcomes, "submit", submit)
        submitter.join(timeout=1)
    saver.join(timeout=30)
    submitter.join(timeout=30)
    assert not saver.is_alive() and not submitter.is_alive()
    assert outcomes["save"] in (5, Code.ALREADY_SUBMITTED)
    assert isinstance(outcomes["submit"], dict)
    assert _stored_agrees(firm_a, respondent.pk)


def test_two_submits_in_parallel_store_one_consistent_result(firm_a):
    """Two no-JavaScript submits of the whole form with different answers: one wins, and the
    loser (whose page shows "already submitted") writes none of its answers."""
    respondent, items = _answered_campaign(firm_a)
    token = services.respondent_token(respondent)
    path = reverse("assessments:survey", args=[firm_a.firm.slug, token])
    barrier = threading.Barrier(2)
    statuses = []

    def post(value):
        try:
            form = {f"item-{item.pk}": str(value) for item in items}
            browser = Client()
            barrier.wait(timeout=10)
            statuses.append(browser.post(path, {**form, "submit": "1"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(value,)) for value in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert 302 in statuses and len(statuses) == 2
    assert _stored_agrees(firm_a, respondent.pk)
    with firm_context(firm_a.firm):
        values = set(Answer.objects.filter(respondent_id=respondent.pk).values_list("value"))
    assert len(values) == 1  # all of one submit's answers, none of the other's
