"""Reports through the API: list, one snapshot as JSON with the page's suppression (a hidden group
is absent), its PDF and CSV as the portal offers them, and rebuilds through `report_request`."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEntry
from pmo_platform.tenancy import firm_context
from reports.models import Report
from reports.presenters import page_context
from tests.helpers import wait_for
from tests.reports.helpers import build, campaign_with
from tests.reports.test_report_csv_stream import EXPECTED as CSV_EXPECTED
from tests.reports.test_report_csv_stream import GROUPS as CSV_GROUPS

from .conftest import ApiClient, make_key

pytestmark = pytest.mark.django_db

# 14 responses: "pmo" (2) is below the minimum of 5, so it is hidden, and so is the next
# smallest group (leadership), or the total would give "pmo" away.
GROUPS = [("leadership", 6, 5), ("team_member", 7, 2), ("pmo", 2, 3)]


def nulls(value, path="") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}.{i}")]
    return []


def test_a_group_below_the_minimum_is_absent_as_on_the_page(api_a, firm_a):
    report = build(firm_a, campaign_with(firm_a, GROUPS))
    response = api_a.get(f"/api/v1/reports/{report.pk}/", {"language": "en"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == report.pk and body["status"] == "ready"
    content = body["content"]
    with firm_context(firm_a.firm), translation.override("en"):
        page = page_context(firm=firm_a.firm, report=Report.objects.get(pk=report.pk))
    shown = [g["value"] for g in content["segments"]["role_level"]]
    assert shown == [g["value"] for g in page["segments"]["role_level"]] == ["team_member"]
    assert content["hidden_segments"]["role_level"] == 2
    assert not nulls(content)  # hidden cells are absent, never null
    assert '"pmo"' not in json.dumps(content) and '"leadership"' not in json.dumps(content)
    assert [d["key"] for d in content["dimensions"]] == [d["key"] for d in page["dimensions"]]
    assert [d["name"] for d in content["dimensions"]] == [d["name"] for d in page["dimensions"]]
    assert content["overall"]["score"] == page["data"]["overall"]["score"]
    assert content["response"]["completed"] == 15 and content["suppressed"] is False
    assert content["next_steps"] and content["language"] == "en"
    swedish = api_a.get(f"/api/v1/reports/{report.pk}/", {"language": "sv"}).json()["content"]
    assert swedish["language"] == "sv" and swedish["dimensions"] != content["dimensions"]
    assert api_a.get(f"/api/v1/reports/{report.pk}/", {"language": "de"}).status_code == 400


def test_a_report_with_too_few_responses_shows_only_the_count(api_a, firm_a):
    report = build(firm_a, campaign_with(firm_a, [("pmo", 3, 4)]))
    content = api_a.get(f"/api/v1/reports/{report.pk}/").json()["content"]
    assert content["suppressed"] is True
    assert set(content) == {"language", "generated_at", "min_group_size", "response", "suppressed"}


def test_pdf_and_csv_are_the_portals_downloads(api_a, firm_a, client):
    report = build(firm_a, campaign_with(firm_a, GROUPS))
    pdf = api_a.get(f"/api/v1/reports/{report.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'attachment; filename="report-{report.pk}.pdf"'
    csv = api_a.get(f"/api/v1/reports/{report.pk}/csv/", {"language": "en"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    client.force_login(firm_a.owner)
    portal = client.get(
        reverse(
            "reports:report_csv",
            kwargs={
                "firm_slug": firm_a.firm.slug,
                "client_id": firm_a.client.pk,
                "report_id": report.pk,
            },
        )
    )
    assert csv.streaming and portal.streaming  # sent line by line, never built in memory
    assert csv["Content-Disposition"] == f'attachment; filename="report-{report.pk}.csv"'
    body = csv.getvalue()
    assert body == portal.getvalue()
    assert b"role_level,Team member," in body
    assert b"role_level,PMO," not in body and b"role_level,Leadership," not in body


def test_the_streamed_csv_keeps_the_request_language(api_a, firm_a):
    report = build(firm_a, campaign_with(firm_a, CSV_GROUPS))
    response = api_a.get(f"/api/v1/reports/{report.pk}/csv/", {"language": "sv"})
    assert response.status_code == 200 and response.streaming
    english = api_a.get(f"/api/v1/reports/{report.pk}/csv/", {"language": "en"}).getvalue()
    assert english == CSV_EXPECTED
    swedish = response.getvalue().decode()
    assert swedish.startswith("avsnitt,grupp,mått,svar,poäng\r\nsvar,,svarsfrekvens (%),16,100")
    assert "role_level,Teammedlem,totalt,6,37.5\r\n" in swedish


def test_a_report_not_built_yet_has_no_content_and_no_downloads(api_a, firm_a):
    campaign = campaign_with(firm_a, GROUPS)
    with firm_context(firm_a.firm):
        report = Report.objects.create(
            firm=firm_a.firm, campaign=campaign, number=1, trigger="requested"
        )
    assert api_a.get(f"/api/v1/reports/{report.pk}/").json()["content"] is None
    for kind, accept in (("pdf", "application/pdf"), ("csv", "text/csv")):
        response = api_a.get(f"/api/v1/reports/{report.pk}/{kind}/", HTTP_ACCEPT=accept)
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "report_not_ready"


def test_the_list_filters_by_campaign_and_client(api_a, firm_a):
    first = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)]))
    other = build(firm_a, campaign_with(firm_a, [("pmo", 5, 2)], client=firm_a.other_client))
    everything = api_a.get("/api/v1/reports/").json()["results"]
    assert [r["id"] for r in everything] == [first.pk, other.pk]
    assert everything[0]["client"] == firm_a.client.pk and everything[0]["status"] == "ready"
    assert "data" not in everything[0] and "content" not in everything[0]
    by_campaign = api_a.get("/api/v1/reports/", {"campaign": other.campaign_id}).json()
    assert [r["id"] for r in by_campaign["results"]] == [other.pk]
    by_client = api_a.get("/api/v1/reports/", {"client": firm_a.client.pk}).json()
    assert [r["id"] for r in by_client["results"]] == [first.pk]
    for bad in ({"campaign": "x"}, {"client": "-3"}):
        response = api_a.get("/api/v1/reports/", bad)
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "invalid_id"


def test_another_firms_reports_are_404_and_change_nothing(api_a, api_b, firm_a):
    report = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)]))
    for path in ("", "pdf/", "csv/"):
        response = api_b.get(f"/api/v1/reports/{report.pk}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for query in ({"campaign": report.campaign_id}, {"client": firm_a.client.pk}):
        assert api_b.get("/api/v1/reports/", query).status_code == 404
    assert api_b.get("/api/v1/reports/").json()["results"] == []
    rebuild = reverse("api_report_rebuild", kwargs={"campaign_id": report.campaign_id})
    assert api_b.post(rebuild).status_code == 404
    with firm_context(firm_a.firm):
        assert list(Report.objects.values_list("id", "status")) == [(report.pk, "ready")]


def test_a_rebuild_goes_through_report_request_and_is_debounced(api_a, firm_a):
    report = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)]))
    rebuild = reverse("api_report_rebuild", kwargs={"campaign_id": report.campaign_id})
    response = api_a.post(rebuild)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["id"] != report.pk and body["number"] == 2
    assert response["Location"] == f"/api/v1/reports/{body['id']}/"
    again = api_a.post(rebuild)
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    with firm_context(firm_a.firm):
        assert Report.objects.count() == 2
        assert AuditEntry.objects.filter(action="report.requested", target_id=body["id"]).count()


def test_the_scopes_are_needed(firm_a):
    report = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)]))
    _key, secret = make_key(firm_a, scopes=["reports:read"])
    reader = ApiClient(secret)
    assert reader.get(f"/api/v1/reports/{report.pk}/").status_code == 200
    rebuild = reverse("api_report_rebuild", kwargs={"campaign_id": report.campaign_id})
    response = reader.post(rebuild)
    assert response.status_code == 403 and response.json()["missing_scope"] == "reports:write"
    _key, secret = make_key(firm_a, scopes=["responses:read"], name="other")
    for path in ("", "pdf/", "csv/"):
        response = ApiClient(secret).get(f"/api/v1/reports/{report.pk}/{path}")
        assert response.status_code == 403 and response.json()["missing_scope"] == "reports:read"
    with firm_context(firm_a.firm):
        assert Report.objects.count() == 1


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_queries_for_3_and_30_reports(
    api_a, firm_a, count, django_assert_max_num_queries
):
    campaign = campaign_with(firm_a, [])
    with firm_context(firm_a.firm):
        Report.objects.bulk_create(
            Report(
                firm=firm_a.firm, campaign=campaign, number=n, trigger="answers", status="failed"
            )
            for n in range(1, count + 1)
        )
    api_a.get("/api/v1/reports/")
    with django_assert_max_num_queries(10):
        response = api_a.get("/api/v1/reports/", {"limit": 50})
    assert len(response.json()["results"]) == count


@pytest.mark.django_db(transaction=True)
def test_a_requested_rebuild_is_built_by_the_worker(api_a, firm_a, celery_worker):
    report = build(firm_a, campaign_with(firm_a, [("pmo", 5, 4)]))
    rebuild = reverse("api_report_rebuild", kwargs={"campaign_id": report.campaign_id})
    new = api_a.post(rebuild).json()["id"]
    ready = wait_for(
        lambda: api_a.get(f"/api/v1/reports/{new}/").json()["status"] == "ready", timeout=60
    )
    assert ready
    assert api_a.get(f"/api/v1/reports/{new}/").json()["content"]["response"]["completed"] == 5
