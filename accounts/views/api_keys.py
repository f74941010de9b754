"""API keys of the firm, for owners and admins: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pmo_platform.forms import add_service_errors

from .. import selectors, services
from ..access import access_api_key
from ..api.scopes import SCOPES
from ..forms import ApiKeyForm
from ..permissions import firm_managers


@never_cache
@firm_managers
def api_keys(request, firm_slug):
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key, secret = services.api_key_create(
                    firm=request.firm, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # The one and only time the secret is shown: rendered here, never stored.
                return render(
                    request, "accounts/api_key_created.html", {"key": key, "secret": secret}
                )
        status = 400
    context = {
        "form": form,
        "keys": selectors.api_keys_list(firm=request.firm),
        "scopes": SCOPES,
    }
    return render(request, "accounts/api_keys.html", context, status=status)


@require_POST
@firm_managers
def api_key_revoke(request, firm_slug, key_id):
    key = access_api_key(request.firm_access, key_id)
    services.api_key_revoke(firm=request.firm, actor=request.user, key=key)
    messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": key.prefix})
    return redirect("accounts:api_keys", firm_slug=firm_slug)
