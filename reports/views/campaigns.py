"""The consultant's side: a campaign's report page and "Rebuild now" (the firm's staff)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import firm_staff

from .. import selectors, services
from ..access import access_campaign_report
from ..models import ReportTrigger
from ..presenters import page_context


@firm_staff
def campaign_report(request, firm_slug, campaign_id):
    campaign = access_campaign_report(request.firm_access, campaign_id)
    report = selectors.latest_ready(firm=request.firm, campaign=campaign)
    context = {
        "campaign": campaign,
        "pending": selectors.pending(firm=request.firm, campaign=campaign),
        "failed": selectors.last_failed(firm=request.firm, campaign=campaign),
    }
    if report:
        context |= page_context(firm=request.firm, report=report)
    return render(request, "reports/report.html", context)


@require_POST
@firm_staff
def report_request(request, firm_slug, campaign_id):
    campaign = access_campaign_report(request.firm_access, campaign_id)
    services.report_request(
        firm=request.firm, campaign=campaign, trigger=ReportTrigger.REQUESTED, actor=request.user
    )
    messages.success(
        request, _("A fresh report is being built. This page shows it when it is ready.")
    )
    return redirect("reports:campaign_report", firm_slug=firm_slug, campaign_id=campaign.pk)
