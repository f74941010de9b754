import logging
import sys

import redis
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .api.errors import (
    api_bad_request,
    api_not_found,
    api_server_error,
    api_service_unavailable,
    is_api_path,
)

logger = logging.getLogger(__name__)


@never_cache
@transaction.non_atomic_requests
def health(request):
    """Liveness and readiness for load balancers: the database and Redis must answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("health: database unavailable: %s", exc)
        checks["database"] = "unavailable"
    for name, url in (("redis", settings.REDIS_URL), ("broker", settings.CELERY_BROKER_URL)):
        if name == "broker" and url == settings.REDIS_URL:
            continue
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            client.close()
            checks[name] = "ok"
        except Exception as exc:
            logger.warning("health: %s unavailable: %s", name, exc)
            checks[name] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


# The page chrome without a firm: a 404 under /f/<slug>/ of a public page (a logo digest that
# is not the current one) must not show the firm's name and colours, or it would tell a probe
# that the slug exists.
NO_FIRM = {"firm": None, "branding": None, "firm_access": None}


def bad_request(request, exception=None):
    """A request Django refuses before any view runs: a form body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files, a malformed body (a friendly page,
    never a 500)."""
    too_large = isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent)
    if is_api_path(request.path_info):
        return api_bad_request(request, too_large=too_large)
    return render(request, "400.html", NO_FIRM | {"too_large": too_large}, status=400)


def not_found(request, exception=None):
    if is_api_path(request.path_info):
        return api_not_found(request)
    return render(request, "404.html", NO_FIRM, status=404)


# Seconds a client is asked to wait (Retry-After) when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """An uncaught exception (Django calls this inside its `except`). The database unreachable or
    the connection lost (an outage, a failover, a statement cancelled) is a 503 with Retry-After,
    not a 500: nothing is half-written (a request's writes are one transaction) and trying again
    shortly is the right advice. Both pages need neither the database nor a translation."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        if is_api_path(request.path_info):
            return api_service_unavailable(request, retry_after=RETRY_AFTER_SECONDS)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if is_api_path(request.path_info):
        return api_server_error(request)
    return render(request, "500.html", status=500)


def link_invalid(request, *, kind: str = "link"):
    """The neutral "this link is not valid" page for an unknown token (`kind` "link" or
    "invitation"). It names no firm and shows no branding, and the firm middleware shows the
    same page for a firm slug that does not exist, so a probe cannot tell whether a firm is
    there (`firm_public` views name it with `on_unknown_firm`)."""
    return render(
        request,
        "link_invalid.html",
        {**NO_FIRM, "kind": kind, "reason": "unknown"},
        status=404,
    )


def link_invalid_json(request):
    """The JSON twin of `link_invalid`."""
    return JsonResponse({"error": "not found"}, status=404)
