"""The whole path through a real worker: create a campaign, import a CSV, send invitations,
answer, submit, get the result email with tips; reminders; each email exactly once."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Campaign, EmailLog, InstrumentVersion, Respondent
from assessments.tasks import campaign_housekeeping, send_respondent_email
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, brand, new_campaign, person, run_in_worker, wait_for

CSV = (
    "email,name,language,role_level,department\n"
    "anna@client.example,Anna Ek,sv,leadership,Board\n"
    "bob@client.example,Bob Brown,en,team_member,IT\n"
    "carl@client.example,Carl Berg,,project_manager,IT\n"
)


def survey_link(message):
    found = re.search(r"https?://\S+/s/[\w-]+/", message.body)
    assert found, message.body
    return "/" + found.group(0).split("://", 1)[1].split("/", 1)[1]


def campaign_form(world, version, **changes):
    return {
        "client": world.client.pk,
        "version": version.pk,
        "name": "Spring check",
        "closes_at": (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "default_language": "en",
        "reminder_interval_days": 3,
        "max_reminders": 2,
        "anonymous": "on",
        **services.default_invitation_texts(),
        **changes,
    }


def answer_all(client, path, world, version, value=4):
    with firm_context(world.firm):
        items = list(version.items.order_by("order"))
    for item in items:
        response = client.post(
            path + "answer/",
            data=json.dumps({"item": item.pk, "value": value}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content


def campaign_respondent_count(world, campaign) -> int:
    with firm_context(world.firm):
        return campaign.respondents.count()


@pytest.mark.django_db(transaction=True)
def test_campaign_end_to_end_through_the_worker(client, celery_worker, firm_a):
    brand(firm_a)
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
    slug = firm_a.firm.slug
    client.force_login(firm_a.consultant)

    response = client.post(
        reverse("assessments:campaign_create", args=[slug]), campaign_form(firm_a, version)
    )
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        campaign = Campaign.objects.get(name="Spring check")
    detail = reverse("assessments:campaign_detail", args=[slug, campaign.pk])
    page = client.get(detail).content.decode()
    assert "Alex Andersson" in page  # the invitation preview with placeholders filled

    upload = SimpleUploadedFile("people.csv", CSV.encode(), content_type="text/csv")
    response = client.post(
        reverse("assessments:respondents_import", args=[slug, campaign.pk]), {"file": upload}
    )
    assert response.status_code == 302
    # The worker imports the file (services/respondent_imports.py).
    wait_for(lambda: campaign_respondent_count(firm_a, campaign) == 3)
    assert mail.outbox == []  # a draft campaign sends nothing yet

    client.post(reverse("assessments:campaign_launch", args=[slug, campaign.pk]))
    wait_for(lambda: len(mail.outbox) == 3)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    swedish, english = by_recipient["anna@client.example"], by_recipient["bob@client.example"]
    assert "Alpha Advisory" in swedish.body and "Hej Anna Ek" in swedish.body
    assert "Hello Bob Brown" in english.body
    assert by_recipient["carl@client.example"].body.startswith(
        "Hello Carl Berg"
    )  # default language
    assert swedish.from_email.startswith("Alpha Insights <")
    assert swedish.reply_to == ["hello@alpha.example"]
    html = swedish.alternatives[0][0]
    assert "#7A1F5C" in html and "/logo/" in html and "Kungsgatan 1" in html
    assert survey_link(swedish) in html

    # Bob answers everything through the autosave endpoint and submits.
    path = survey_link(english)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and b"0 of 24 answered" in page.content
    answer_all(client, path, firm_a, version)
    response = client.post(path, {"submit": "1", "followup_opt_in": "on"})
    assert response.status_code == 302 and response["Location"].endswith("/result/")
    result_page = client.get(response["Location"])
    assert b"Your result" in result_page.content and b"Your next steps" in result_page.content

    wait_for(lambda: len(mail.outbox) == 4)
    result_mail = mail.outbox[-1]
    assert result_mail.to == ["bob@client.example"]
    assert "result" in result_mail.subject.lower()
    with firm_context(firm_a.firm):
        bob = Respondent.objects.get(email="bob@client.example")
    # "Agree" everywhere: three items per dimension score 75, the reverse item 25 -> 62.5.
    assert bob.result["overall"] == 62.5 and bob.result["band"] == "transition"
    assert bob.status == "completed" and bob.followup_opt_in
    assert (
        "62/100 · In transition" in result_mail.body or "63/100 · In transition" in result_mail.body
    )
    tips_in_mail = [line for line in result_mail.body.splitlines() if line.startswith("  * ")]
    assert len(tips_in_mail) >= 4  # two weakest dimensions, three tips each

    # A completed link shows the result again and cannot submit twice.
    assert client.get(path)["Location"].endswith("/result/")
    response = client.post(
        path + "answer/", data=json.dumps({"item": 1, "value": 2}), content_type="application/json"
    )
    assert response.status_code == 400

    # Reminders reach only those who have not completed.
    client.force_login(firm_a.consultant)
    client.post(reverse("assessments:campaign_remind", args=[slug, campaign.pk]))
    wait_for(lambda: len(mail.outbox) == 6)
    reminded = sorted(m.to[0] for m in mail.outbox[4:])
    assert reminded == ["anna@client.example", "carl@client.example"]
    assert all(m.subject.startswith(("Reminder", "Påminnelse")) for m in mail.outbox[4:])

    # Running a send again sends nothing: invitations, reminder 1 and the result are claimed.
    with firm_context(firm_a.firm):
        anna = Respondent.objects.get(email="anna@client.example")
    for kind, who, sequence in (("invitation", anna, 0), ("reminder", anna, 1), ("result", bob, 0)):
        assert (
            run_in_worker(
                send_respondent_email,
                firm_id=firm_a.firm.pk,
                respondent_id=who.pk,
                kind=kind,
                sequence=sequence,
            )
            is False
        )
    assert len(mail.outbox) == 6
    with firm_context(firm_a.firm):
        assert EmailLog.objects.filter(respondent=anna).count() == 2

    # The live figures on the campaign page.
    stats = client.get(reverse("assessments:campaign_stats", args=[slug, campaign.pk])).json()
    assert (stats["invited"], stats["completed"], stats["rate"]) == (3, 1, 33)
    assert {s["label"]: s["completed"] for s in stats["segments"]} == {
        "Leadership": 0,
        "Project manager": 0,
        "Team member": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_scheduled_reminders_and_follow_ups_come_from_the_sweep(celery_worker, firm_a):
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
        campaign = new_campaign(
            firm_a,
            version=version,
            name="Timed",
            days=30,
            reminder_interval_days=2,
            max_reminders=1,
        )
        add_people(firm_a, campaign, [person("late@x.example"), person("done@x.example")])
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
    wait_for(lambda: len(mail.outbox) == 2)
    with firm_context(firm_a.firm):
        done = Respondent.objects.get(email="done@x.example")
        for item in version.items.all():
            services.answer_save(firm=firm_a.firm, respondent=done, item_id=item.pk, value=2)
        services.respondent_submit(firm=firm_a.firm, respondent=done, followup_opt_in=True)
    wait_for(lambda: len(mail.outbox) == 3)  # the result email

    # Nothing is due yet.
    run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=campaign.pk)
    # Three days later: the reminder (interval 2 days) and the first follow-up (day 2) are due.
    with firm_context(firm_a.firm):
        earlier = timezone.now() - timedelta(days=3)
        Respondent.objects.filter(campaign=campaign).update(sent_at=earlier)
        Respondent.objects.filter(pk=done.pk).update(completed_at=earlier)
    run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=campaign.pk)
    wait_for(lambda: len(mail.outbox) == 5)
    late, followup = sorted(mail.outbox[3:], key=lambda m: m.to[0])[1], None
    followup = next(m for m in mail.outbox[3:] if m.to == ["done@x.example"])
    reminder = next(m for m in mail.outbox[3:] if m.to == ["late@x.example"])
    assert late is not None and reminder.subject.startswith("Reminder")
    assert "Unsubscribe" in followup.body and "List-Unsubscribe" in followup.extra_headers
    # Again: the maximum of one reminder is reached and follow-up 1 is sent; nothing new.
    run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=campaign.pk)
    with firm_context(firm_a.firm):
        assert Respondent.objects.get(email="late@x.example").reminders_sent == 1
    # Unsubscribing stops the series.
    unsubscribe = re.search(r"https?://\S+/unsubscribe/", followup.body).group(0)
    from django.test import Client

    Client().post("/" + unsubscribe.split("://", 1)[1].split("/", 1)[1])
    with firm_context(firm_a.firm):
        Respondent.objects.filter(pk=done.pk).update(
            completed_at=timezone.now() - timedelta(days=8)
        )
    run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=campaign.pk)
    assert len(mail.outbox) == 5

    # Past the close date the sweep closes the campaign.
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(
            closes_at=timezone.now() - timedelta(minutes=1)
        )
    run_in_worker(campaign_housekeeping, firm_id=firm_a.firm.pk, campaign_id=campaign.pk)
    with firm_context(firm_a.firm):
        closed = Campaign.objects.get(pk=campaign.pk)
        # Closing requests the report at once; the worker may already have built it.
        assert closed.closed_at is not None and closed.status in ("closed", "reported")
