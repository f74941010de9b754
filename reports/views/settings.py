"""The firm's report settings (owners and admins)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import firm_managers

from .. import selectors, services
from ..forms import ReportSettingsForm


@firm_managers
def report_settings(request, firm_slug):
    current = selectors.report_settings(firm=request.firm)
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
