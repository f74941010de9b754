"""Campaign rules: placeholders, dates, lifecycle; tasks and webhooks with another firm's ids;
query counts of the campaign pages."""

from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Campaign, EmailLog, InstrumentVersion, Respondent
from assessments.tasks import (
    campaign_housekeeping,
    lifecycle_sweep,
    send_campaign_emails,
    send_email_batch,
    send_respondent_email,
    sweep,
)
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person, run_in_worker, wait_for

from .test_campaign_flow import campaign_form


def make(world, n_people=1, launch=True, **changes):
    with firm_context(world.firm):
        campaign = new_campaign(world, **changes)
        add_people(
            world,
            campaign,
            [
                person(f"p{n}@{world.firm.slug}.example", role_level="team_member")
                for n in range(n_people)
            ],
        )
        if launch:
            campaign = services.campaign_launch(
                firm=world.firm, actor=world.owner, campaign=campaign
            )
        return campaign


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "code", "params"),
    [
        (
            {"invitation_body_en": "Hi {nmae}"},
            "invitation_body_en",
            Code.UNKNOWN_PLACEHOLDER,
            {"names": "{nmae}"},
        ),
        (
            {"invitation_subject_sv": "Hej {name.__class__}"},
            "invitation_subject_sv",
            Code.UNKNOWN_PLACEHOLDER,
            {"names": "{name.__class__}"},
        ),
        (
            {"invitation_body_sv": "Svara senast {deadline"},
            "invitation_body_sv",
            Code.UNBALANCED_BRACES,
            None,
        ),
        ({"closes_at": "2020-01-01T10:00"}, "closes_at", Code.CLOSE_DATE_NOT_IN_FUTURE, None),
        ({"reminder_interval_days": "0"}, "reminder_interval_days", "min_value", None),
        ({"max_reminders": "9"}, "max_reminders", "max_value", None),
        ({"name": ""}, "name", "required", None),
    ],
)
def test_bad_campaign_input_gives_field_errors_and_creates_nothing(
    client, firm_a, changes, field, code, params
):
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    client.force_login(firm_a.consultant)
    response = client.post(
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]),
        campaign_form(firm_a, version, **changes),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error(field, code)
    if params is not None:
        assert form.errors.as_data()[field][0].params == params
    body = response.content.decode()
    assert all(escape(message) in body for message in form.errors[field])  # shown by the field
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_other_firms_client_or_instrument_cannot_be_chosen(client, firm_a, firm_b):
    with firm_context(firm_b.firm):
        foreign_version = InstrumentVersion.objects.get()
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    client.force_login(firm_a.consultant)
    url = reverse("assessments:campaign_create", args=[firm_a.firm.slug])
    for changes in ({"client": firm_b.client.pk}, {"version": foreign_version.pk}):
        response = client.post(url, campaign_form(firm_a, version) | changes)
        assert response.status_code == 200
        (field,) = changes
        assert response.context["form"].has_error(field, "invalid_choice")
    with firm_context(firm_a.firm):
        assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_lifecycle_rules(firm_a):
    campaign = make(firm_a, launch=False, name="Later")
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() + timedelta(days=1))
        campaign.refresh_from_db()
        assert (
            services.campaign_launch(firm=firm_a.firm, actor=None, campaign=campaign).status
            == "scheduled"
        )
        assert not OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").exists()
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        with pytest.raises(ValidationError) as exc:
            services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        assert exc.value.code == Code.CAMPAIGN_ALREADY_CLOSED
        with pytest.raises(ValidationError) as exc:
            services.respondents_add(
                firm=firm_a.firm,
                actor=firm_a.owner,
                campaign=Campaign.objects.get(pk=campaign.pk),
                rows=[],
            )
        assert exc.value.code == Code.CAMPAIGN_CLOSED


