"""The client executive's portal: a client's results, one report, and its PDF and CSV. Staff may
open it too (the "Executive view"). Executives see only their own non-archived client, and only
the final snapshot of each closed campaign (`reports.access`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.access import access_client_for_viewer
from accounts.permissions import firm_viewers
from pmo_platform.downloads import streamed_csv

from .. import exports, selectors
from ..access import access_portal_campaign, access_portal_report
from ..presenters import page_context


def _portal_page(request, *, client, reports, shown):
    """The portal page: the client's reports, with `shown` (one of them, if any) in full."""
    context = {"client": client, "reports": reports}
    if shown:
        context |= page_context(firm=request.firm, report=shown)
    return render(request, "reports/portal.html", context)


@firm_viewers
def portal(request, firm_slug, client_id):
    """A client's read-only results: for that client's executives and the firm's staff."""
    client = access_client_for_viewer(request.firm_access, client_id)
    reports = list(selectors.client_reports(firm=request.firm, client=client))
    return _portal_page(
        request, client=client, reports=reports, shown=reports[0] if reports else None
    )


@firm_viewers
def portal_report(request, firm_slug, client_id, report_id):
    client, report = access_portal_report(request.firm_access, client_id, report_id)
    reports = list(selectors.client_reports(firm=request.firm, client=client))
    return _portal_page(request, client=client, reports=reports, shown=report)


@firm_viewers
def portal_campaign(request, firm_slug, client_id, campaign_id):
    """A campaign's report as the client sees it now (the stable link of report-ready emails:
    a rebuild replaces the snapshot, not this page)."""
    client, report = access_portal_campaign(request.firm_access, client_id, campaign_id)
    reports = list(selectors.client_reports(firm=request.firm, client=client))
    return _portal_page(request, client=client, reports=reports, shown=report)


@firm_viewers
def report_pdf(request, firm_slug, client_id, report_id):
    """The report as a branded PDF: the same content and charts as the page."""
    client, report = access_portal_report(request.firm_access, client_id, report_id)
    pdf = exports.report_pdf(firm=request.firm, client=client, report=report, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.pdf"'
    return response


@firm_viewers
def report_csv(request, firm_slug, client_id, report_id):
    """The report's aggregates as CSV (never individual answers; hidden groups stay hidden)."""
    _client, report = access_portal_report(request.firm_access, client_id, report_id)
    lines = exports.report_csv_stream(firm=request.firm, report=report)
    return streamed_csv(lines, filename=f"report-{report.pk}.csv")
