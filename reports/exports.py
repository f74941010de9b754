"""A report as a file: the CSV of its aggregates and the PDF of its page. Both start from the
presenter's context, so they show exactly what the page shows (hidden groups stay hidden)."""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterable, Iterator

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.models import Branding, ClientOrganisation, Firm
from accounts.selectors import branding_for_firm

from . import selectors
from .models import Report
from .presenters import current_language, page_context, report_context


def _safe(row) -> list:
    """CSV cells that a spreadsheet would run as a formula get a leading apostrophe."""
    return [
        f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell
        for cell in row
    ]


class _Line:
    """A file for `csv.writer` that hands back the line written instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[list]) -> Iterator[bytes]:
    """Each row as one UTF-8 CSV line, made when the response sends it: a stream holds one row
    at a time, whatever the number of rows."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow(_safe(row)).encode()


def report_csv_rows(*, report: Report, context: dict) -> Iterator[list]:
    """The rows of the report's CSV: its aggregates, never individual answers. `context` is
    `presenters.report_context` of the report. The labels are translated here, before the
    first row, in the language active now (a stream is sent after the view has returned)."""
    label = {
        "section": _("section"),
        "group": _("group"),
        "measure": _("measure"),
        "responses": _("responses"),
        "score": _("score"),
        "response": _("response"),
        "rate": _("response rate (%)"),
        "overall": _("overall"),
        "index": _("index"),
        "dimension": _("dimension"),
        "sign": _("sign"),
    }
    return _report_rows(report.data, context, label)


def _report_rows(data: dict, context: dict, label: dict) -> Iterator[list]:
    yield [label["section"], label["group"], label["measure"], label["responses"], label["score"]]
    response = data["response"]
    yield [label["response"], "", label["rate"], response["completed"], response["rate"]]
    if context["suppressed"]:
        return
    overall = data["overall"]
    yield [label["overall"], "", label["index"], overall["respondents"]["n"], overall["score"]]
    for d in context["dimensions"]:
        yield [label["dimension"], "", d["name"], d["n"], d["mean"]]
    for attribute, rows in context["segments"].items():
        for group in rows:
            yield [attribute, group["label"], label["overall"], group["n"], group["overall"]]
    for sign in context["signs"]:
        yield [label["sign"], sign["number"], sign["title"], sign["n"], sign["mean"]]


def report_csv(*, report: Report, context: dict) -> str:
    """The report's aggregates as CSV text (what the streamed download sends, in one piece)."""
    return b"".join(csv_lines(report_csv_rows(report=report, context=context))).decode()


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
    """The report's CSV in the active language, in one piece."""
    return report_csv(report=report, context=page_context(firm=firm, report=report))


def report_csv_stream(*, firm: Firm, report: Report) -> Iterator[bytes]:
    """The report's CSV in the active language as a stream of lines (the portal's download
    and the API's). Every query and every translation happens here, before the first line:
    what can fail does so while the view can still answer with an error."""
    rows = report_csv_rows(report=report, context=page_context(firm=firm, report=report))
    return csv_lines(rows)