@pytest.mark.django_db(transaction=True)
def test_tasks_given_another_firms_ids_do_nothing(celery_worker, firm_a, firm_b):
    campaign_b = make(firm_b, n_people=2, name="B campaign")
    wait_for(lambda: len(mail.outbox) == 2)

    def both_recorded():  # the worker commits each claim just after sending
        with firm_context(firm_b.firm):
            return Respondent.objects.filter(sent_at__isnull=False).count() == 2

    wait_for(both_recorded)
    with firm_context(firm_b.firm):
        respondent_b = Respondent.objects.filter(campaign=campaign_b).first()
        EmailLog.objects.all().delete()
        Respondent.objects.update(sent_at=None)
    a = firm_a.firm.pk
    assert (
        run_in_worker(send_campaign_emails, firm_id=a, campaign_id=campaign_b.pk, kind="invitation")
        == 0
    )
    assert (
        run_in_worker(send_email_batch, firm_id=a, kind="invitation", items=[[respondent_b.pk, 0]])
        == 0
    )
    assert (
        run_in_worker(
            send_respondent_email,
            firm_id=a,
            respondent_id=respondent_b.pk,
            kind="invitation",
            sequence=0,
        )
        is False
    )
    assert run_in_worker(campaign_housekeeping, firm_id=a, campaign_id=campaign_b.pk) is None
    assert len(mail.outbox) == 2
    with firm_context(firm_b.firm):
        assert not EmailLog.objects.exists()
        assert not Respondent.objects.filter(sent_at__isnull=False).exists()


# The sweep reads across firms as the operator role (its own connection: committed rows only).
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_sweep_hands_each_firms_campaigns_to_that_firm(firm_a, firm_b):
    campaign_a = make(firm_a, n_people=0, name="A open")
    campaign_b = make(firm_b, n_people=0, name="B open")
    make(firm_b, n_people=0, launch=False, name="B draft")
    with transaction.atomic():  # never commits: the outbox rows stay to be read
        OutboxTask.objects.all().delete()
        assert sweep() == 2
        queued = sorted(
            (row.kwargs["firm_id"], row.kwargs["campaign_id"])
            for row in OutboxTask.objects.filter(task_name="assessments.campaign_housekeeping")
        )
        transaction.set_rollback(True)
    assert queued == sorted([(firm_a.firm.pk, campaign_a.pk), (firm_b.firm.pk, campaign_b.pk)])


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_minute_sweep_hands_on_only_campaigns_the_clock_has_moved(
    firm_a, firm_b, celery_worker
):
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["campaign-lifecycle-sweep"]
    assert schedule["task"] == "assessments.lifecycle_sweep"
    assert schedule["schedule"] <= timedelta(seconds=60)
    past = timezone.now() - timedelta(minutes=1)
    make(firm_a, n_people=0, name="A open, not due")
    overdue = make(firm_b, n_people=0, name="B open past its close")
    due = make(firm_a, n_people=0, launch=False, name="A scheduled, due")
    later = make(firm_a, n_people=0, launch=False, name="A scheduled later")
    with firm_context(firm_b.firm):
        Campaign.objects.filter(pk=overdue.pk).update(closes_at=past)
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=due.pk).update(status="scheduled", opens_at=past)
        Campaign.objects.filter(pk=later.pk).update(
            status="scheduled", opens_at=timezone.now() + timedelta(hours=1)
        )
    with transaction.atomic():  # never commits: the outbox rows stay to be read
        OutboxTask.objects.all().delete()
        assert lifecycle_sweep() == 2
        queued = sorted(
            (row.kwargs["firm_id"], row.kwargs["campaign_id"])
            for row in OutboxTask.objects.filter(task_name="assessments.campaign_housekeeping")
        )
        transaction.set_rollback(True)
    assert queued == sorted([(firm_b.firm.pk, overdue.pk), (firm_a.firm.pk, due.pk)])
    assert (
        run_in_worker(campaign_housekeeping, firm_id=firm_b.firm.pk, campaign_id=overdue.pk) is None
    )
    assert run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=due.pk) is None
    with firm_context(firm_b.firm):
        assert Campaign.objects.get(pk=overdue.pk).status in ("closed", "reported")
    with firm_context(firm_a.firm):
        assert Campaign.objects.get(pk=due.pk).status == "open"
    with transaction.atomic():
        OutboxTask.objects.all().delete()
        assert lifecycle_sweep() == 0  # moved: nothing more to hand on
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_bounce_webhook_marks_only_that_firms_respondent(firm_a, firm_b):
    make(firm_a)
    make(firm_b)
    with firm_context(firm_a.firm):
        respondent_a = Respondent.objects.get()
    with firm_context(firm_b.firm):
        respondent_b = Respondent.objects.get()

    def bounce(firm_id, respondent_id, event_type="bounced", recipient=None):
        event = AnymailTrackingEvent(
            event_type=event_type,
            recipient=recipient or respondent_a.email,
            metadata={"firm_id": firm_id, "respondent_id": respondent_id},
        )
        tracking.send(sender=object, event=event, esp_name="Test")

    bounce(firm_a.firm.pk, respondent_b.pk)  # mismatched: firm A's scope, firm B's respondent
    bounce(firm_a.firm.pk, respondent_a.pk, event_type="delivered")
    bounce(firm_a.firm.pk, respondent_a.pk, recipient="someone.else@example.com")  # forged
    bounce("x", "y")
    with firm_context(firm_b.firm):
        assert Respondent.objects.get().bounced_at is None
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().bounced_at is None
    bounce(firm_a.firm.pk, respondent_a.pk)
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().status == "bounced"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["campaign_detail", "campaign_list", "campaign_stats"])
def test_campaign_pages_keep_a_constant_number_of_queries(
    client, firm_a, django_assert_max_num_queries, page
):
    campaign = make(firm_a, n_people=2)
    client.force_login(firm_a.owner)
    args = [firm_a.firm.slug] + ([campaign.pk] if page != "campaign_list" else [])
    url = reverse(f"assessments:{page}", args=args)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    with firm_context(firm_a.firm):
        services.respondents_add(
            firm=firm_a.firm,
            actor=firm_a.owner,
            campaign=campaign,
            rows=[
                {
                    "email": f"more{n}@x.example",
                    "name": f"N{n}",
                    "language": "sv",
                    "role_level": role,
                    "department": "IT",
                }
                for n, role in enumerate(["pmo", "leadership", "team_member"] * 10)
            ],
        )
    make(firm_a, n_people=3, name="Another")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_draft_can_switch_instrument_version_but_an_open_campaign_cannot(client, firm_a):
    draft = make(firm_a, launch=False, name="Draft")
    opened = make(firm_a, name="Open")
    with firm_context(firm_a.firm):
        builtin = InstrumentVersion.objects.get()
        own = services.instrument_copy(firm=firm_a.firm, actor=firm_a.owner, version=builtin)
    client.force_login(firm_a.consultant)
    edit = reverse("assessments:campaign_edit", args=[firm_a.firm.slug, draft.pk])
    form = campaign_form(firm_a, own) | {"name": "Draft"}
    assert client.post(edit, form).status_code == 302
    with firm_context(firm_a.firm):
        assert Campaign.objects.get(pk=draft.pk).version_id == own.pk
    edit = reverse("assessments:campaign_edit", args=[firm_a.firm.slug, opened.pk])
    client.post(edit, campaign_form(firm_a, own) | {"name": "Open"})
    with firm_context(firm_a.firm):
        assert Campaign.objects.get(pk=opened.pk).version_id == builtin.pk


