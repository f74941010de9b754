"""Retention: each firm's setting (1-120 months, default 24), and the daily beat task that
erases the respondent identities of campaigns closed longer ago, exactly once, with an audit
entry per campaign, through a real worker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from assessments import selectors, services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Answer, Campaign, PrivacySettings, Respondent
from assessments.tasks import erase_campaign_identities, retention_sweep
from pmo_platform.tenancy import all_firms, firm_context
from tests.helpers import form_error_codes, run_in_worker, wait_for
from tests.reports.helpers import campaign_with

MONTH = timedelta(days=31)


def closed_campaign(world, *, months_ago, name, status="reported"):
    campaign = campaign_with(world, [("pmo", 3, 4)], not_answered=1, name=name)
    with firm_context(world.firm):
        Campaign.objects.filter(pk=campaign.pk).update(
            status=status, closed_at=timezone.now() - months_ago * MONTH
        )
    return campaign


@pytest.mark.django_db
def test_the_default_is_24_months_and_owners_change_it_within_range(client, firm_a):
    with firm_context(firm_a.firm):
        assert selectors.privacy_settings(firm=firm_a.firm).retention_months == 24
    client.force_login(firm_a.owner)
    path = reverse("assessments:privacy_settings", args=[firm_a.firm.slug])
    assert client.get(path).status_code == 200
    for bad in (0, 121):
        response = client.post(path, {"retention_months": bad})
        assert response.status_code == 400
        assert form_error_codes(response) == {"retention_months": {Code.RETENTION_OUT_OF_RANGE}}
    response = client.post(path, {"retention_months": 12})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        assert PrivacySettings.objects.get().retention_months == 12
        entry = AuditEntry.objects.get(action="privacy_settings.updated")
    assert entry.actor == firm_a.owner and entry.data == {"retention_months": 12}
    page = client.get(reverse("assessments:privacy", args=[firm_a.firm.slug]))
    assert b"12 months after a campaign closes" in page.content


@pytest.mark.django_db
def test_the_service_refuses_a_period_out_of_range_with_a_code(firm_a):
    with firm_context(firm_a.firm):
        for bad in (0, 121, -5):
            with pytest.raises(ValidationError) as caught:
                services.privacy_settings_update(
                    firm=firm_a.firm, actor=firm_a.owner, retention_months=bad
                )
            assert caught.value.error_dict["retention_months"][0].code == (
                Code.RETENTION_OUT_OF_RANGE
            )


def test_the_beat_task_is_scheduled_daily():
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "assessments.retention_sweep"
    )
    assert entry["schedule"] == timedelta(days=1)


# all_firms() reads as the operator role on its own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_only_closed_campaigns_past_their_firms_period_are_due(firm_a, firm_b):
    old = closed_campaign(firm_a, months_ago=25, name="Old")
    recent = closed_campaign(firm_a, months_ago=23, name="Recent")
    still_open = campaign_with(firm_a, [("pmo", 1, 3)], name="Open")
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=still_open.pk).update(
            status="open", closed_at=timezone.now() - 30 * MONTH
        )
    short = closed_campaign(firm_b, months_ago=2, name="Short", status="closed")
    with firm_context(firm_b.firm):
        services.privacy_settings_update(firm=firm_b.firm, actor=firm_b.owner, retention_months=1)
    with all_firms():
        due = selectors.campaigns_due_for_erasure(now=timezone.now())
    assert sorted(due) == sorted([(firm_a.firm.pk, old.pk), (firm_b.firm.pk, short.pk)])
    assert recent.pk not in {pk for _f, pk in due}


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_sweep_erases_each_due_campaign_once_through_the_worker(celery_worker, firm_a, firm_b):
    old = closed_campaign(firm_a, months_ago=25, name="Old")
    recent = closed_campaign(firm_a, months_ago=23, name="Recent")
    short = closed_campaign(firm_b, months_ago=2, name="Short")
    with firm_context(firm_b.firm):
        services.privacy_settings_update(firm=firm_b.firm, actor=firm_b.owner, retention_months=1)

    assert run_in_worker(retention_sweep) == 2

    def erased(world, campaign):
        with firm_context(world.firm):
            return Campaign.objects.get(pk=campaign.pk).identities_erased_at is not None

    wait_for(lambda: erased(firm_a, old) and erased(firm_b, short))
    with firm_context(firm_a.firm):
        assert not erased(firm_a, recent)
        rows = Respondent.objects.filter(campaign=old)
        assert rows.count() == 4 and set(rows.values_list("email", flat=True)) == {""}
        assert all(r.erased_at for r in rows) and not rows.exclude(name="").exists()
        assert Answer.objects.filter(respondent__campaign=old).count() == 3 * 24
        assert Respondent.objects.filter(campaign=recent).exclude(email="").count() == 4
        entry = AuditEntry.objects.get(action="privacy.retention_erased")
    assert entry.target_id == old.pk and entry.actor is None
    assert entry.data["respondents"] == 4 and entry.data["retention_months"] == 24
    assert entry.data["answers_kept"] == 3 * 24 and entry.data["deleted"] == 0

    # Again: nothing is due any more, and the erasure task itself does nothing a second time.
    assert run_in_worker(retention_sweep) == 0
    assert (
        run_in_worker(erase_campaign_identities, firm_id=firm_a.firm.pk, campaign_id=old.pk) is None
    )
    # A campaign not yet due is left alone when asked directly.
    assert (
        run_in_worker(erase_campaign_identities, firm_id=firm_a.firm.pk, campaign_id=recent.pk)
        is None
    )
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.filter(action="privacy.retention_erased").count() == 1
    with firm_context(firm_b.firm):
        assert AuditEntry.objects.filter(action="privacy.retention_erased").count() == 1


@pytest.mark.django_db
def test_a_campaign_is_claimed_once(firm_a):
    old = closed_campaign(firm_a, months_ago=30, name="Old")
    with firm_context(firm_a.firm):
        first = services.campaign_identities_erase(firm=firm_a.firm, campaign_id=old.pk)
        second = services.campaign_identities_erase(firm=firm_a.firm, campaign_id=old.pk)
    assert first["respondents"] == 4 and second is None


@pytest.mark.django_db
def test_another_firms_campaign_id_is_not_erased(firm_a, firm_b):
    theirs = closed_campaign(firm_b, months_ago=30, name="Theirs")
    with firm_context(firm_a.firm):
        assert services.campaign_identities_erase(firm=firm_a.firm, campaign_id=theirs.pk) is None
    with firm_context(firm_b.firm):
        assert Campaign.objects.get(pk=theirs.pk).identities_erased_at is None
        assert Respondent.objects.filter(campaign=theirs).exclude(email="").count() == 4
