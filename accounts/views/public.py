"""Every `@firm_public` page of accounts: reachable under /f/<firm_slug>/ without a membership.
The firm scope is entered; the digest or the invitation token is the credential."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from pmo_platform.forms import add_service_errors
from pmo_platform.tenancy import firm_public
from pmo_platform.views import link_invalid

from .. import selectors, services
from ..access import UnusableInvitation, access_invitation_link, access_logo
from ..forms import AcceptInvitationForm


@firm_public
@cache_control(public=True, max_age=31536000, immutable=True)
def logo(request, firm_slug, digest):
    """The firm's logo, public because emails and respondent pages show it."""
    current = access_logo(request.firm, digest)
    response = HttpResponse(bytes(current.logo), content_type=current.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _unknown_invitation(request):
    return link_invalid(request, kind="invitation")


@firm_public
def invitation_open(request, firm_slug, token):
    try:
        invitation = access_invitation_link(request.firm, token)
    except UnusableInvitation as problem:
        if problem.invitation is None:
            return _unknown_invitation(request)
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": problem.reason, "invitation": problem.invitation},
            status=problem.status,
        )

    user = request.user
    context = {"invitation": invitation}
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            context["wrong_account"] = True
            return render(request, "accounts/invitation_accept.html", context, status=403)
        if request.method == "POST":
            return _accept(request, invitation, user)
        return render(request, "accounts/invitation_accept.html", context)

    if selectors.user_exists(email=invitation.email):
        context["login_url"] = reverse("account_login") + "?next=" + request.path
        return render(request, "accounts/invitation_accept.html", context)

    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.user_create_for_invitation(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _accept(request, invitation, new_user, log_in=True)
    context["form"] = form
    return render(
        request,
        "accounts/invitation_accept.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


invitation_open.on_unknown_firm = _unknown_invitation


def _accept(request, invitation, user, log_in=False):
    try:
        services.invitation_accept(firm=request.firm, invitation=invitation, user=user)
    except ValidationError as exc:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": "error", "message": " ".join(exc.messages), "invitation": invitation},
            status=409,
        )
    if log_in:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome to %(firm)s.") % {"firm": request.firm.name})
    if invitation.client_id:
        return redirect(
            "reports:portal", firm_slug=request.firm.slug, client_id=invitation.client_id
        )
    return redirect("accounts:dashboard", firm_slug=request.firm.slug)