@pytest.mark.django_db
def test_a_launched_anonymous_campaign_stays_anonymous(client, firm_a):
    """Respondents of a launched campaign were told it is anonymous; the API serves individual
    responses only of non-anonymous campaigns, so anonymity can be dropped in a draft only."""
    draft = make(firm_a, launch=False, name="Draft")
    opened = make(firm_a, name="Open")
    named = make(firm_a, name="Named", anonymous=False)
    with firm_context(firm_a.firm):
        services.campaign_update(
            firm=firm_a.firm, actor=firm_a.owner, campaign=draft, open_link=False, anonymous=False
        )
        assert Campaign.objects.get(pk=draft.pk).anonymous is False
        with pytest.raises(ValidationError) as raised:
            services.campaign_update(
                firm=firm_a.firm,
                actor=firm_a.owner,
                campaign=Campaign.objects.get(pk=opened.pk),
                open_link=False,
                anonymous=False,
            )
        assert raised.value.error_dict["anonymous"][0].code == Code.ANONYMITY_FIXED
        assert Campaign.objects.get(pk=opened.pk).anonymous is True
        # Becoming anonymous is allowed at any time.
        services.campaign_update(
            firm=firm_a.firm, actor=firm_a.owner, campaign=named, open_link=False, anonymous=True
        )
        assert Campaign.objects.get(pk=named.pk).anonymous is True
        version = InstrumentVersion.objects.get()
    client.force_login(firm_a.consultant)
    edit = reverse("assessments:campaign_edit", args=[firm_a.firm.slug, opened.pk])
    form = campaign_form(firm_a, version) | {"name": "Open"}
    del form["anonymous"]  # the box unticked: on the page it is fixed
    assert client.post(edit, form).status_code == 302
    with firm_context(firm_a.firm):
        assert Campaign.objects.get(pk=opened.pk).anonymous is True
