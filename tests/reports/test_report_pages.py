"""The report on the web: consultants' campaign report, the executive's portal, CSV export;
executives see only their own client, and never individual answers or identities."""

import csv
import io
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML

from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(firm_a):
    own = build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 6, 2)]))
    other = build(
        firm_a, campaign_with(firm_a, [("pmo", 6, 3)], client=firm_a.other_client, name="Other")
    )
    return own, other


def test_consultant_sees_the_report_with_radar_gap_and_next_steps(client, firm_a, reports):
    own, _other = reports
    client.force_login(firm_a.consultant)
    page = client.get(reverse("reports:campaign_report", args=[firm_a.firm.slug, own.campaign_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "polygon" in body  # the radar
    assert "Leadership and teams see the PMO differently" in body
    assert "Recommended next steps" in body
    for role in ("Leadership", "Team member"):
        assert role in body


def test_executive_reads_own_client_report_and_csv_but_nothing_else(
    client, firm_a, firm_b, reports
):
    own, other = reports
    slug = firm_a.firm.slug
    client.force_login(firm_a.executive)
    portal = client.get(reverse("reports:portal", args=[slug, firm_a.client.pk]))
    body = portal.content.decode()
    assert portal.status_code == 200 and "<svg" in body
    assert "@x.example" not in body  # no respondent identities
    response = client.get(reverse("reports:report_csv", args=[slug, firm_a.client.pk, own.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming  # sent line by line, never built in memory
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0] == ["section", "group", "measure", "responses", "score"]
    assert any(r[0] == "dimension" for r in rows) and not any(
        "@" in cell for r in rows for cell in r
    )
    # Another client of the same firm, through either id, and another firm: 404.
    for path in (
        reverse("reports:portal", args=[slug, firm_a.other_client.pk]),
        reverse("reports:portal_report", args=[slug, firm_a.client.pk, other.pk]),
        reverse("reports:portal_report", args=[slug, firm_a.other_client.pk, other.pk]),
        reverse("reports:report_csv", args=[slug, firm_a.client.pk, other.pk]),
        reverse("reports:portal", args=[firm_b.firm.slug, firm_b.client.pk]),
        reverse("reports:campaign_report", args=[slug, own.campaign_id]),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Other" not in response.content


def test_other_firms_consultant_gets_404_for_every_report_url(client, firm_a, firm_b, reports):
    own, _other = reports
    slug = firm_a.firm.slug
    client.force_login(firm_b.owner)
    for path in (
        reverse("reports:campaign_report", args=[slug, own.campaign_id]),
        reverse("reports:portal", args=[slug, firm_a.client.pk]),
        reverse("reports:portal_report", args=[slug, firm_a.client.pk, own.pk]),
        reverse("reports:report_csv", args=[slug, firm_a.client.pk, own.pk]),
        reverse("reports:campaign_report", args=[firm_b.firm.slug, own.campaign_id]),
        reverse("reports:portal_report", args=[firm_b.firm.slug, firm_b.client.pk, own.pk]),
    ):
        assert client.get(path).status_code == 404, path


def test_hidden_groups_stay_hidden_in_page_and_csv(client, firm_a):
    report = build(
        firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 5, 2), ("pmo", 4, 3)])
    )
    client.force_login(firm_a.executive)
    body = client.get(
        reverse("reports:portal", args=[firm_a.firm.slug, firm_a.client.pk])
    ).content.decode()
    assert "2 groups are not shown" in body
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse(
                        "reports:report_csv", args=[firm_a.firm.slug, firm_a.client.pk, report.pk]
                    )
                )
                .getvalue()
                .decode()
            )
        )
    )
    role_rows = [r for r in rows if r[0] == "role_level"]
    assert [r[1] for r in role_rows] == ["Team member"]


def test_report_page_queries_stay_flat(client, firm_a, django_assert_max_num_queries):
    small = build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 5, 2)]))
    client.force_login(firm_a.consultant)
    url = reverse("reports:campaign_report", args=[firm_a.firm.slug, small.campaign_id])
    with django_assert_max_num_queries(25) as first:
        client.get(url)
    large = build(
        firm_a,
        campaign_with(
            firm_a, [("leadership", 15, 5), ("team_member", 25, 2), ("pmo", 9, 3)], name="Big"
        ),
    )
    url = reverse("reports:campaign_report", args=[firm_a.firm.slug, large.campaign_id])
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


def test_pdf_renders_with_the_report_text_and_pages(client, firm_a, reports):
    from pypdf import PdfReader

    from tests.helpers import brand

    brand(firm_a)
    own, _other = reports
    client.force_login(firm_a.executive)
    response = client.get(
        reverse("reports:report_pdf", args=[firm_a.firm.slug, firm_a.client.pk, own.pk])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert 2 <= len(reader.pages) <= 6
    for expected in (firm_a.client.name, "Dimensions", "Recommended next steps", "Pace-setter"):
        assert expected in text, expected
    assert "@x.example" not in text
    # The page and the PDF share the report body, which has no style attributes (the page's
    # Content-Security-Policy forbids them): the PDF's own <style> sizes what the classes name,
    # and WeasyPrint lays out the bars and the legend's colour swatches.
    html = pdf_html(response)
    assert ".legend .swatch {" in html and ' style="' not in html
    assert re.search(r'<svg class="swatch"[^>]*><rect [^>]*fill="#7A1F5C"', html)
    boxes = [
        box
        for page in HTML(string=html).render().pages
        for box in page._page_box.descendants()
        if getattr(box, "element", None) is not None
    ]
    swatches = [box for box in boxes if box.element.get("class") == "swatch"]
    charts = [box for box in boxes if box.element.get("class") == "chart"]
    assert len(swatches) == 2 and all(box.width == box.height == 9 for box in swatches)
    assert len(charts) >= 3 and all(box.width > 100 for box in charts)  # radar, spread, by role


def pdf_html(response) -> str:
    """The HTML the PDF view gave WeasyPrint, rendered again from the context it was given."""
    names = [template.name for template in response.templates]
    context = response.context[names.index("reports/pdf.html")].flatten()
    return render_to_string("reports/pdf.html", context)


def test_executive_sees_only_the_final_snapshot_of_closed_campaigns(client, firm_a):
    campaign = campaign_with(firm_a, [("pmo", 6, 3)], name="Still open")
    live = build(firm_a, campaign, close=False)
    client.force_login(firm_a.executive)
    slug = firm_a.firm.slug
    portal = client.get(reverse("reports:portal", args=[slug, firm_a.client.pk]))
    assert b"No results yet" in portal.content
    assert (
        client.get(
            reverse("reports:portal_report", args=[slug, firm_a.client.pk, live.pk])
        ).status_code
        == 404
    )
    # After closing, two snapshots exist; only the newest is served, so none can be compared.
    first = build(firm_a, campaign)
    second = build(firm_a, campaign)
    for old in (live, first):
        for name in ("reports:portal_report", "reports:report_csv", "reports:report_pdf"):
            assert (
                client.get(reverse(name, args=[slug, firm_a.client.pk, old.pk])).status_code == 404
            )
    assert (
        client.get(
            reverse("reports:portal_report", args=[slug, firm_a.client.pk, second.pk])
        ).status_code
        == 200
    )
