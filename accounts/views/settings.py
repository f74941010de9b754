"""Firm settings for owners and admins: branding, security, email sending and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pmo_platform.forms import add_service_errors

from .. import selectors, services
from ..forms import BrandingForm, EmailRateForm, TwoFactorPolicyForm
from ..permissions import firm_managers


@firm_managers
def branding(request, firm_slug):
    current = selectors.branding_for_firm(firm=request.firm)
    initial = {
        "sender_name": current.sender_name,
        "reply_to": current.reply_to,
        "primary_color": current.primary_color,
        "accent_color": current.accent_color,
        "email_footer": current.email_footer,
        "default_language": current.default_language,
    }
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.branding_update(firm=request.firm, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Branding saved."))
                return redirect("accounts:branding", firm_slug=firm_slug)
        status = 400
    return render(
        request, "accounts/branding.html", {"form": form, "current": current}, status=status
    )


def _settings_page(request, form, save, *, success: str, url_name: str, template: str, **extra):
    """A settings form of the firm saved by one service call (`save(cleaned_data)`): the
    service's errors on the form and a 400, or the success message and back to the page."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, success)
                return redirect(url_name, firm_slug=request.firm.slug)
        status = 400
    return render(request, template, {"form": form, **extra}, status=status)


@firm_managers
def security(request, firm_slug):
    """Whether the firm requires two-factor authentication of all its members (audited)."""
    form = TwoFactorPolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"require_two_factor": request.firm.require_two_factor},
    )
    return _settings_page(
        request,
        form,
        lambda data: services.firm_set_two_factor_required(
            firm=request.firm, actor=request.user, required=data["require_two_factor"]
        ),
        success=_("Security settings saved."),
        url_name="accounts:security",
        template="accounts/security.html",
    )


@firm_managers
def email_sending(request, firm_slug):
    """The firm's campaign-email send rate (audited)."""
    form = EmailRateForm(
        request.POST if request.method == "POST" else None,
        initial={"email_rate_per_minute": request.firm.email_rate_per_minute},
    )
    return _settings_page(
        request,
        form,
        lambda data: services.firm_set_email_rate(
            firm=request.firm, actor=request.user, per_minute=data["email_rate_per_minute"]
        ),
        success=_("Email settings saved."),
        url_name="accounts:email_sending",
        template="accounts/email_sending.html",
        default_rate=settings.PMO_EMAIL_RATE_PER_MINUTE,
    )


@firm_managers
def audit_trail(request, firm_slug):
    return render(
        request, "accounts/audit.html", {"entries": selectors.audit_entries(firm=request.firm)}
    )
