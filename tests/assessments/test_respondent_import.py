"""Adding respondents by form and CSV: all or nothing, every bad row reported, duplicates merged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from assessments import services
from assessments.error_codes import AssessmentsErrorCode as Code
from assessments.models import Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import new_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(firm_a):
    with firm_context(firm_a.firm):
        return new_campaign(firm_a, name="Import", default_language="sv")


def upload(client, world, campaign, content, name="people.csv"):
    client.force_login(world.consultant)
    file = SimpleUploadedFile(name, content if isinstance(content, bytes) else content.encode())
    return client.post(
        reverse("assessments:respondents_import", args=[world.firm.slug, campaign.pk]),
        {"file": file},
    )


def people(world, campaign):
    with firm_context(world.firm):
        return {
            r.email: (r.name, r.language, r.role_level, r.department)
            for r in Respondent.objects.filter(campaign=campaign)
        }


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
    # Importing again merges into the existing people.
    response = upload(client, firm_a, campaign, "email,department\neva@client.example,Finance\n")
    assert response.status_code == 302
    assert people(firm_a, campaign)["eva@client.example"][3] == "Finance"
    assert len(people(firm_a, campaign)) == 2


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
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported" in body
    problems = response.context["csv_problems"]
    assert [(p.line, p.code) for p in problems] == [
        (3, Code.INVALID_EMAIL),
        (4, Code.INVALID_LANGUAGE),
        (5, Code.INVALID_ROLE_LEVEL),
        (6, Code.CSV_TOO_MANY_COLUMNS),
    ]
    for problem in problems:
        assert f"Line {problem.line}: {escape(problem.reason)}" in body
    assert "Line 2" not in body
    assert people(firm_a, campaign) == {}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("name,department\nEva,IT\n", Code.CSV_NO_EMAIL_COLUMN),
        (b"email\n\xff\xfe\x00bad@x.example\n", Code.CSV_NOT_UTF8),
        ("email\n", Code.CSV_EMPTY),
        ("", "empty"),  # the upload field's own check
        ("email\n" + "a" * (1024 * 1024) + "@x.example\n", Code.CSV_TOO_LARGE),
    ],
)
def test_malformed_files_are_refused_with_a_reason(client, firm_a, campaign, content, code):
    response = upload(client, firm_a, campaign, content)
    assert response.status_code == 400
    body = response.content.decode()
    problems = response.context["csv_problems"]
    file_errors = response.context["csv_form"].errors.as_data().get("file", [])
    reasons = [(p.code, p.reason) for p in problems] + [
        (e.code, message) for e in file_errors for message in e
    ]
    assert [reason_code for reason_code, _reason in reasons] == [code]
    assert escape(reasons[0][1]) in body  # the reason is shown
    assert people(firm_a, campaign) == {}


def test_too_many_rows_are_refused(client, firm_a, campaign):
    rows = "".join(f"p{n}@client.example\n" for n in range(services.CSV_MAX_ROWS + 1))
    response = upload(client, firm_a, campaign, "email\n" + rows)
    assert response.status_code == 400
    problems = response.context["csv_problems"]
    assert [p.code for p in problems] == [Code.CSV_TOO_MANY_ROWS]
    assert str(services.CSV_MAX_ROWS) in problems[0].reason
    assert escape(problems[0].reason) in response.content.decode()
    assert people(firm_a, campaign) == {}


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
    response = upload(client, firm_a, campaign, content)
    assert response.status_code == 400
    problems = response.context["csv_problems"]
    assert [p.code for p in problems] == [Code.CSV_UNREADABLE]
    assert escape(problems[0].reason) in response.content.decode()
    assert people(firm_a, campaign) == {}


def test_an_email_longer_than_its_column_is_an_invalid_email(client, firm_a, campaign):
    # Django's validator accepts up to 320 characters; the column holds 254.
    long_email = "a" * 250 + "@x.example"
    response = upload(client, firm_a, campaign, f"email\nok@client.example\n{long_email}\n")
    assert response.status_code == 400
    assert [(p.line, p.code) for p in response.context["csv_problems"]] == [(3, Code.INVALID_EMAIL)]
    assert people(firm_a, campaign) == {}
