"""Where the services are: one place for the connection URLs and their local defaults.

Standard library only, so the setup scripts in `bin/` can use it before the dependencies are
installed (`sys.path` holds the project root there). Settings, `bin/` and `bench/` all read the
URLs from here; the defaults match `.env.example` and a local PostgreSQL and Redis.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "DATABASE_URL": "postgres://pmo_app:pmo_app@127.0.0.1:5432/pmo",
    "DATABASE_OWNER_URL": "postgres://pmo_owner:pmo_owner@127.0.0.1:5432/pmo",
    "DATABASE_OPERATOR_URL": "postgres://pmo_operator:pmo_operator@127.0.0.1:5432/pmo",
    "DATABASE_ADMIN_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def service_url(name: str) -> str:
    """The environment's value for `name` (an empty value means the default)."""
    return os.environ.get(name) or DEFAULTS[name]
