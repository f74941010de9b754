"""The firm's privacy pages (owners and admins): find everything held about one person by email,
download it as JSON, erase it (after a confirmation page), and the retention setting.

The email travels in POST bodies only, never in a URL, so it stays out of access logs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import firm_managers
from pmo_platform.forms import add_service_errors, service_error_message

from .. import selectors, services
from ..forms import PersonEmailForm, PrivacySettingsForm


def _privacy_page(request, form, summary=None, status=200):
    return render(
        request,
        "assessments/privacy.html",
        {
            "form": form,
            "summary": summary,
            "settings": selectors.privacy_settings(firm=request.firm),
        },
        status=status,
    )


@firm_managers
def privacy(request, firm_slug):
    """Search by email (a POST: the address stays out of URLs), then the summary."""
    form = PersonEmailForm(request.POST or None)
    if request.method != "POST":
        return _privacy_page(request, form)
    if not form.is_valid():
        return _privacy_page(request, form, status=400)
    summary = selectors.person_summary(firm=request.firm, email=form.cleaned_data["email"])
    return _privacy_page(request, form, summary)


@require_POST
@firm_managers
def privacy_export(request, firm_slug):
    form = PersonEmailForm(request.POST)
    if not form.is_valid():
        return _privacy_page(request, form, status=400)
    data = services.person_export(
        firm=request.firm, actor=request.user, email=form.cleaned_data["email"]
    )
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.json"'
    return response


@require_POST
@firm_managers
def privacy_erase(request, firm_slug):
    """First POST (from the summary): the confirmation page. Second POST, with `confirm`: erase."""
    form = PersonEmailForm(request.POST)
    if not form.is_valid():
        return _privacy_page(request, form, status=400)
    email = form.cleaned_data["email"]
    if request.POST.get("confirm") != "yes":
        summary = selectors.person_summary(firm=request.firm, email=email)
        return render(request, "assessments/privacy_erase.html", {"form": form, "summary": summary})
    try:
        counts = services.person_erase(firm=request.firm, actor=request.user, email=email)
    except ValidationError as exc:
        service_error_message(request, exc)
    else:
        messages.success(
            request,
            _(
                "Erased: %(respondents)s records in %(campaigns)s campaigns. %(answers)s "
                "anonymous answers were kept for reports already shown."
            )
            % {
                "respondents": counts["respondents"],
                "campaigns": counts["campaigns"],
                "answers": counts["answers_kept"],
            },
        )
    return redirect("assessments:privacy", firm_slug=firm_slug)


@firm_managers
def privacy_settings(request, firm_slug):
    current = selectors.privacy_settings(firm=request.firm)
    form = PrivacySettingsForm(
        request.POST or None, initial={"retention_months": current.retention_months}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.privacy_settings_update(
                    firm=request.firm, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Privacy settings saved."))
                return redirect("assessments:privacy", firm_slug=firm_slug)
        status = 400
    return render(request, "assessments/privacy_settings.html", {"form": form}, status=status)
