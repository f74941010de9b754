"""Fault tests: real worker processes, a private Redis, SMTP sinks that misbehave."""

from django.db import connections


def _url(settings_dict: dict, user: str, password: str) -> str:
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings_dict['NAME']}"


def database_env() -> dict:
    """The test database for a worker process: the application role, and the operator role
    that `all_firms()` uses (the platform sweeps)."""
    from django.conf import settings

    app = settings.DATABASE_APP_CREDENTIALS
    operator = connections["operator"].settings_dict
    return {
        "DATABASE_URL": _url(connections["default"].settings_dict, app["USER"], app["PASSWORD"]),
        "DATABASE_OPERATOR_URL": _url(operator, operator["USER"], operator["PASSWORD"]),
    }
