"""The report's CSV download is streamed (web and API): the same bytes as the CSV built in one
piece, labels in the request's language although the lines are written after the view returned,
a refusal before the first byte, and a number of queries that does not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pmo_platform.tenancy import firm_context
from reports.exports import report_csv_text
from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db

# The CSV of this campaign, byte for byte as the download built it in memory before it was
# streamed.
GROUPS = [("leadership", 5, 5), ("team_member", 6, 2), ("pmo", 5, 3)]
EXPECTED = "".join(
    f"{line}\r\n"
    for line in (
        "section,group,measure,responses,score",
        "response,,response rate (%),16,100",
        "overall,,index,16,53.1",
        "dimension,,Pace-setter,16,53.1",
        "dimension,,Make-visible,16,53.1",
        "dimension,,Bridge-builder,16,53.1",
        "dimension,,Balance-master,16,53.1",
        "dimension,,Enabler,16,53.1",
        "dimension,,Strategic alignment and mandate,16,53.1",
        "department,Sales,overall,9,54.2",
        "department,IT,overall,7,51.8",
        "role_level,Team member,overall,6,37.5",
        "role_level,Leadership,overall,5,75.0",
        "role_level,PMO,overall,5,50.0",
        "sign,1,Agile work and projects are set against each other,16,50.0",
        "sign,2,Nobody has a shared picture of what is going on,16,53.1",
        "sign,3,Parts of the organisation move out of step,16,50.0",
        "sign,4,The PMO is seen as a brake rather than an enabler,16,52.1",
        "sign,5,Teams work in agile ways but are governed traditionally,16,56.2",
        "sign,6,Each department sets its own priorities,16,50.0",
        "sign,7,Plans are too big to get anything moving,16,56.2",
        "sign,8,Visions never become action,16,56.2",
        "sign,9,Efficiency and innovation are hard to combine,16,53.1",
    )
).encode()


def _csv_url(world, report):
    return reverse("reports:report_csv", args=[world.firm.slug, world.client.pk, report.pk])


def test_the_portal_csv_is_streamed_with_the_bytes_of_the_whole_file(client, firm_a):
    report = build(firm_a, campaign_with(firm_a, GROUPS))
    client.force_login(firm_a.executive)
    response = client.get(_csv_url(firm_a, report))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="report-{report.pk}.csv"'
    body = response.getvalue()
    assert body == EXPECTED
    with firm_context(firm_a.firm):  # the CSV in one piece (what the download was before)
        assert report_csv_text(firm=firm_a.firm, report=report).encode() == EXPECTED


def test_a_refused_csv_is_an_error_before_any_byte(client, firm_a, firm_b):
    report = build(firm_a, campaign_with(firm_a, GROUPS))
    client.force_login(firm_b.owner)
    response = client.get(_csv_url(firm_a, report))
    assert response.status_code == 404 and not response.streaming


def test_the_csv_takes_the_same_queries_for_more_groups_and_rows(client, firm_a):
    small = build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 5, 2)]))
    large = build(
        firm_a,
        campaign_with(
            firm_a,
            [("leadership", 6, 5), ("team_member", 9, 2), ("pmo", 7, 3), ("project_manager", 8, 4)],
        ),
    )
    client.force_login(firm_a.executive)
    counts, sizes = [], []
    for report in (small, large):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(_csv_url(firm_a, report)).getvalue()
        counts.append(len(queries.captured_queries))
        sizes.append(body.count(b"\r\n"))
    assert sizes[0] < sizes[1] and counts[0] == counts[1]
