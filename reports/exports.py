"""A report as a file: the CSV of its aggregates and the PDF of its page. Both start from the
presenter's context, so they show exactly what the page shows (hidden groups stay hidden)."""

from __future__ import annotations

import base64
import csv
import io

from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.models import Branding

from . import selectors
from .models import Report


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
