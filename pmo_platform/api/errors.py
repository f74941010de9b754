"""One error format for the whole API: RFC 9457 problem details (`application/problem+json`).

    {"type": "urn:pmo:problem:validation_error", "title": "...", "status": 400,
     "detail": "...", "code": "validation_error",
     "errors": [{"field": "rows.3.email", "code": "invalid", "detail": "..."}]}

`code` (and each field error's `code`) is stable; `title` and `detail` are for people and follow
the request's language. Services' Django `ValidationError`s, DRF's exceptions, 404s from access
helpers and the middleware's own refusals (401, 429) all come out in this shape."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "urn:pmo:problem:"
CONTENT_TYPE = "application/problem+json"


def _titles() -> dict[int, str]:
    return {
        400: _("Invalid request"),
        401: _("Not authenticated"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        413: _("Request body too large"),
        415: _("Unsupported media type"),
        422: _("Unprocessable request"),
        429: _("Too many requests"),
        500: _("Server error"),
        503: _("Service unavailable"),
    }


def problem(status_code: int, code: str, detail: str = "", **extra) -> dict:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": _titles().get(status_code, _("Error")),
        "status": status_code,
        "detail": detail or _titles().get(status_code, ""),
        "code": code,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, code: str, detail: str = "", headers=None, **extra):
    """A plain Django response, for code outside DRF views (middleware, 404 and 500 handlers)."""
    response = JsonResponse(
        problem(status_code, code, detail, **extra),
        status=status_code,
        content_type=CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _flatten_drf(detail, path: str = "") -> list[dict]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            errors += _flatten_drf(value, f"{path}.{name}" if path and name else (name or path))
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [_error(path, item) for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors += _flatten_drf(item, f"{path}.{index}" if path else str(index))
        return errors
    return [_error(path, detail)]


def _error(field: str, item) -> dict:
    code = getattr(item, "code", None) or "invalid"
    return {"field": field, "code": str(code), "detail": str(item)}


def django_errors(error: DjangoValidationError, prefix: str = "") -> list[dict]:
    """A service's `ValidationError` as field errors (codes kept)."""

    def join(name):
        return f"{prefix}.{name}" if prefix and name else (name or prefix)

    if hasattr(error, "error_dict"):
        return [
            {
                "field": join("" if name == "__all__" else name),
                "code": e.code or "invalid",
                "detail": " ".join(e.messages),
            }
            for name, items in error.error_dict.items()
            for e in items
        ]
    return [
        {"field": prefix, "code": e.code or "invalid", "detail": " ".join(e.messages)}
        for e in error.error_list
    ]


def validation_problem(errors: list[dict], status_code: int = 400, code: str = "validation_error"):
    return Response(
        problem(status_code, code, _("The request has errors; see `errors`."), errors=errors),
        status=status_code,
        content_type=CONTENT_TYPE,
    )


def exception_handler(exc, context):
    """DRF's `EXCEPTION_HANDLER`: every error a view raises, as problem details."""
    if isinstance(exc, DjangoValidationError):
        return validation_problem(django_errors(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers (handler500 below, still JSON)
    headers = {}
    if isinstance(exc, exceptions.ValidationError):
        return validation_problem(_flatten_drf(exc.detail))
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    detail = exc.detail if isinstance(exc.detail, str) else ""
    code = getattr(exc.detail, "code", None) or exc.default_code
    extra = getattr(exc, "problem_extra", {})
    response = Response(
        problem(exc.status_code, str(code), str(detail), **extra),
        status=exc.status_code,
        headers=headers,
        content_type=CONTENT_TYPE,
    )
    return response


class StateConflict(exceptions.APIException):
    """A service refused because of an object's state, not the request's content."""

    status_code = 409
    default_code = "conflict"


@contextmanager
def state_conflicts(codes: frozenset):
    """Run a service call; its state refusals (a non-field ValidationError whose code is in
    `codes`) become a 409 problem with that code. Field errors stay 400s."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict") and exc.error_list:
            error = exc.error_list[0]
            if error.code in codes:
                raise StateConflict(" ".join(exc.messages), code=str(error.code)) from None
        raise


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def api_bad_request(request, *, too_large: bool):
    if too_large:
        return problem_response(413, "body_too_large")
    return problem_response(400, "bad_request")


def api_not_found(request):
    return problem_response(status.HTTP_404_NOT_FOUND, "not_found")


def api_server_error(request):
    return problem_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error")


def api_service_unavailable(request, *, retry_after: int):
    """The database could not be reached (an outage, a failover): try again shortly."""
    return problem_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "service_unavailable",
        headers={"Retry-After": str(retry_after)},
    )
