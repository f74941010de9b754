"""Pages of the signed-in person, outside any firm: the landing page and workspace list, the
language switch and the account settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..models import Language


def home(request):
    """The landing page, or the list of places a logged-in person can go."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    workspaces = selectors.workspaces_for_user(request.user)
    if len(workspaces) == 1:
        return redirect(workspace_url(workspaces[0]))
    return render(
        request,
        "accounts/workspaces.html",
        {"workspaces": [(w, workspace_url(w)) for w in workspaces]},
    )


def workspace_url(workspace) -> str:
    if workspace.client is not None:
        return reverse(
            "reports:portal",
            kwargs={"firm_slug": workspace.firm.slug, "client_id": workspace.client.pk},
        )
    return reverse("accounts:dashboard", kwargs={"firm_slug": workspace.firm.slug})


@require_POST
def set_language(request):
    """Switch the interface language and remember it on the account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in Language.values and check_for_language(language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SECURE_COOKIES,
        )
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)
    return response


@login_required
def account_settings(request):
    return render(request, "accounts/account_settings.html")
