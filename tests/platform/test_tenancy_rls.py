"""The second wall: PostgreSQL row-level security on the application's own connection."""

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django_scopes import ScopeError, scope

from accounts.models import AuditEntry, ClientOrganisation, Invitation, Membership
from pmo_platform.tenancy import all_firms, firm_context, user_context

pytestmark = pytest.mark.django_db

TABLES = [
    "accounts_clientorganisation",
    "accounts_membership",
    "accounts_clientexecutive",
    "accounts_branding",
    "accounts_auditentry",
]


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_in_firm_a_sees_none_of_firm_b(firm_a, firm_b, table):
    with firm_context(firm_a.firm):
        rows = raw(f"SELECT firm_id FROM {table}")
        assert rows, "firm A's own rows are visible"
        assert {r[0] for r in rows} == {firm_a.firm.pk}
        assert raw(f"SELECT count(*) FROM {table} WHERE firm_id = %s", [firm_b.firm.pk]) == [(0,)]


def test_raw_sql_cannot_insert_or_move_rows_into_firm_b(firm_a, firm_b):
    with firm_context(firm_a.firm):
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw(
                "INSERT INTO accounts_clientorganisation "
                "(firm_id, name, industry, size_band, country, created_at) "
                "VALUES (%s, 'Smuggled', 'other', '1-49', 'SE', now())",
                [firm_b.firm.pk],
            )
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw(
                "UPDATE accounts_clientorganisation SET firm_id = %s WHERE id = %s",
                [firm_b.firm.pk, firm_a.client.pk],
            )
        # Updates and deletes aimed at firm B's rows touch nothing.
        sql = "UPDATE accounts_clientorganisation SET name = 'x' WHERE firm_id = %s"
        assert raw(sql, [firm_b.firm.pk]) == 0
        assert raw("DELETE FROM accounts_auditentry WHERE firm_id = %s", [firm_b.firm.pk]) == 0
    with firm_context(firm_b.firm):
        assert ClientOrganisation.objects.filter(name="x").count() == 0
        assert ClientOrganisation.objects.filter(name="Smuggled").count() == 0
        assert AuditEntry.objects.count() > 0


def test_without_a_firm_setting_raw_sql_sees_nothing(firm_a, firm_b):
    with transaction.atomic():
        for table in TABLES:
            assert raw(f"SELECT count(*) FROM {table}") == [(0,)]


def test_orm_query_outside_a_scope_raises(firm_a):
    with pytest.raises(ScopeError):
        list(ClientOrganisation.objects.all())
    with pytest.raises(ScopeError):
        ClientOrganisation.objects.filter(name="x").exists()
    with pytest.raises(ScopeError):
        Invitation.objects.count()


def test_django_scopes_alone_is_not_enough_rls_still_filters(firm_a, firm_b):
    # A query that escapes the ORM wall (scopes disabled) still sees only the current firm.
    with firm_context(firm_a.firm), scope(_enabled=False):
        names = set(ClientOrganisation.objects.values_list("name", flat=True))
    assert names == {"Alpha Advisory Client", "Alpha Advisory Other Client"}


def test_scope_and_rls_are_restored_after_a_nested_firm_context(firm_a, firm_b):
    with firm_context(firm_a.firm):
        with firm_context(firm_b.firm):
            assert ClientOrganisation.objects.filter(firm=firm_b.firm).count() == 2
        assert raw("SELECT DISTINCT firm_id FROM accounts_clientorganisation") == [
            (firm_a.firm.pk,)
        ]


def test_user_context_reads_only_the_users_own_membership_rows(firm_a, firm_b):
    with user_context(firm_a.consultant):
        memberships = list(Membership.objects.all())
        assert [m.user_id for m in memberships] == [firm_a.consultant.pk]
        # Reading own rows grants no write anywhere.
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw(
                "INSERT INTO accounts_membership (firm_id, user_id, role, created_at) "
                "VALUES (%s, %s, 'admin', now())",
                [firm_b.firm.pk, firm_a.consultant.pk],
            )
        assert raw("SELECT count(*) FROM accounts_clientorganisation") == [(0,)]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_operator_context_sees_all_firms(firm_a, firm_b):
    with all_firms():
        firms = set(ClientOrganisation.objects.values_list("firm_id", flat=True))
    assert firms == {firm_a.firm.pk, firm_b.firm.pk}


def test_database_constraints_hold_inside_the_scope(firm_a):
    with firm_context(firm_a.firm), pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(firm=firm_a.firm, user=firm_a.consultant, role="admin")
