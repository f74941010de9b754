"""Web entry points: the firm scope for `/f/<firm_slug>/` URLs and the account's language."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import translation

from pmo_platform.tenancy import firm_context
from pmo_platform.two_factor import has_totp, redirect_to_totp_setup

from .selectors import enter_firm_by_slug, firm_access


class UserLanguageMiddleware:
    """Use the account's language when the visitor has not picked one with the switch."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class FirmScopeMiddleware:
    """For URLs with a `firm_slug`: check membership, then run the view inside `firm_context`.

    A firm that does not exist and a firm the user does not belong to give the same 404.
    Anonymous users are sent to the login page before the firm is even looked up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("firm_slug")
        if slug is None:
            return self.get_response(request)

        public = getattr(match.func, "firm_public", False)
        if not public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # One transaction for the request: the statement that finds the firm also enters it
        # for the RLS policies (one round trip), and the firm's scope joins that transaction.
        with transaction.atomic():
            firm = enter_firm_by_slug(slug)
            if firm is None:
                unknown = getattr(match.func, "on_unknown_firm", None) if public else None
                if unknown is not None:
                    return unknown(request)
                raise Http404
            return self._in_firm(request, firm, public)

    def _in_firm(self, request, firm, public):
        with firm_context(firm, rls_set=True):
            access = firm_access(user=request.user, firm=firm)
            if not public and not access.can_enter:
                raise Http404
            # A firm that requires two-factor authentication: members set it up first.
            needs_totp = not public and firm.require_two_factor and access.is_member
            if needs_totp and not has_totp(request.user):
                return redirect_to_totp_setup(request)
            request.firm = firm
            request.firm_access = access
            return self.get_response(request)
