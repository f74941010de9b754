"""Database-level tenancy: row-level security for tenant-owned tables, same-firm foreign keys
between them, and the grants that let the application role use what the owner role migrated."""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import migrations, models
from django.db.backends.utils import truncate_name

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

# The bypass setting counts only for a member of the database's owner role: data migrations run
# as the owner (FORCE ROW LEVEL SECURITY applies to it). The application role can flip the
# setting but gains nothing; platform operators use their own role with BYPASSRLS instead.
ALL_FIRMS_OWNER_ONLY_SQL = """
CREATE OR REPLACE FUNCTION pmo_all_firms() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('pmo.all_firms', true), '') = 'on'
          AND pg_has_role(current_user,
                          (SELECT datdba FROM pg_database WHERE datname = current_database()),
                          'MEMBER') $$;
"""
ALL_FIRMS_ANY_ROLE_SQL = """
CREATE OR REPLACE FUNCTION pmo_all_firms() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('pmo.all_firms', true), '') = 'on' $$;
"""

TENANT_POLICY = "pmo_tenant_isolation"
OWN_ROWS_POLICY = "pmo_own_rows"
# The tenant policy's condition. Each function sits in its own scalar subquery, so the planner
# evaluates it once per query (an InitPlan) and each row is compared with a constant; called
# directly, both run for every row scanned (`pmo_all_firms()` is not inlinable: it looks up the
# database's owner), which made a report's aggregate 1.1-1.3x slower than without RLS. The
# `pmo_all_firms()` branch is the owner's bypass for data migrations (false for every other role).
TENANT_CLAUSE = "(firm_id = (SELECT pmo_current_firm()) OR (SELECT pmo_all_firms()))"
# The condition before `ReplaceTenantPolicies` (the same rows; what its reverse puts back).
TENANT_CLAUSE_PER_ROW = "(firm_id = pmo_current_firm() OR pmo_all_firms())"


def tenant_policy_sql(quoted_table: str, clause: str = TENANT_CLAUSE) -> str:
    return f"CREATE POLICY {TENANT_POLICY} ON {quoted_table} USING {clause} WITH CHECK {clause}"


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
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(tenant_policy_sql(table))
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


class ReplaceTenantPolicies(migrations.operations.base.Operation):
    """Recreate the `pmo_tenant_isolation` policy of every tenant table of this migration's app
    (a model with a `firm` key whose table has the policy) with `TENANT_CLAUSE`; the reverse puts
    back `TENANT_CLAUSE_PER_ROW`. The rows admitted are the same either way."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def _replace(self, app_label, schema_editor, state, clause):
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            for model in state.apps.get_app_config(app_label).get_models():
                if _firm_field(model) is None or model._meta.proxy or not model._meta.managed:
                    continue
                table = model._meta.db_table
                cursor.execute(
                    "SELECT 1 FROM pg_policies WHERE schemaname = current_schema() "
                    "AND tablename = %s AND policyname = %s",
                    [table, TENANT_POLICY],
                )
                if cursor.fetchone() is None:
                    continue
                schema_editor.execute(f"DROP POLICY {TENANT_POLICY} ON {quote(table)}")
                schema_editor.execute(tenant_policy_sql(quote(table), clause))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(app_label, schema_editor, to_state, TENANT_CLAUSE)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(app_label, schema_editor, to_state, TENANT_CLAUSE_PER_ROW)

    def describe(self):
        return "Tenant policies that evaluate the firm once per query"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


def _firm_field(model):
    """The model's concrete `firm` foreign key, or None for a global model."""
    try:
        field = model._meta.get_field("firm")
    except FieldDoesNotExist:
        return None
    return field if field.concrete and field.many_to_one else None


def same_firm_foreign_keys(model):
    """The foreign keys of a tenant model that point at another tenant model (one with a `firm`
    key to the same tenant). Works on real and historical (migration) models alike."""
    firm = _firm_field(model)
    if firm is None:
        return []
    keys = []
    for field in model._meta.local_fields:
        if field is firm or not field.is_relation or field.related_model is None:
            continue
        target_firm = _firm_field(field.related_model)
        if target_firm is not None and target_firm.related_model == firm.related_model:
            keys.append(field)
    return keys


def _regclass(quoted_table: str) -> str:
    return f"'{quoted_table}'::regclass"


def _unless_exists(relation_and_condition: str, statement: str) -> str:
    """One SQL statement (so `sqlmigrate` shows it) that runs `statement` unless a row exists.
    Both parts are built from model metadata (table and column names), never from input."""
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM {relation_and_condition}) "  # noqa: S608
        f"THEN {statement}; END IF; END $$"
    )


def same_firm_key_name(table: str) -> str:
    """The UNIQUE (firm_id, id) constraint that same-firm foreign keys reference."""
    return truncate_name(f"{table}_firm_id_id_uniq", 63)


def same_firm_fk_name(table: str, column: str) -> str:
    return truncate_name(f"{table}_{column}_same_firm_fk", 63)


