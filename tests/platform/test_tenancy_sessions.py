"""Tenant settings on a reused connection: a value set at session level (not transaction-local)
does not survive into the next request or task."""

import pytest
from django.db import connection

from pmo_platform.celery import app as celery_app

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
def test_session_level_settings_do_not_leak_into_the_next_task(firm_b):
    poison(firm_b.firm.pk)
    assert rls_probe.apply().get() == ["", "", ""]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_starts_clean_even_with_a_role_default(firm_b):
    # ALTER ROLE ... SET is what a role may do to its own defaults; simulate it with the
    # connection's options so nothing outlives the test.
    from django.db import connections

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
