"""The API's one entry point into a firm (like FirmScopeMiddleware for pages): the bearer key
names its firm, the request runs inside `firm_context` for that firm (django-scopes and RLS),
counted against the key's rate limit, and writes may be made idempotent."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from pmo_platform.api.errors import problem_response
from pmo_platform.api.ratelimit import hit
from pmo_platform.tenancy import firm_context

from ..selectors import firm_by_id
from ..services.api_keys import split_key
from .context import current_api_key
from .idempotency import with_idempotency
from .keys import KeyRefused, key_for_secret

API_PREFIX = "/api/v1/"
# The schema and its readers are public: they describe the API, they hold no firm's data.
PUBLIC_PATHS = ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/")


def _refusal_messages() -> dict[str, str]:
    return {
        "not_authenticated": _("Send your API key as `Authorization: Bearer <key>`."),
        "invalid_key": _("This API key is not valid."),
        "key_revoked": _("This API key has been revoked. Create a new one in the firm's settings."),
        "key_expired": _("This API key has expired. Create a new one in the firm's settings."),
    }


def refuse(code: str):
    return problem_response(
        401, code, _refusal_messages()[code], headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )


def _rate_headers(response, verdict) -> None:
    response["RateLimit-Limit"] = str(verdict.limit)
    response["RateLimit-Remaining"] = str(verdict.remaining)
    response["RateLimit-Reset"] = str(verdict.reset_after)


class ApiKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not path.startswith(API_PREFIX) or path.startswith(PUBLIC_PATHS):
            return self.get_response(request)
        scheme, _space, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return refuse("not_authenticated")
        named = split_key(secret.strip())
        firm = firm_by_id(named[0]) if named else None
        if firm is None:
            return refuse("invalid_key")
        with firm_context(firm):
            try:
                key = key_for_secret(secret.strip(), named[1])
            except KeyRefused as refused:
                return refuse(refused.code)
            verdict = hit(
                f"key:{key.pk}", limit=settings.API_RATE_LIMIT, window=settings.API_RATE_WINDOW
            )
            if not verdict.allowed:
                response = problem_response(
                    429,
                    "rate_limited",
                    _("Too many requests with this key; try again in %(s)s seconds.")
                    % {"s": verdict.reset_after},
                    headers={"Retry-After": str(verdict.reset_after)},
                )
                _rate_headers(response, verdict)
                return response
            request.firm = firm
            request.api_key = key
            token = current_api_key.set(key)
            try:
                response = with_idempotency(request, key, self.get_response)
            finally:
                current_api_key.reset(token)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing half-written by a failed request
        _rate_headers(response, verdict)
        return response
