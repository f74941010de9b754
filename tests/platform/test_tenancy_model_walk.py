"""Every table must be either explicitly global or fully tenant-protected: a direct firm column,
a django-scopes manager and a forced RLS policy. A new model that is neither fails here."""

import pytest
from django.apps import apps
from django.db import connection

from accounts.models import Firm, TenantModel

# Global tables, each with the reason it holds no firm's data.
GLOBAL_MODELS = {
    "accounts.User": "a person may belong to several firms; access comes from memberships",
    "accounts.Firm": "the tenant itself",
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
    assert "pmo_current_firm()" in qual and "pmo_current_firm()" in with_check
    for name, (cmd, _qual, with_check) in policies.items():
        if name != "pmo_tenant_isolation":
            assert cmd == "SELECT" and with_check is None, f"{table}.{name} must be read-only"
