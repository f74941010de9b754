"""Every table must be either explicitly global or fully tenant-protected: a direct firm column,
a django-scopes manager and a forced RLS policy. A new model that is neither fails here."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from accounts.models import Firm, TenantModel
from pmo_platform.db import same_firm_fk_name, same_firm_foreign_keys
from pmo_platform.tenancy import firm_context

# Global tables, each with the reason it holds no firm's data.
GLOBAL_MODELS = {
    "accounts.User": "a person may belong to several firms; access comes from memberships",
    "accounts.Firm": "the tenant itself",
    "accounts.AccountEmail": "allauth's emails, to people who may have no firm; blanked once sent",
    "pmo_platform.OutboxTask": "task names and ids waiting for the broker; no content",
    "reports.BenchmarkPoint": "anonymised scores of opted-in firms' clients: no firm or client id",
}
# Third-party apps whose tables are platform-level (sessions, auth, allauth, beat schedules).
GLOBAL_APPS = {"admin", "auth", "contenttypes", "sessions", "account", "mfa", "django_celery_beat"}
OUR_APPS = {"accounts", "assessments", "reports", "pmo_platform"}


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def test_every_model_is_global_or_tenant_owned():
    unclassified = []
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label in GLOBAL_APPS or label in GLOBAL_MODELS:
            continue
        if not issubclass(model, TenantModel):
            unclassified.append(label)
    assert unclassified == [], f"models that are neither global nor TenantModel: {unclassified}"
    assert {m._meta.app_label for m in tenant_models()} >= {"accounts"}


def test_no_global_model_of_ours_points_at_tenant_data():
    for label in GLOBAL_MODELS:
        model = apps.get_model(label)
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if field.concrete and related is not None:
                assert not issubclass(related, TenantModel), f"{label}.{field.name}"


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_has_direct_firm_key_and_scoped_manager(model):
    field = model._meta.get_field("firm")
    assert field.concrete and field.related_model is Firm and not field.null
    manager_class = type(model._default_manager)
    assert manager_class.__module__ == "django_scopes.manager", manager_class
    assert model._default_manager is model.objects
    # Children of tenant rows carry the firm too, not only their parent.
    for other in model._meta.get_fields():
        if other.concrete and getattr(other, "related_model", None) is not None:
            related = other.related_model
            if issubclass(related, TenantModel):
                assert issubclass(model, TenantModel)


@pytest.mark.django_db
@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_table_has_forced_rls_with_firm_policy(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) "
            "FROM pg_class WHERE oid = %s::regclass",
            [table],
        )
        enabled, forced, owner = cursor.fetchone()
        cursor.execute(
            "SELECT policyname, cmd, qual, with_check FROM pg_policies WHERE tablename = %s",
            [table],
        )
        policies = {row[0]: row[1:] for row in cursor.fetchall()}
    assert enabled and forced, f"{table}: RLS must be enabled and forced"
    assert owner != connection.settings_dict["USER"], "the app role must not own tables"
    cmd, qual, with_check = policies["pmo_tenant_isolation"]
    assert cmd == "ALL"
    # Each function in a scalar subquery: evaluated once per query, not for every row.
    for condition in (qual, with_check):
        assert "SELECT pmo_current_firm()" in condition, f"{table}: {condition}"
        assert "SELECT pmo_all_firms()" in condition, f"{table}: {condition}"
    for name, (cmd, _qual, with_check) in policies.items():
        if name != "pmo_tenant_isolation":
            assert cmd == "SELECT" and with_check is None, f"{table}.{name} must be read-only"


def tenant_to_tenant_keys():
    """Every foreign key from a tenant model to another tenant model."""
    return [
        (model, field)
        for model in tenant_models()
        for field in model._meta.local_fields
        if field.is_relation
        and field.name != "firm"
        and field.related_model is not None
        and issubclass(field.related_model, TenantModel)
    ]


def test_the_walk_finds_the_keys_between_tenant_models():
    keys = {f"{model._meta.label}.{field.name}" for model, field in tenant_to_tenant_keys()}
    assert {"accounts.ClientExecutive.client", "assessments.Answer.item"} <= keys
    assert {"accounts.Invitation.client", "assessments.Instrument.based_on"} <= keys  # nullable
    assert "accounts.Membership.user" not in keys  # a key to a global model is not affected
    assert keys == {
        f"{model._meta.label}.{field.name}"
        for model in tenant_models()
        for field in same_firm_foreign_keys(model)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field"),
    tenant_to_tenant_keys(),
    ids=lambda value: value.name if hasattr(value, "attname") else value._meta.label,
)
def test_key_between_tenant_models_is_a_same_firm_foreign_key(model, field):
    """Beside Django's own key, a composite key (firm_id, <fk>_id) -> target (firm_id, id): the
    database refuses a reference to another firm's row (RLS checks only the row's own firm)."""
    target = field.related_model
    columns = ["firm_id", field.column]
    target_columns = ["firm_id", field.target_field.column]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.condeferrable, c.condeferred, c.confdeltype, c.confmatchtype "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid = %s::regclass AND c.confrelid = %s::regclass "
            "AND ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) "
            "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) "
            "  = %s "
            "AND ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) "
            "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) "
            "  = %s",
            [model._meta.db_table, target._meta.db_table, columns, target_columns],
        )
        rows = cursor.fetchall()
    label = f"{model._meta.label}.{field.name}"
    assert rows, f"{label}: no FOREIGN KEY (firm_id, {field.column}) to {target._meta.db_table}"
    # Deferred like Django's keys; NO ACTION on delete (Django emulates cascades); MATCH SIMPLE
    # so a NULL key is allowed.
    assert rows == [(True, True, "a", "s")], f"{label}: {rows}"


def _refusal(sql, params):
    """Run `sql` inside a savepoint with the deferred keys checked at once; the name of the
    constraint that refused it, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError as exc:
        return exc.__cause__.diag.constraint_name
    return None


