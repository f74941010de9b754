"""Database-level tenancy: row-level security for tenant-owned tables and the grants that let the
application role use what the owner role migrated."""

from django.conf import settings
from django.db import migrations

# SQL helpers the policies call. They read transaction-local settings (see tenancy.py); an unset
# setting reads as NULL, which matches no row.
RLS_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION pmo_current_firm() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('pmo.firm_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION pmo_current_user() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('pmo.user_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION pmo_all_firms() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('pmo.all_firms', true), '') = 'on' $$;
"""
RLS_FUNCTIONS_REVERSE_SQL = """
DROP FUNCTION IF EXISTS pmo_current_firm();
DROP FUNCTION IF EXISTS pmo_current_user();
DROP FUNCTION IF EXISTS pmo_all_firms();
"""

TENANT_POLICY = "pmo_tenant_isolation"
OWN_ROWS_POLICY = "pmo_own_rows"


class EnableRLS(migrations.operations.base.Operation):
    """Enable and force row-level security on a tenant-owned model's table.

    The policy admits rows of the current firm (reads and writes) and, for platform operators,
    all firms. `user_column` adds a read-only policy that lets a user see their own rows across
    firms (memberships, so a person can list the firms they belong to).
    """

    reversible = True

    def __init__(self, model_name, user_column=None):
        self.model_name = model_name
        self.user_column = user_column

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(self._table(app_label, to_state))
        clause = "(firm_id = pmo_current_firm() OR pmo_all_firms())"
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {TENANT_POLICY} ON {table} USING {clause} WITH CHECK {clause}"
        )
        if self.user_column:
            column = schema_editor.quote_name(self.user_column)
            schema_editor.execute(
                f"CREATE POLICY {OWN_ROWS_POLICY} ON {table} FOR SELECT "
                f"USING ({column} = pmo_current_user())"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {OWN_ROWS_POLICY} ON {table}")
        schema_editor.execute(f"DROP POLICY IF EXISTS {TENANT_POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.user_column:
            kwargs["user_column"] = self.user_column
        return (self.__class__.__qualname__, [], kwargs)


def grant_app_role(using="default", **kwargs):
    """post_migrate: give the application role data access (never DDL) to every table.

    Runs as the role that migrated; a no-op when that role is the application role itself."""
    from django.db import connections

    connection = connections[using]
    app_user = settings.DATABASE_APP_USER
    if not app_user or connection.settings_dict.get("USER") == app_user:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_user])
        if cursor.fetchone() is None:
            return
        role = connection.ops.quote_name(app_user)
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
