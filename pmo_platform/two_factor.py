"""Two-factor authentication (allauth MFA, TOTP) that the platform requires.

Platform operators (staff) must have an authenticator app before the Django admin works, and the
admin's own password-only login form is replaced by allauth's login, which asks for the code.
Firms can require the same of all their members (`accounts.middleware.FirmScopeMiddleware` asks
`has_totp`)."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse


def has_totp(user) -> bool:
    return (
        user.is_authenticated
        and Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


def redirect_to_totp_setup(request):
    """Send the user to set up an authenticator app (allauth asks for the password again, then
    shows the recovery codes; the firm's pages open from then on)."""
    return redirect("mfa_activate_totp")


class OperatorTwoFactorMiddleware:
    """The admin: staff log in through allauth (password, then the code) and must have TOTP."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL_PATH.strip("/") + "/"

    def __call__(self, request):
        path = request.path_info
        if path.startswith(self.prefix):
            user = request.user
            if path == f"{self.prefix}login/":
                if user.is_authenticated:
                    # Staff go on to the admin; anyone else has no admin (and no login loop).
                    if user.is_staff:
                        return redirect(self.prefix)
                    raise Http404
                query = urlencode({"next": request.GET.get("next") or self.prefix})
                return redirect(f"{reverse('account_login')}?{query}")
            if user.is_authenticated and user.is_staff and not has_totp(user):
                return redirect_to_totp_setup(request)
        return self.get_response(request)
