"""The campaign page's CSV import of respondents: the upload (checked cheaply, then queued for
a worker: services/respondent_imports.py) and the progress the page polls."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import firm_staff
from pmo_platform.forms import add_service_errors

from .. import services
from ..access import access_campaign, access_respondent_import
from ..forms import RespondentCsvForm
from .campaigns import _detail_context


@require_POST
@firm_staff
def respondents_import(request, firm_slug, campaign_id):
    campaign = access_campaign(request.firm_access, campaign_id)
    form = RespondentCsvForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.respondent_import_start(
                firm=request.firm,
                actor=request.user,
                campaign=campaign,
                file_name=form.file_name,
                content=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(
                "assessments:campaign_detail", firm_slug=firm_slug, campaign_id=campaign.pk
            )
    return render(
        request,
        "assessments/campaign_detail.html",
        _detail_context(request, campaign, csv_form=form),
        status=400,
    )


@firm_staff
def import_status(request, firm_slug, campaign_id, import_id):
    """One import's progress (polled by static/js/respondent-import.js)."""
    campaign = access_campaign(request.firm_access, campaign_id)
    job = access_respondent_import(request.firm_access, campaign, import_id)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "running": job.is_running,
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "problems_total": job.problems_total,
        }
    )
