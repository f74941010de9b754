import logging

from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

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
    try:
        from django.core.cache import cache

        cache.set("health", "ok", 5)
        checks["redis"] = "ok"
    except Exception as exc:
        logger.warning("health: redis unavailable: %s", exc)
        checks["redis"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
