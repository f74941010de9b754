"""A report as a file: the CSV of its aggregates and the PDF of its page. Both start from the
presenter's context, so they show exactly what the page shows (hidden groups stay hidden)."""

from __future__ import annotations

import base64
import csv
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.models import Branding, ClientOrganisation, Firm
from accounts.selectors import branding_for_firm

from . import selectors
from .models import Report
from .presenters import current_language, page_context, report_context


class _SafeWriter:
    """CSV cells that a spreadsheet would run as a formula get a leading apostrophe."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        self.writer.writerow(
            f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell
            for cell in row
        )


def report_csv(*, report: Report, context: dict) -> str:
    """The report's aggregates as CSV text (never individual answers). `context` is
    `presenters.report_context` of the report."""
    buffer = io.StringIO()
    writer = _SafeWriter(csv.writer(buffer))
    writer.writerow([_("section"), _("group"), _("measure"), _("responses"), _("score")])
    data = report.data
    writer.writerow(
        [
            _("response"),
            "",
            _("response rate (%)"),
            data["response"]["completed"],
            data["response"]["rate"],
        ]
    )
    if not context["suppressed"]:
        writer.writerow(
            [
                _("overall"),
                "",
                _("index"),
                data["overall"]["respondents"]["n"],
                data["overall"]["score"],
            ]
        )
        for d in context["dimensions"]:
            writer.writerow([_("dimension"), "", d["name"], d["n"], d["mean"]])
        for attribute, rows in context["segments"].items():
            for group in rows:
                writer.writerow(
                    [attribute, group["label"], _("overall"), group["n"], group["overall"]]
                )
        for sign in context["signs"]:
            writer.writerow([_("sign"), sign["number"], sign["title"], sign["n"], sign["mean"]])
    return buffer.getvalue()


def logo_data_uri(branding: Branding) -> str:
    """The firm's logo inline, for the PDF (which fetches nothing); "" without a logo."""
    if not branding.has_logo:
        return ""
    logo = selectors.branding_logo(branding=branding)
    return f"data:{branding.logo_content_type};base64,{base64.b64encode(logo).decode()}"


def pdf_from_html(html: str) -> bytes:
    """Render the PDF page. Everything it shows is inline (charts as SVG, the logo as a data
    URI): nothing is fetched."""
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def report_pdf(*, firm: Firm, client: ClientOrganisation, report: Report, request=None) -> bytes:
    """The report as a branded PDF in the active language: the same content and charts as the
    page (the portal's download and the API's)."""
    branding = branding_for_firm(firm=firm)
    context = report_context(report=report, branding=branding, language=current_language())
    context |= {
        "client": client,
        "branding": branding,
        "firm": firm,
        "logo_data_uri": logo_data_uri(branding),
    }
    return pdf_from_html(render_to_string("reports/pdf.html", context, request=request))


def report_csv_text(*, firm: Firm, report: Report) -> str:
    """The report's CSV in the active language (the portal's download and the API's)."""
    return report_csv(report=report, context=page_context(firm=firm, report=report))
