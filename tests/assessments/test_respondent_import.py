"""Adding respondents by form and CSV: all or nothing, every bad row reported, duplicates merged.
The CSV import runs in a worker (services/respondent_imports.py): the upload queues it and the
campaign page follows its progress."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditEntry
from assessments import services, tasks
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Campaign, Respondent, RespondentImport
from assessments.respondent_csv import IMPORT_MAX_BYTES
from assessments.selectors import respondent_imports_stalled
from assessments.services import respondent_imports
from pmo_platform.tenancy import all_firms, firm_context
from tests.helpers import new_campaign, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(firm_a):
    with firm_context(firm_a.firm):
        return new_campaign(firm_a, name="Import", default_language="sv")


def post_file(client, world, campaign, content, name="people.csv"):
    client.force_login(world.consultant)
    file = SimpleUploadedFile(name, content if isinstance(content, bytes) else content.encode())
    return client.post(
        reverse("assessments:respondents_import", args=[world.firm.slug, campaign.pk]),
        {"file": file},
    )


def latest(world, campaign) -> RespondentImport | None:
    with firm_context(world.firm):
        return RespondentImport.objects.filter(campaign=campaign).first()


def run_latest(world, campaign) -> str:
    """What the worker does with the queued import (the worker tests below run it for real)."""
    return services.respondent_import_process(firm=world.firm, import_id=latest(world, campaign).pk)


def upload(client, world, campaign, content, name="people.csv"):
    """Upload, and run the import the upload queued."""
    response = post_file(client, world, campaign, content, name)
    if response.status_code == 302:
        run_latest(world, campaign)
    return response


def problems(world, campaign) -> list[tuple[int, str]]:
    job = latest(world, campaign)
    assert job.status == "failed"
    return [(p["line"], p["code"]) for p in job.problems]


def people(world, campaign):
    with firm_context(world.firm):
        return {
            r.email: (r.name, r.language, r.role_level, r.department)
            for r in Respondent.objects.filter(campaign=campaign)
        }


def status_url(world, campaign, job):
    return reverse("assessments:import_status", args=[world.firm.slug, campaign.pk, job.pk])


def test_valid_csv_with_semicolons_bom_and_duplicates(client, firm_a, campaign):
    content = (
        "\ufeffEmail;Name;Language;Role_level;Department\n"
        "Eva@Client.example;Eva;en;leadership;Board\n"
        "\n"
        "olle@client.example;Olle;;team member;IT\n"
        "eva@client.example;Eva Ek;;;\n"
    )
    response = upload(client, firm_a, campaign, content)
    assert response.status_code == 302
    assert people(firm_a, campaign) == {
        "eva@client.example": ("Eva Ek", "sv", "", ""),  # the later row wins; default language
        "olle@client.example": ("Olle", "sv", "team_member", "IT"),
    }
    job = latest(firm_a, campaign)
    assert (job.status, job.created_count, job.updated_count) == ("done", 2, 0)
    assert job.content is None  # the file is not kept
    # Importing again merges into the existing people: only non-empty fields replace theirs.
    response = upload(client, firm_a, campaign, "email,department\neva@client.example,Finance\n")
    assert response.status_code == 302
    assert people(firm_a, campaign)["eva@client.example"] == ("Eva Ek", "sv", "", "Finance")
    assert len(people(firm_a, campaign)) == 2
    job = latest(firm_a, campaign)
    assert (job.created_count, job.updated_count) == (0, 1)
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert "0 new, 1 updated" in page.content.decode()
    with firm_context(firm_a.firm):
        actions = list(
            AuditEntry.objects.filter(action__startswith="respondents.").values_list(
                "action", flat=True
            )
        )
    assert actions.count("respondents.added") == 2
    assert actions.count("respondents.import_started") == 2


def test_any_bad_row_imports_nothing_and_every_bad_row_is_reported(client, firm_a, campaign):
    content = (
        "email,name,language,role_level,department\n"
        "good@client.example,Good,en,pmo,IT\n"
        "not-an-email,Bad,en,pmo,IT\n"
        "x@client.example,X,de,pmo,IT\n"
        "y@client.example,Y,en,janitor,IT\n"
        "z@client.example,Z,en,pmo,IT,extra\n"
    )
    response = upload(client, firm_a, campaign, content)
    assert response.status_code == 302
    assert problems(firm_a, campaign) == [
        (3, Code.INVALID_EMAIL),
        (4, Code.INVALID_LANGUAGE),
        (5, Code.INVALID_ROLE_LEVEL),
        (6, Code.CSV_TOO_MANY_COLUMNS),
    ]
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    body = page.content.decode()
    assert "Nothing was imported" in body
    for problem in latest(firm_a, campaign).problems:
        assert f"Line {problem['line']}: {escape(problem['reason'])}" in body
    assert "Line 2" not in body
    assert people(firm_a, campaign) == {}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("name,department\nEva,IT\n", Code.CSV_NO_EMAIL_COLUMN),
        ("email\n", Code.CSV_EMPTY),
    ],
)
def test_files_without_rows_to_import_fail_with_a_reason(client, firm_a, campaign, content, code):
    assert upload(client, firm_a, campaign, content).status_code == 302
    assert [c for _line, c in problems(firm_a, campaign)] == [code]
    assert people(firm_a, campaign) == {}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"email\n\xff\xfe\x00bad@x.example\n", Code.CSV_NOT_UTF8),
        ("", "empty"),  # the upload field's own check
        (b"email\n" + b"a" * IMPORT_MAX_BYTES + b"@x.example\n", Code.CSV_TOO_LARGE),
    ],
)
def test_unreadable_uploads_are_a_form_error(client, firm_a, campaign, content, code):
    response = post_file(client, firm_a, campaign, content)
    assert response.status_code == 400
    form = response.context["csv_form"]
    assert form.has_error("file", code)
    assert escape(form.errors["file"][0]) in response.content.decode()
    assert latest(firm_a, campaign) is None
    assert people(firm_a, campaign) == {}


def test_too_many_rows_are_refused(client, firm_a, campaign, monkeypatch):
    monkeypatch.setattr(respondent_imports, "IMPORT_MAX_ROWS", 50)
    rows = "".join(f"p{n}@client.example\n" for n in range(51))
    upload(client, firm_a, campaign, "email\n" + rows)
    assert problems(firm_a, campaign) == [(52, Code.CSV_TOO_MANY_ROWS)]
    assert "50" in latest(firm_a, campaign).problems[0]["reason"]
    assert people(firm_a, campaign) == {}


def test_stored_problems_are_capped_with_their_total(client, firm_a, campaign):
    rows = "".join(f"bad{n}\n" for n in range(250))
    upload(client, firm_a, campaign, "email\n" + rows)
    job = latest(firm_a, campaign)
    assert job.problems_total == 250
    assert len(job.problems) == respondent_imports.IMPORT_MAX_STORED_PROBLEMS
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert "250 problems in all" in page.content.decode()


def test_a_second_import_waits_for_the_first(client, firm_a, campaign):
    assert post_file(client, firm_a, campaign, "email\na@client.example\n").status_code == 302
    job = latest(firm_a, campaign)
    response = client.get(status_url(firm_a, campaign, job))
    assert response.json() | {"id": 0} == {
        "id": 0,
        "status": "queued",
        "running": True,
        "total_rows": 1,
        "processed_rows": 0,
        "created": 0,
        "updated": 0,
        "problems_total": 0,
    }
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert "<progress" in page.content.decode()
    response = post_file(client, firm_a, campaign, "email\nb@client.example\n")
    assert response.status_code == 400
    assert response.context["csv_form"].has_error("__all__", Code.IMPORT_RUNNING)
    assert run_latest(firm_a, campaign) == "done"
    assert client.get(status_url(firm_a, campaign, job)).json()["status"] == "done"
    assert post_file(client, firm_a, campaign, "email\nb@client.example\n").status_code == 302


def test_a_redelivered_task_does_nothing(client, firm_a, campaign):
    upload(client, firm_a, campaign, "email\na@client.example\n")
    assert run_latest(firm_a, campaign) == "skipped"
    job = latest(firm_a, campaign)
    assert (job.status, job.created_count, job.attempts) == ("done", 1, 1)


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_import_whose_worker_died_is_taken_over(client, firm_a, campaign):
    post_file(client, firm_a, campaign, "email\na@client.example\nb@client.example\n")
    job = latest(firm_a, campaign)
    # A worker claimed it and stopped reporting (killed).
    with firm_context(firm_a.firm):
        RespondentImport.objects.filter(pk=job.pk).update(status="validating", attempts=1)
    assert run_latest(firm_a, campaign) == "skipped"  # still fresh: someone is on it
    with all_firms():
        assert (firm_a.firm.pk, job.pk) not in respondent_imports_stalled(now=timezone.now())
        later = timezone.now() + timedelta(seconds=90)
        assert (firm_a.firm.pk, job.pk) in respondent_imports_stalled(now=later)
    with firm_context(firm_a.firm):
        RespondentImport.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(seconds=90)
        )
    assert run_latest(firm_a, campaign) == "done"
    job = latest(firm_a, campaign)
    assert (job.status, job.created_count, job.attempts) == ("done", 2, 2)
    assert set(people(firm_a, campaign)) == {"a@client.example", "b@client.example"}


def test_a_closed_campaign_takes_no_import(client, firm_a, campaign):
    with firm_context(firm_a.firm):
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    response = post_file(client, firm_a, campaign, "email\na@client.example\n")
    assert response.status_code == 400
    assert response.context["csv_form"].has_error("__all__", Code.CAMPAIGN_CLOSED)


def test_another_firms_user_gets_404(client, firm_a, firm_b, campaign):
    post_file(client, firm_a, campaign, "email\na@client.example\n")
    job = latest(firm_a, campaign)
    client.force_login(firm_b.owner)
    for slug in (firm_a.firm.slug, firm_b.firm.slug):
        response = client.get(
            reverse("assessments:import_status", args=[slug, campaign.pk, job.pk])
        )
        assert response.status_code == 404
        file = SimpleUploadedFile("p.csv", b"email\nx@client.example\n")
        response = client.post(
            reverse("assessments:respondents_import", args=[slug, campaign.pk]), {"file": file}
        )
        assert response.status_code == 404
    with firm_context(firm_b.firm):
        assert not RespondentImport.objects.exists()
    assert latest(firm_a, campaign).pk == job.pk


def test_add_one_person_by_form(client, firm_a, campaign):
    client.force_login(firm_a.consultant)
    url = reverse("assessments:respondent_add", args=[firm_a.firm.slug, campaign.pk])
    response = client.post(
        url, {"email": "new@client.example", "language": "en", "role_level": "pmo"}
    )
    assert response.status_code == 302
    response = client.post(url, {"email": "broken", "language": "en"})
    assert response.status_code == 400
    assert response.context["respondent_form"].has_error("email", "invalid")
    assert list(people(firm_a, campaign)) == ["new@client.example"]


def test_an_overlong_field_is_a_clear_error(client, firm_a, campaign):
    content = 'email,name\nx@client.example,"' + "a" * 140_000 + '"\n'
    upload(client, firm_a, campaign, content)
    assert [c for _line, c in problems(firm_a, campaign)] == [Code.CSV_UNREADABLE]
    assert people(firm_a, campaign) == {}


def test_an_email_longer_than_its_column_is_an_invalid_email(client, firm_a, campaign):
    # Django's validator accepts up to 320 characters; the column holds 254.
    long_email = "a" * 250 + "@x.example"
    upload(client, firm_a, campaign, f"email\nok@client.example\n{long_email}\n")
    assert problems(firm_a, campaign) == [(3, Code.INVALID_EMAIL)]
    assert people(firm_a, campaign) == {}


# --- Through the worker ----------------------------------------------------------------------


def big_csv(rows: int, bad_last: bool = False) -> str:
    lines = ["email,name,language,role_level,department"]
    lines += [f"p{n}@client.example,Person {n},en,team_member,Dept {n % 40}" for n in range(rows)]
    if bad_last:
        lines[-1] = "not-an-email,Last,en,pmo,IT"
    return "\n".join(lines) + "\n"


def finished(client, world, campaign):
    job = latest(world, campaign)
    if job is None:
        return None
    data = client.get(status_url(world, campaign, job)).json()
    return None if data["running"] else data


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_imported_by_the_worker(client, celery_worker, firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Big")
        services.respondents_add(
            firm=firm_a.firm,
            actor=firm_a.owner,
            campaign=campaign,
            rows=[{"email": "p5@client.example"}],
        )
    response = post_file(client, firm_a, campaign, big_csv(12_000))
    assert response.status_code == 302
    seen = []

    def done():
        data = client.get(status_url(firm_a, campaign, latest(firm_a, campaign))).json()
        seen.append(data["processed_rows"])
        return None if data["running"] else data

    data = wait_for(done, timeout=60)
    assert data["status"] == "done"
    assert (data["created"], data["updated"]) == (11_999, 1)
    assert data["processed_rows"] == data["total_rows"] == 12_000
    assert seen == sorted(seen)
    with firm_context(firm_a.firm):
        assert Respondent.objects.filter(campaign=campaign).count() == 12_000
        assert Respondent.objects.get(email="p5@client.example").name == "Person 5"


@pytest.mark.django_db(transaction=True)
def test_one_bad_row_at_the_end_imports_nothing(client, celery_worker, firm_a):
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Big and bad")
    assert post_file(client, firm_a, campaign, big_csv(12_001, bad_last=True)).status_code == 302
    data = wait_for(lambda: finished(client, firm_a, campaign), timeout=60)
    assert data["status"] == "failed"
    assert problems(firm_a, campaign) == [(12_002, Code.INVALID_EMAIL)]
    # Progress was committed while the rows were checked.
    assert data["processed_rows"] == 12_000
    assert people(firm_a, campaign) == {}
    page = client.get(reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk]))
    assert "Line 12002" in page.content.decode()


def test_the_sweep_is_routed_and_scheduled(settings):
    from pmo_platform.queues import TASK_QUEUES

    assert TASK_QUEUES[tasks.import_respondents.name] == "default"
    schedule = settings.CELERY_BEAT_SCHEDULE["respondent-import-sweep"]
    assert schedule["task"] == tasks.import_sweep.name
