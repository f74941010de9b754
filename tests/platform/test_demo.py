"""The demo data command that `bin/run` runs: every app seeds its part, twice changes nothing."""

import pytest
from django.core.management import call_command

from accounts.models import ClientExecutive, Firm, User, WebhookEndpoint
from assessments.models import Campaign, Respondent
from pmo_platform.tenancy import firm_context
from reports.models import Report, ReportStatus


def _counts():
    counts = {"users": User.objects.count()}
    for firm in Firm.objects.order_by("slug"):
        with firm_context(firm):
            counts[firm.slug] = (
                Campaign.objects.count(),
                Respondent.objects.filter(completed_at__isnull=False).count(),
                Report.objects.filter(status=ReportStatus.READY).count(),
                ClientExecutive.objects.count(),
                list(WebhookEndpoint.objects.values_list("url", "enabled")),
            )
    return counts


@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_every_apps_part_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    first = _counts()
    assert set(first) == {"users", "fjallvag", "northwind"}
    for slug in ("fjallvag", "northwind"):
        campaigns, completed, ready_reports, executives, _webhooks = first[slug]
        # An open campaign, a non-anonymous pulse, two earlier rounds for the main client and
        # six peers, all reported.
        assert campaigns == 10 and ready_reports == 8 and executives == 1
        assert completed > 0
    # The demo firm has one webhook endpoint, disabled (example.com receives nothing).
    assert first["northwind"][4] == [("https://webhooks.example.com/pmo", False)]
    assert first["fjallvag"][4] == []
    call_command("seed_demo", verbosity=0)
    assert _counts() == first


@pytest.mark.django_db(transaction=True)
def test_seed_demo_prints_a_working_api_key():
    from io import StringIO

    from django.test import Client

    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())  # again: the same key, not a second one
    line = next(x for x in out.getvalue().splitlines() if x.startswith("Demo API key"))
    secret = line.rsplit(" ", 1)[1]
    response = Client().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert "Contoso Bank" in {c["name"] for c in response.json()["results"]}
    from accounts.models import ApiKey

    firm = Firm.objects.get(slug="northwind")
    with firm_context(firm):
        assert ApiKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_the_api_docs_responses_and_a_lead():
    """docs/api.md's responses and leads examples list something: a non-anonymous campaign's
    finished respondents (with identity and scores) and a lead from the open link."""
    from io import StringIO

    from django.test import Client

    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())  # again: nothing twice
    line = next(x for x in out.getvalue().splitlines() if x.startswith("Demo API key"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {line.rsplit(' ', 1)[1]}"}
    responses = Client().get("/api/v1/responses/", **auth).json()["results"]
    assert len(responses) == 3 and len({r["campaign"] for r in responses}) == 1
    assert all(r["respondent"]["email"] and r["scores"]["dimensions"] for r in responses)
    leads = Client().get("/api/v1/leads/", **auth).json()["results"]
    assert len(leads) == 1 and leads[0]["email"].startswith("lead@")
    firm = Firm.objects.get(slug="northwind")
    with firm_context(firm):
        survey_campaign = Campaign.objects.get(pk=responses[0]["campaign"])
        assert survey_campaign.anonymous is False
