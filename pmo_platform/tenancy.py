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
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django_scopes import scope, scopes_disabled

# Transaction-local PostgreSQL settings read by the RLS policies (see pmo_platform/db.py).
RLS_FIRM = "pmo.firm_id"
RLS_USER = "pmo.user_id"
RLS_ALL_FIRMS = "pmo.all_firms"

_current: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "pmo_rls", default=None
)
# The database alias of the operator role (BYPASSRLS; settings.DATABASES["operator"]), and
# whether the ORM is routed to it (inside `all_firms()`, see OperatorRouter).
OPERATOR_DB = "operator"
_operator: contextvars.ContextVar[bool] = contextvars.ContextVar("pmo_operator", default=False)


# Clears session-level values (set_config(..., false) or SET without LOCAL, or a role default) so
# a connection handed to a new request or task starts with no firm, no user and no bypass.
RESET_SQL = (
    f"SELECT set_config('{RLS_FIRM}', '', false), set_config('{RLS_USER}', '', false), "
    f"set_config('{RLS_ALL_FIRMS}', '', false)"
)


def reset_connection(conn) -> None:
    """Clear the tenant settings at session level on one open connection, unless it is inside a
    transaction (an entry point never is; a test case is, and rolls back instead).

    The reset is also the connection's health check (CONN_HEALTH_CHECKS): it runs on the driver's
    connection as Django's `is_usable()` does, so a reused connection takes one round trip at the
    start of a request or task, not Django's `SELECT 1` and then the reset. A connection that
    fails it is closed; the next query opens a new one, which `connection_created` resets."""
    if conn.vendor != "postgresql" or conn.connection is None or conn.in_atomic_block:
        return
    try:
        _reset(conn.connection)
    except conn.Database.Error:
        conn.close()
        return
    conn.health_check_done = True


def _reset(driver_connection) -> None:
    with driver_connection.cursor() as cursor:
        cursor.execute(RESET_SQL)


def reset_connections(**kwargs) -> None:
    """request_started and task_prerun: hand out every open connection with clean settings."""
    for conn in connections.all(initialized_only=True):
        reset_connection(conn)


def reset_new_connection(sender, connection, **kwargs) -> None:
    """connection_created: a role-level default (ALTER ROLE ... SET pmo.*) is cleared too. A
    failure here is the connect's own (Django's `ensure_connection` wraps it as a database
    error), not a stale connection to drop."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _reset(connection.connection)


# A select-list expression that sets the firm for the current transaction from a column of the
# statement that finds the firm, so an entry point finds and enters it in one round trip
# (`accounts.selectors.enter_firm_by_slug`, then `firm_context(firm, rls_set=True)`).
RLS_SET_FIRM = f"set_config('{RLS_FIRM}', {{column}}::text, true)"


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
def _rls_set_by_caller(name: str, value: str):
    """The setting was set by the caller's own statement in this transaction, which ends with
    the block: noted for nested scopes, neither set again nor restored."""
    token = _current.set({**(_current.get() or {}), name: value})
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def _routed(to_operator: bool):
    token = _operator.set(to_operator)
    try:
        yield
    finally:
        _operator.reset(token)


@contextmanager
def firm_context(firm, *, rls_set: bool = False):
    """Run the block inside one transaction scoped to `firm` on both walls.

    `rls_set`: the caller opened the transaction, set the firm in it with its own statement
    (`RLS_SET_FIRM`) and ends it right after the block; the block joins that transaction (no
    savepoint) and the setting is taken as it is."""
    if firm is None or getattr(firm, "pk", None) is None:
        raise ValueError("firm_context needs a saved firm")
    outermost = not connection.in_atomic_block
    if rls_set:
        if outermost:
            raise ValueError("rls_set needs the caller's transaction")
        setting = _rls_set_by_caller(RLS_FIRM, str(firm.pk))
    else:
        setting = _rls(RLS_FIRM, str(firm.pk), outermost=outermost)
    with (
        _routed(False),  # as the application role, even inside all_firms()
        transaction.atomic(savepoint=not rls_set),
        setting,
        scope(firm=firm),
    ):
        yield firm


@contextmanager
def user_context(user):
    """Let the block read the user's own membership rows across firms (and nothing else)."""
    outermost = not connection.in_atomic_block
    with (
        _routed(False),
        transaction.atomic(),
        _rls(RLS_USER, str(user.pk), outermost=outermost),
        scopes_disabled(),
    ):
        yield


@contextmanager
def all_firms():
    """Platform-operator access across firms: the Django admin and platform-wide jobs only.

    The block's ORM queries go to the operator role's connection (`OperatorRouter`), inside one
    transaction on it. The application role has no bypass of its own: no setting it can flip
    makes it see every firm."""
    with _routed(True), transaction.atomic(using=OPERATOR_DB), scopes_disabled():
        yield


class OperatorRouter:
    """Inside `all_firms()` every ORM query uses the operator connection; everywhere else the
    application role's, even for an object that was loaded inside `all_firms()`. Only
    `all_firms()` and an explicit `.using("operator")` reach the operator role."""

    def db_for_read(self, model, **hints):
        return OPERATOR_DB if _operator.get() else DEFAULT_DB_ALIAS

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases are the same database

    def allow_migrate(self, db, app_label, **hints):
        return False if db == OPERATOR_DB else None


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