@pytest.mark.django_db
def test_app_role_cannot_point_a_row_at_another_firms_row(firm_a, firm_b):
    """Inside firm A's scope, as the application role: set each tenant-to-tenant key of one of
    firm A's rows to the id of a firm B row. RLS alone lets this through (the row's own firm_id
    is A's, and PostgreSQL's key checks bypass RLS); the same-firm key refuses it."""
    from accounts import services
    from accounts.models import InvitationRole
    from tests.helpers import add_people, new_campaign, person

    targets = {}
    for world in (firm_a, firm_b):
        with firm_context(world.firm):
            campaign = new_campaign(world)
            add_people(world, campaign, [person(f"r@{world.firm.slug}.example")])
            services.invitation_create(
                firm=world.firm,
                invited_by=world.owner,
                email=f"new@{world.firm.slug}.example",
                role=InvitationRole.EXECUTIVE,
                client=world.client,
            )
            if world is firm_b:
                for _model, field in tenant_to_tenant_keys():
                    table = field.related_model._meta.db_table
                    with connection.cursor() as cursor:
                        cursor.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 1")
                        row = cursor.fetchone()
                    if row:
                        targets[table] = row[0]

    refused, untried = set(), set()
    with firm_context(firm_a.firm):
        for model, field in tenant_to_tenant_keys():
            label = f"{model._meta.label}.{field.name}"
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 1")
                row = cursor.fetchone()
            target_id = targets.get(field.related_model._meta.db_table)
            if row is None or target_id is None:
                untried.add(label)
                continue
            constraint = _refusal(
                f"UPDATE {table} SET {field.column} = %s WHERE id = %s",
                [target_id, row[0]],
            )
            assert constraint is not None, f"{label}: a reference to firm B's row was accepted"
            if constraint == same_firm_fk_name(table, field.column):
                refused.add(label)
            else:  # another constraint (a unique key including the column) fired first
                untried.add(label)
    assert {
        "accounts.ClientExecutive.client",
        "accounts.Invitation.client",  # nullable
        "assessments.Instrument.based_on",  # nullable, NULL before: NULL is fine, firm B is not
        "assessments.Item.dimension",
        "assessments.Campaign.client",
        "assessments.Campaign.version",
        "assessments.Respondent.campaign",
    } <= refused, untried


@pytest.mark.django_db
def test_orm_create_with_another_firms_object_is_refused(firm_a, firm_b):
    from accounts.models import ClientExecutive

    with firm_context(firm_a.firm):
        with pytest.raises(IntegrityError, match="same_firm"), transaction.atomic():
            ClientExecutive.objects.create(
                firm=firm_a.firm, client=firm_b.client, user=firm_a.consultant
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The firm's own client is fine.
        ClientExecutive.objects.create(
            firm=firm_a.firm, client=firm_a.other_client, user=firm_a.consultant
        )
