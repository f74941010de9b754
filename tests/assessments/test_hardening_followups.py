"""Issue 9 follow-ups in assessments: a schedule whose close date passed before it opened, edits
made from a stale copy, bounced addresses and the follow-up and result emails, invisible
characters in names, and the rules the services own for every caller (the coming API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.error_codes import AccountsErrorCode
from accounts.models import AuditEntry, ClientOrganisation
from assessments import selectors, services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.forms import RespondentCsvForm
from assessments.models import Campaign, EmailLog, InstrumentVersion, Item, Respondent
from assessments.respondent_csv import CSV_MAX_BYTES, IMPORT_MAX_BYTES, CsvImportError
from pmo_platform.error_codes import PlatformErrorCode
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

pytestmark = pytest.mark.django_db

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def scheduled(world):
    """A campaign with people, launched to open tomorrow (so: scheduled)."""
    campaign = new_campaign(world, name="Later", days=5)
    add_people(world, campaign, [person("s1@x.example"), person("s2@x.example")])
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() + timedelta(days=1))
    campaign.refresh_from_db()
    services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
    return Campaign.objects.get(pk=campaign.pk)


# --- 1. A schedule that lapsed -------------------------------------------------------------------


def test_a_schedule_whose_close_date_passed_goes_back_to_draft_once_and_says_so(client, firm_a):
    with firm_context(firm_a.firm):
        campaign = scheduled(firm_a)
        assert campaign.status == "scheduled"
        # The sweep did not run in time: both the opening and the close date are past.
        Campaign.objects.filter(pk=campaign.pk).update(
            opens_at=timezone.now() - timedelta(days=2),
            closes_at=timezone.now() - timedelta(days=1),
        )
        campaign = Campaign.objects.get(pk=campaign.pk)
        services.campaign_housekeeping(firm=firm_a.firm, campaign=campaign)  # raised before
        campaign = Campaign.objects.get(pk=campaign.pk)
        assert campaign.status == "draft" and campaign.launch_lapsed_at is not None
        assert campaign.opened_at is None
        entry = AuditEntry.objects.get(action="campaign.launch_lapsed")
        assert entry.target_id == campaign.pk and entry.actor is None
        # No invitations, no report, and the sweep does not pick it up again.
        assert not OutboxTask.objects.filter(task_name="assessments.send_campaign_emails").exists()
        assert not EmailLog.objects.exists()
        assert not OutboxTask.objects.filter(task_name="reports.build_report").exists()
        assert (firm_a.firm.pk, campaign.pk) not in selectors.campaigns_with_timed_work()
        services.campaign_housekeeping(firm=firm_a.firm, campaign=campaign)
        assert AuditEntry.objects.filter(action="campaign.launch_lapsed").count() == 1
    client.force_login(firm_a.consultant)
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert b'id="launch-lapsed"' in page.content
    # Moving the dates and launching again opens it and clears the mark.
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(
            opens_at=None, closes_at=timezone.now() + timedelta(days=3)
        )
        campaign = services.campaign_launch(
            firm=firm_a.firm, actor=firm_a.owner, campaign=Campaign.objects.get(pk=campaign.pk)
        )
        assert campaign.status == "open" and campaign.launch_lapsed_at is None
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert b'id="launch-lapsed"' not in page.content


def test_a_due_schedule_still_opens(firm_a):
    with firm_context(firm_a.firm):
        campaign = scheduled(firm_a)
        Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() - timedelta(hours=1))
        services.campaign_housekeeping(
            firm=firm_a.firm, campaign=Campaign.objects.get(pk=campaign.pk)
        )
        assert Campaign.objects.get(pk=campaign.pk).status == "open"
        assert not AuditEntry.objects.filter(action="campaign.launch_lapsed").exists()


# --- 2. Edits from a stale copy ------------------------------------------------------------------


def test_an_edit_from_a_stale_copy_does_not_undo_a_launch(firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Stale")
        add_people(firm_a, campaign, [person("a@x.example")])
        stale = Campaign.objects.get(pk=campaign.pk)  # the edit form was opened here
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        services.campaign_update(
            firm=firm_a.firm, actor=firm_a.owner, campaign=stale, open_link=False, name="Renamed"
        )
        fresh = Campaign.objects.get(pk=campaign.pk)
        assert (fresh.status, fresh.name) == ("open", "Renamed")
        assert fresh.opened_at is not None


def test_an_edit_from_a_stale_copy_of_a_closed_campaign_is_refused(firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Stale")
        stale = Campaign.objects.get(pk=campaign.pk)
        services.campaign_close(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        with pytest.raises(ValidationError) as exc:
            services.campaign_update(
                firm=firm_a.firm, actor=firm_a.owner, campaign=stale, open_link=False, name="X"
            )
        assert exc.value.code == Code.CAMPAIGN_CLOSED
        assert Campaign.objects.get(pk=campaign.pk).status == "closed"


def test_a_client_edit_from_a_stale_copy_does_not_unarchive_it(firm_a):
    with firm_context(firm_a.firm):
        stale = ClientOrganisation.objects.get(pk=firm_a.client.pk)
        account_services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
        account_services.client_update(
            firm=firm_a.firm,
            actor=firm_a.owner,
            client=stale,
            name="Renamed client",
            industry=stale.industry,
            size_band=stale.size_band,
            country=stale.country,
        )
        fresh = ClientOrganisation.objects.get(pk=firm_a.client.pk)
        assert fresh.name == "Renamed client" and fresh.archived_at is not None


# --- 3. Bounced addresses ------------------------------------------------------------------------


def finished(world, email="done@x.example"):
    campaign = new_campaign(world, name="Done", days=9)
    add_people(world, campaign, [person(email, "Done")])
    services.campaign_launch(firm=world.firm, actor=world.owner, campaign=campaign)
    respondent = Respondent.objects.get(campaign=campaign)
    for item in Item.objects.filter(version=campaign.version):
        services.answer_save(firm=world.firm, respondent=respondent, item_id=item.pk, value=4)
    services.respondent_submit(firm=world.firm, respondent=respondent, followup_opt_in=True)
    return campaign, Respondent.objects.get(pk=respondent.pk)


def test_a_bounced_address_gets_no_follow_up_and_no_result(firm_a):
    with firm_context(firm_a.firm):
        campaign, respondent = finished(firm_a)
        Respondent.objects.filter(pk=respondent.pk).update(
            completed_at=timezone.now() - timedelta(days=30), bounced_at=timezone.now()
        )
        # Not selected for a follow-up ...
        assert selectors.followups_due(campaign=campaign) == []
        # ... and a follow-up or result queued before the bounce is not sent when its turn comes.
        for kind, sequence in (("followup", 1), ("result", 0)):
            EmailLog.objects.filter(respondent=respondent, kind=kind).delete()
            services.emails_queue(firm=firm_a.firm, kind=kind, items=[(respondent.pk, sequence)])
            assert not services.respondent_email_send(
                firm=firm_a.firm, respondent_id=respondent.pk, kind=kind, sequence=sequence
            )
            row = EmailLog.objects.get(respondent=respondent, kind=kind, sequence=sequence)
            assert row.status == "cancelled"
    assert mail.outbox == []


def test_a_follow_up_goes_out_when_the_address_did_not_bounce(firm_a):
    """The control of the test above: the same respondent, not bounced, gets follow-up 1."""
    with firm_context(firm_a.firm):
        campaign, respondent = finished(firm_a)
        Respondent.objects.filter(pk=respondent.pk).update(
            completed_at=timezone.now() - timedelta(days=3)
        )
        assert selectors.followups_due(campaign=campaign) == [(respondent.pk, 1)]
        services.emails_queue(firm=firm_a.firm, kind="followup", items=[(respondent.pk, 1)])
        assert services.respondent_email_send(
            firm=firm_a.firm, respondent_id=respondent.pk, kind="followup", sequence=1
        )


# --- 7. Invisible characters ---------------------------------------------------------------------


@pytest.mark.parametrize("char", [*BIDI, "\u200b", "\ufeff", "\u2060", "\u3164"])
def test_invisible_characters_in_a_name_are_a_field_error(client, firm_a, char):
    client.force_login(firm_a.consultant)
    response = client.post(
        reverse("accounts:client_create", args=[firm_a.firm.slug]),
        {"name": f"Glo{char}bex", "industry": "retail", "size_band": "5000+", "country": "DK"},
    )
    assert response.status_code == 400 or response.status_code == 200
    assert response.context["form"].has_error("name", PlatformErrorCode.INVISIBLE_CHARACTERS)
    with firm_context(firm_a.firm):
        assert not ClientOrganisation.objects.filter(name__startswith="Glo").exists()
        # The service refuses it too, whoever calls.
        with pytest.raises(ValidationError) as exc:
            account_services.client_create(
                firm=firm_a.firm,
                actor=firm_a.owner,
                name=f"Glo{char}bex",
                industry="retail",
                size_band="5000+",
                country="DK",
            )
        assert exc.value.error_dict["name"][0].code == PlatformErrorCode.INVISIBLE_CHARACTERS


@pytest.mark.parametrize("char", BIDI)
def test_bidi_controls_are_refused_in_email_texts_too(firm_a, char):
    with firm_context(firm_a.firm):
        with pytest.raises(ValidationError) as exc:
            new_campaign(firm_a, invitation_body_en=f"Hello {{name}}\n{char}evil")
        error = exc.value.error_dict["invitation_body_en"][0]
        assert error.code == PlatformErrorCode.INVISIBLE_CHARACTERS


def test_names_people_write_stay_allowed(firm_a):
    """Joiners and direction marks are part of real names and emoji; they stay allowed."""
    with firm_context(firm_a.firm):
        for name in ("Zoë & Søn AB", "👩\u200d💻 Studio", "می\u200cخواهم", "Shalom \u200f"):
            account_services.client_create(
                firm=firm_a.firm,
                actor=firm_a.owner,
                name=name,
                industry="retail",
                size_band="5000+",
                country="DK",
            )


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b"])
def test_invisible_characters_in_csv_names_are_refused(firm_a, char):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="CSV")
        content = f"email,name,department\nok@x.example,Ok,IT\nbad@x.example,Ev{char}il,IT\n"
        with pytest.raises(CsvImportError) as exc:
            services.respondents_import_csv(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign, content=content.encode()
            )
        assert [(p.line, p.code) for p in exc.value.problems] == [(3, Code.INVISIBLE_CHARACTERS)]
        assert not Respondent.objects.filter(campaign=campaign).exists()
        with pytest.raises(ValidationError) as exc:
            services.respondents_add(
                firm=firm_a.firm,
                actor=firm_a.owner,
                campaign=campaign,
                rows=[person("bad@x.example", f"Ev{char}il")],
            )
        # The bulk add names every bad row's field (`rows.<index>.<field>`) with its code.
        assert [e.code for e in exc.value.error_dict["rows.0.name"]] == [Code.INVISIBLE_CHARACTERS]


# --- 10. One owner per rule ---------------------------------------------------------------------


def test_the_service_owns_the_opens_before_closes_rule(client, firm_a):
    """The form checks shapes only; the service refuses the order for every caller, and the
    form shows the service's error."""
    from tests.assessments.test_campaign_flow import campaign_form

    client.force_login(firm_a.consultant)
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    closes = timezone.localtime() + timedelta(days=3)
    response = client.post(
        reverse("assessments:campaign_create", args=[firm_a.firm.slug]),
        campaign_form(
            firm_a,
            version,
            closes_at=closes.strftime("%Y-%m-%dT%H:%M"),
            opens_at=(closes + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert response.context["form"].has_error("opens_at", Code.OPENS_AFTER_CLOSES)
    with firm_context(firm_a.firm):
        closes = timezone.now() + timedelta(days=3)
        with pytest.raises(ValidationError) as exc:
            new_campaign(firm_a, opens_at=closes + timedelta(hours=1), closes_at=closes)
        assert exc.value.error_dict["opens_at"][0].code == Code.OPENS_AFTER_CLOSES


def test_the_csv_size_rule_is_the_imports(firm_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    huge = b"email\n" + b"a" * IMPORT_MAX_BYTES + b"@x.example\n"
    form = RespondentCsvForm(files={"file": SimpleUploadedFile("huge.csv", huge)})
    assert form.has_error("file", Code.CSV_TOO_LARGE)
    big = b"email\n" + b"a" * CSV_MAX_BYTES + b"@x.example\n"
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="CSV")
        with pytest.raises(CsvImportError) as exc:
            services.respondents_import_csv(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign, content=big
            )
        (problem,) = exc.value.problems
        assert problem.code == Code.CSV_TOO_LARGE
        assert "1 MB" in problem.reason  # the synchronous import (1 MB) ...
        # ... and the campaign page's, run by a worker: the form's rule is the service's.
        with pytest.raises(ValidationError) as refused:
            services.respondent_import_start(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign, file_name="h", content=huge
            )
        assert refused.value.code == Code.CSV_TOO_LARGE
        assert refused.value.messages == form.errors["file"]


def test_executive_invitations_of_an_archived_client_are_not_resent(firm_a):
    with firm_context(firm_a.firm):
        invitation = account_services.invitation_create(
            firm=firm_a.firm,
            invited_by=firm_a.owner,
            email="newexec@x.example",
            role="executive",
            client=firm_a.client,
        )
        account_services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
        # Queued before the archive: not sent when its turn comes.
        assert not account_services.invitation_email_send(
            firm=firm_a.firm, invitation_id=invitation.pk
        )
        with pytest.raises(ValidationError) as exc:
            account_services.invitation_resend(
                firm=firm_a.firm, actor=firm_a.owner, invitation=invitation
            )
        assert exc.value.error_dict["email"][0].code == AccountsErrorCode.CLIENT_ARCHIVED
    assert mail.outbox == []


def test_an_edit_of_a_statement_from_a_stale_copy_keeps_the_survey_order(firm_a):
    """A statement added meanwhile moved the later statements down; an edit made from a copy
    read before must not move one back (two statements on one place)."""
    with firm_context(firm_a.firm):
        builtin = InstrumentVersion.objects.get()
        own = services.instrument_copy(firm=firm_a.firm, actor=firm_a.owner, version=builtin)
        items = list(Item.objects.filter(version=own).order_by("order"))
        first_dimension, stale = items[0].dimension, items[-1]
        services.item_add(
            firm=firm_a.firm,
            actor=firm_a.owner,
            dimension=first_dimension,
            text_en="New",
            text_sv="Ny",
            reverse=False,
            weight=1,
            sign=1,
        )
        services.item_update(
            firm=firm_a.firm,
            actor=firm_a.owner,
            item=stale,
            text_en="Edited",
            text_sv="Ändrad",
            reverse=stale.reverse,
            weight=stale.weight,
        )
        orders = list(
            Item.objects.filter(version=own).order_by("order").values_list("order", flat=True)
        )
        assert orders == list(range(len(items) + 1))
        assert Item.objects.get(pk=stale.pk).text_en == "Edited"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        (
            {"reminder_interval_days": 0},
            "reminder_interval_days",
            Code.REMINDER_INTERVAL_OUT_OF_RANGE,
        ),
        (
            {"reminder_interval_days": 31},
            "reminder_interval_days",
            Code.REMINDER_INTERVAL_OUT_OF_RANGE,
        ),
        ({"max_reminders": 6}, "max_reminders", Code.MAX_REMINDERS_OUT_OF_RANGE),
        ({"max_reminders": -1}, "max_reminders", Code.MAX_REMINDERS_OUT_OF_RANGE),
    ],
)
def test_the_service_owns_the_reminder_ranges(firm_a, fields, field, code):
    """The form shows the same range (imported from the service); any other caller gets it."""
    from assessments.forms import CampaignForm

    with firm_context(firm_a.firm):
        with pytest.raises(ValidationError) as exc:
            new_campaign(firm_a, **fields)
        assert exc.value.error_dict[field][0].code == code
        assert not Campaign.objects.exists()
    low, high = services.REMINDER_INTERVAL_DAYS
    form_field = CampaignForm.base_fields["reminder_interval_days"]
    assert (form_field.min_value, form_field.max_value) == (low, high)


@pytest.mark.parametrize(
    ("weight", "sign", "field", "code"),
    [
        ("50", 1, "weight", Code.WEIGHT_OUT_OF_RANGE),
        ("0.01", 1, "weight", Code.WEIGHT_OUT_OF_RANGE),
        ("NaN", 1, "weight", Code.WEIGHT_OUT_OF_RANGE),
        ("1", 12, "sign", Code.UNKNOWN_SIGN),
    ],
)
def test_the_service_owns_a_statements_weight_and_sign(firm_a, weight, sign, field, code):
    with firm_context(firm_a.firm):
        builtin = InstrumentVersion.objects.get()
        own = services.instrument_copy(firm=firm_a.firm, actor=firm_a.owner, version=builtin)
        item = Item.objects.filter(version=own).first()
        count = Item.objects.filter(version=own).count()
        with pytest.raises(ValidationError) as exc:
            services.item_add(
                firm=firm_a.firm,
                actor=firm_a.owner,
                dimension=item.dimension,
                text_en="New",
                text_sv="Ny",
                reverse=False,
                weight=weight,
                sign=sign,
            )
        assert exc.value.error_dict[field][0].code == code
        assert Item.objects.filter(version=own).count() == count
        if field == "weight":
            with pytest.raises(ValidationError) as exc:
                services.item_update(
                    firm=firm_a.firm,
                    actor=firm_a.owner,
                    item=item,
                    text_en="x",
                    text_sv="y",
                    reverse=False,
                    weight=weight,
                )
            assert exc.value.error_dict["weight"][0].code == code
