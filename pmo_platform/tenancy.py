"""Tenant isolation: the firm is the tenant, and two walls keep firms apart.

Wall 1 (ORM): tenant-owned models use django-scopes managers, so any query outside a firm scope
raises `ScopeError`, and inside one is filtered to that firm.

Wall 2 (PostgreSQL): every tenant-owned table has row-level security enabled and forced, with a
policy on the transaction-local settings below. The application role is neither superuser nor
table owner and has no BYPASSRLS, so a query that escapes wall 1 still sees only the current firm.

Every entry point enters both walls at once through `firm_context`: web requests
(`accounts.middleware.FirmScopeMiddleware`, after a membership check), Celery tasks
(`pmo_platform.tasks.FirmTask`), webhooks and management commands. This layer knows no app: it
takes a firm object and never looks one up. See docs/tenancy.md.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django_scopes import scope, scopes_disabled

# Transaction-local PostgreSQL settings read by the RLS policies (see pmo_platform/db.py).
RLS_FIRM = "pmo.firm_id"
RLS_USER = "pmo.user_id"
RLS_ALL_FIRMS = "pmo.all_firms"

_current: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "pmo_rls", default=None
)


def _set_rls(name: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@contextmanager
def _rls(name: str, value: str, *, outermost: bool):
    """Set one RLS setting for the current transaction, restoring the outer value on exit
    (unless the transaction is ours alone and ends right after)."""
    outer = _current.get() or {}
    previous = outer.get(name, "")
    _set_rls(name, value)
    token = _current.set({**outer, name: value})
    try:
        yield
    finally:
        _current.reset(token)
    # Only reached on success: on an exception the savepoint rollback restores the setting.
    if not outermost and previous != value and not connection.needs_rollback:
        _set_rls(name, previous)


@contextmanager
def firm_context(firm):
    """Run the block inside one transaction scoped to `firm` on both walls."""
    if firm is None or getattr(firm, "pk", None) is None:
        raise ValueError("firm_context needs a saved firm")
    outermost = not connection.in_atomic_block
    with transaction.atomic(), _rls(RLS_FIRM, str(firm.pk), outermost=outermost), scope(firm=firm):
        yield firm


@contextmanager
def user_context(user):
    """Let the block read the user's own membership rows across firms (and nothing else)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(), _rls(RLS_USER, str(user.pk), outermost=outermost), scopes_disabled():
        yield


@contextmanager
def all_firms():
    """Platform-operator access across firms: the Django admin and platform-wide jobs only."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(), _rls(RLS_ALL_FIRMS, "on", outermost=outermost), scopes_disabled():
        yield


def firm_public(view):
    """Mark a view under /f/<firm_slug>/ as reachable without a membership (token or public
    pages). The firm scope is still entered; the view does its own access check.

    A view may carry `on_unknown_firm(request)`: the response for a firm slug that does not
    exist, which should be the one it gives for an unknown token under a real firm (so a slug
    cannot be probed through it). Without it a missing firm is a plain 404."""
    view.firm_public = True
    return view


class OperatorAdminMiddleware:
    """Platform operators (staff users) see every firm in the Django admin, and only there."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL_PATH.strip("/") + "/"

    def __call__(self, request):
        user = request.user
        if (
            request.path_info.startswith(self.prefix)
            and user.is_authenticated
            and user.is_active
            and user.is_staff
        ):
            with all_firms():
                return self.get_response(request)
        return self.get_response(request)