class SameFirmForeignKeys(migrations.operations.base.Operation):
    """Make the database refuse a reference to another firm's row.

    RLS checks only a row's own `firm_id`, and PostgreSQL's foreign-key checks bypass RLS, so a
    plain `client_id` may name another firm's client. For each foreign key from this tenant model
    to another tenant model (or only those in `fields`), this adds
    `FOREIGN KEY (firm_id, <fk>_id) REFERENCES <target> (firm_id, id)` next to Django's own key,
    plus the `UNIQUE (firm_id, id)` it needs on the target when that is missing. Deferrable and
    initially deferred like Django's keys; NO ACTION on delete (Django emulates cascades). A NULL
    key is not checked (MATCH SIMPLE), so nullable keys are covered too.
    """

    reversible = True

    def __init__(self, model_name, fields=None):
        self.model_name = model_name
        self.fields = list(fields) if fields is not None else None

    def state_forwards(self, app_label, state):
        pass

    def _keys(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        keys = same_firm_foreign_keys(model)
        if self.fields is not None:
            named = {field.name: field for field in keys}
            missing = set(self.fields) - set(named)
            if missing:
                raise ValueError(f"{self.model_name}: not a key to a tenant model: {missing}")
            keys = [named[name] for name in self.fields]
        return model, keys

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model, keys = self._keys(app_label, to_state)
        quote = schema_editor.quote_name
        table = model._meta.db_table
        firm_column = quote(_firm_field(model).column)
        for field in keys:
            target = field.related_model
            target_table = target._meta.db_table
            target_firm = quote(_firm_field(target).column)
            target_key = quote(field.target_field.column)
            key_name = same_firm_key_name(target_table)
            schema_editor.execute(
                _unless_exists(
                    f"pg_constraint WHERE conrelid = {_regclass(quote(target_table))} "
                    f"AND conname = '{key_name}'",
                    f"ALTER TABLE {quote(target_table)} ADD CONSTRAINT {quote(key_name)} "
                    f"UNIQUE ({target_firm}, {target_key})",
                )
            )
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT "
                f"{quote(same_firm_fk_name(table, field.column))} "
                f"FOREIGN KEY ({firm_column}, {quote(field.column)}) "
                f"REFERENCES {quote(target_table)} ({target_firm}, {target_key}) "
                "DEFERRABLE INITIALLY DEFERRED"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model, keys = self._keys(app_label, from_state)
        quote = schema_editor.quote_name
        table = model._meta.db_table
        for field in keys:
            name = same_firm_fk_name(table, field.column)
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(name)}"
            )
        for target_table in {field.related_model._meta.db_table for field in keys}:
            # The target's UNIQUE key goes once no other same-firm key references it.
            key_name = same_firm_key_name(target_table)
            regclass = _regclass(quote(target_table))
            schema_editor.execute(
                _unless_exists(
                    "pg_constraint fk JOIN pg_constraint uk ON uk.conindid = fk.conindid "
                    f"WHERE fk.contype = 'f' AND fk.confrelid = {regclass} "
                    f"AND uk.conrelid = {regclass} AND uk.conname = '{key_name}'",
                    f"ALTER TABLE {quote(target_table)} "
                    f"DROP CONSTRAINT IF EXISTS {quote(key_name)}",
                )
            )

    def describe(self):
        return f"Same-firm foreign keys on {self.model_name}"

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.fields is not None:
            kwargs["fields"] = self.fields
        return (self.__class__.__qualname__, [], kwargs)


def grant_app_role(using="default", **kwargs):
    """post_migrate: give the application role and the operator role data access (never DDL)
    to every table.

    Runs as the role that migrated; a no-op when that role is the application role itself, and
    for a role that does not exist."""
    from django.db import connections

    connection = connections[using]
    app_user = settings.DATABASE_APP_USER
    if not app_user or connection.settings_dict.get("USER") == app_user:
        return
    operator_user = getattr(settings, "DATABASE_OPERATOR_USER", "")
    with connection.cursor() as cursor:
        for user in dict.fromkeys(u for u in (app_user, operator_user) if u):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user])
            if cursor.fetchone() is None:
                continue
            role = connection.ops.quote_name(user)
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def unique_constraints_without_firm() -> dict[str, list[str]]:
    """Tenant tables (models with a `firm` key) and their unique constraints that do not
    include `firm_id`: what a distribution by firm (Citus) could not enforce. docs/scaling.md
    keeps the explicit list of accepted ones (tests/platform/test_scaling_readiness.py)."""
    from django.apps import apps

    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        if _firm_field(model) is None:
            continue
        names = []
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                names.append(f"{field.name} (unique field)")
        for together in model._meta.unique_together:
            if "firm" not in together:
                names.append(f"unique_together {together}")
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            parts = list(constraint.fields) + [str(e) for e in constraint.expressions]
            if not any(part == "firm" or "F(firm)" in part for part in parts):
                names.append(constraint.name)
        if names:
            found[model._meta.db_table] = names
    return found
