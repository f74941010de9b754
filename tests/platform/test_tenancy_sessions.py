"""Tenant settings on a reused connection: a value set at session level (not transaction-local)
does not survive into the next request or task; and the bypass of all firms belongs to the
operator role, not to a setting the application role can flip."""

import pytest
from django.conf import settings
from django.db import (
    ProgrammingError,
    close_old_connections,
    connection,
    connections,
    router,
    transaction,
)
from django_scopes import scopes_disabled

from accounts.models import ClientOrganisation
from pmo_platform.celery import app as celery_app
from pmo_platform.tenancy import OPERATOR_DB, all_firms, firm_context

SETTINGS = ("pmo.firm_id", "pmo.user_id", "pmo.all_firms")


def current_settings(conn=connection):
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"coalesce(current_setting('{name}', true), '')" for name in SETTINGS)
        )
        return cursor.fetchone()


def poison(firm_id):
    """What a careless `SET` (or an attacker's query) leaves on the application role's
    connection: values at session level, which outlive the transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pmo.all_firms', 'on', false), "
            "set_config('pmo.firm_id', %s, false), set_config('pmo.user_id', '1', false)",
            [str(firm_id)],
        )
    assert current_settings() == (str(firm_id), "1", "on")


@celery_app.task(name="tests.rls_probe")
def rls_probe():
    return list(current_settings())


@pytest.mark.django_db(transaction=True)
def test_session_level_settings_do_not_leak_into_the_next_request(client, firm_b):
    poison(firm_b.firm.pk)
    connection_before = connection.connection
    assert client.get("/health/").status_code == 200
    assert connection.connection is connection_before  # the same, reused connection
    assert current_settings() == ("", "", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_clientorganisation")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_the_reset_is_the_health_check_of_a_reused_connection(client, monkeypatch):
    """One round trip at the start of a request on a reused connection: the reset proves the
    connection usable, so Django's health check (`SELECT 1`) is not sent before it."""
    assert connection.health_check_enabled
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())
    connection.ensure_connection()
    connection_before = connection.connection
    close_old_connections()  # what a request's start does (the test client leaves it out)
    assert client.get("/health/").status_code == 200  # the view's own query runs too
    assert connection.connection is connection_before
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_between_requests_is_replaced_and_clean(client, firm_b):
    poison(firm_b.firm.pk)
    dead = connection.connection
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # the same role may end its own sessions
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [dead.info.backend_pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()
    close_old_connections()
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert connection.connection is not dead
    assert current_settings() == ("", "", "")


@pytest.mark.django_db(transaction=True)
def test_session_level_settings_do_not_leak_into_the_next_task(firm_b):
    poison(firm_b.firm.pk)
    assert rls_probe.apply().get() == ["", "", ""]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_starts_clean_even_with_a_role_default(firm_b):
    # ALTER ROLE ... SET is what a role may do to its own defaults; simulate it with the
    # connection's options so nothing outlives the test.
    conn = connections.create_connection("default")
    conn.settings_dict = {
        **connection.settings_dict,
        "OPTIONS": {
            **connection.settings_dict.get("OPTIONS", {}),
            "options": "-c pmo.all_firms=on",
        },
    }
    try:
        assert current_settings(conn) == ("", "", "")
    finally:
        conn.close()


TENANT_TABLES = ["accounts_clientorganisation", "accounts_membership", "assessments_campaign"]


def firm_ids_seen(table, cursor):
    cursor.execute(f"SELECT DISTINCT firm_id FROM {table}")
    return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("is_local", [True, False])
def test_the_application_role_cannot_flip_a_setting_to_see_every_firm(firm_a, firm_b, is_local):
    with firm_context(firm_a.firm), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pmo.all_firms', 'on', %s)", [is_local])
        for table in TENANT_TABLES:
            assert firm_ids_seen(table, cursor) <= {firm_a.firm.pk}, table
        cursor.execute("SELECT pmo_all_firms()")
        assert cursor.fetchone() == (False,)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pmo.all_firms', 'on', true)")
        for table in TENANT_TABLES:
            assert firm_ids_seen(table, cursor) == set(), table
        # Nor can it write into another firm with the setting on.
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO accounts_clientorganisation "
                "(firm_id, name, industry, size_band, country, created_at) "
                "VALUES (%s, 'Smuggled', 'other', '1-49', 'SE', now())",
                [firm_b.firm.pk],
            )


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_all_firms_reads_as_the_operator_role_and_only_inside(firm_a, firm_b):
    operator = connections[OPERATOR_DB]
    with all_firms():
        assert set(ClientOrganisation.objects.values_list("firm_id", flat=True)) == {
            firm_a.firm.pk,
            firm_b.firm.pk,
        }
        with operator.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (settings.DATABASE_OPERATOR_USER,)
        client = ClientOrganisation.objects.get(pk=firm_b.client.pk)
        # A firm entered inside all_firms() is that firm on both walls again (application role).
        with firm_context(firm_a.firm), scopes_disabled():
            assert set(ClientOrganisation.objects.values_list("firm_id", flat=True)) == {
                firm_a.firm.pk
            }
    assert client._state.db == OPERATOR_DB
    # Outside all_firms() even that object goes back through the application role.
    assert router.db_for_write(ClientOrganisation, instance=client) == "default"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (settings.DATABASE_APP_USER,)


@pytest.mark.django_db
def test_the_roles_are_apart(firm_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, "
            "pg_has_role(%s, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s",
            [settings.DATABASE_APP_USER, settings.DATABASE_OPERATOR_USER],
        )
        is_super, bypass, createrole, app_is_member = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner IN (%s, %s)",
            [settings.DATABASE_APP_USER, settings.DATABASE_OPERATOR_USER],
        )
        owned = cursor.fetchone()[0]
    assert bypass and not is_super and not createrole
    assert not app_is_member, "the application role must not be able to SET ROLE to the operator"
    assert owned == 0


@pytest.mark.django_db(transaction=True)
def test_the_owner_sees_and_updates_every_firm_only_with_the_bypass_on(firm_a, firm_b):
    """What data migrations rely on: FORCE binds the owner role too, and `pmo.all_firms` (set
    transaction-local, as the owner) opens every firm's rows for reading and writing."""
    import psycopg

    db = connection.settings_dict
    params = {
        "dbname": db["NAME"], "host": db["HOST"] or None, "port": db["PORT"] or None,
        "user": settings.DATABASE_OWNER_CREDENTIALS["USER"],
        "password": settings.DATABASE_OWNER_CREDENTIALS["PASSWORD"],
    }  # fmt: skip
    firms = {firm_a.firm.pk, firm_b.firm.pk}
    with psycopg.connect(**params) as owner:
        for table in ("accounts_clientorganisation", "accounts_membership"):
            seen = {row[0] for row in owner.execute(f"SELECT DISTINCT firm_id FROM {table}")}
            assert seen == set(), table
        owner.rollback()
        with owner.transaction():
            owner.execute("SELECT set_config('pmo.all_firms', 'on', true)")
            for table in ("accounts_clientorganisation", "accounts_membership"):
                seen = {row[0] for row in owner.execute(f"SELECT DISTINCT firm_id FROM {table}")}
                assert seen == firms, table
            updated = owner.execute(
                "UPDATE accounts_clientorganisation SET name = name || ' (moved)' "
                "WHERE id IN (%s, %s)",
                [firm_a.client.pk, firm_b.client.pk],
            ).rowcount
            assert updated == 2
        # Transaction-local: the next transaction of the same session sees nothing again.
        assert owner.execute("SELECT count(*) FROM accounts_clientorganisation").fetchone() == (0,)
