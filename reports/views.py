"""Report pages: the consultant's campaign report and the client executive's portal."""

from __future__ import annotations

import base64
import csv
import io

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.models import ClientOrganisation
from accounts.permissions import firm_managers, firm_staff
from accounts.selectors import branding_for_firm
from assessments.selectors import campaign_get

from . import selectors, services
from .models import ReportTrigger
from .presenters import report_context


def _language():
    return (get_language() or "en")[:2]


def _campaign_or_404(request, campaign_id):
    campaign = campaign_get(firm=request.firm, pk=campaign_id)
    if campaign is None:
        raise Http404
    return campaign


class ReportSettingsForm(forms.Form):
    min_group_size = forms.IntegerField(
        label=gettext_lazy("Minimum group size"),
        min_value=3,
        max_value=50,
        help_text=gettext_lazy(
            "Groups with fewer responses are never shown, in any view or export."
        ),
    )
    contribute_to_benchmarks = forms.BooleanField(
        label=gettext_lazy("Contribute anonymised scores to cross-firm benchmarks"),
        required=False,
        help_text=gettext_lazy(
            "Only industry, size and scores are shared; never names. You then see "
            "benchmarks contributed by other firms too."
        ),
    )


@firm_managers
def report_settings(request, firm_slug):
    current = services.report_settings(firm=request.firm)
    form = ReportSettingsForm(
        request.POST or None,
        initial={
            "min_group_size": current.min_group_size,
            "contribute_to_benchmarks": current.contribute_to_benchmarks,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.report_settings_update(firm=request.firm, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Report settings saved."))
        return redirect("reports:settings", firm_slug=firm_slug)
    return render(
        request,
        "reports/settings.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@firm_staff
def campaign_report(request, firm_slug, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    report = selectors.latest_ready(firm=request.firm, campaign=campaign)
    context = {
        "campaign": campaign,
        "pending": selectors.pending(firm=request.firm, campaign=campaign),
        "failed": selectors.last_failed(firm=request.firm, campaign=campaign),
    }
    if report is not None:
        context |= report_context(
            report=report, branding=branding_for_firm(firm=request.firm), language=_language()
        )
    return render(request, "reports/report.html", context)


@require_POST
@firm_staff
def report_request(request, firm_slug, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    services.report_request(
        firm=request.firm, campaign=campaign, trigger=ReportTrigger.REQUESTED, actor=request.user
    )
    messages.success(
        request, _("A fresh report is being built. This page shows it when it is ready.")
    )
    return redirect("reports:campaign_report", firm_slug=firm_slug, campaign_id=campaign.pk)


def _client_for_viewer(request, client_id):
    if not request.firm_access.can_view_client(client_id):
        raise Http404
    client = ClientOrganisation.objects.filter(pk=client_id).first()
    if client is None or (client.is_archived and not request.firm_access.is_member):
        raise Http404
    return client


def portal(request, firm_slug, client_id):
    """A client's read-only results: for that client's executives and the firm's staff."""
    client = _client_for_viewer(request, client_id)
    reports = list(selectors.client_reports(firm=request.firm, client=client))
    context = {"client": client, "reports": reports}
    if reports:
        context |= report_context(
            report=reports[0], branding=branding_for_firm(firm=request.firm), language=_language()
        )
    return render(request, "reports/portal.html", context)


def portal_report(request, firm_slug, client_id, report_id):
    client = _client_for_viewer(request, client_id)
    report = selectors.report_for_client(firm=request.firm, client=client, pk=report_id)
    if report is None:
        raise Http404
    context = {
        "client": client,
        "reports": list(selectors.client_reports(firm=request.firm, client=client)),
    }
    context |= report_context(
        report=report, branding=branding_for_firm(firm=request.firm), language=_language()
    )
    return render(request, "reports/portal.html", context)


def report_pdf(request, firm_slug, client_id, report_id):
    """The report as a branded PDF: the same content and charts as the page."""
    client = _client_for_viewer(request, client_id)
    report = selectors.report_for_client(firm=request.firm, client=client, pk=report_id)
    if report is None:
        raise Http404
    branding = branding_for_firm(firm=request.firm)
    context = report_context(report=report, branding=branding, language=_language())
    context |= {
        "client": client,
        "branding": branding,
        "firm": request.firm,
        "logo_data_uri": _logo_data_uri(branding),
    }
    html = render_to_string("reports/pdf.html", context, request=request)
    # Everything the PDF shows is inline (charts as SVG, the logo as a data URI): no fetching.
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.pdf"'
    return response


def _logo_data_uri(branding) -> str:
    if not branding.has_logo:
        return ""
    from accounts.models import Branding

    logo = Branding.objects.filter(pk=branding.pk).values_list("logo", flat=True).first()
    return f"data:{branding.logo_content_type};base64,{base64.b64encode(bytes(logo)).decode()}"


class _SafeWriter:
    """CSV cells that a spreadsheet would run as a formula get a leading apostrophe."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        self.writer.writerow(
            f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell
            for cell in row
        )


def report_csv(request, firm_slug, client_id, report_id):
    """The report's aggregates as CSV (never individual answers; hidden groups stay hidden)."""
    client = _client_for_viewer(request, client_id)
    report = selectors.report_for_client(firm=request.firm, client=client, pk=report_id)
    if report is None:
        raise Http404
    context = report_context(
        report=report, branding=branding_for_firm(firm=request.firm), language=_language()
    )
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
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.csv"'
    return response
