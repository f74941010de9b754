"""Ready to distribute by firm (docs/scaling.md, "Distributing PostgreSQL by firm"): every unique
constraint of a tenant table includes `firm_id`, except the ones listed here on purpose."""

from pmo_platform.db import unique_constraints_without_firm

# Tenant tables whose unique constraints may lack firm_id, each with the reason (docs/scaling.md).
# Empty: every tenant uniqueness is per firm.
ACCEPTED: dict[str, list[str]] = {}


def test_tenant_unique_constraints_include_the_firm():
    assert unique_constraints_without_firm() == ACCEPTED


def test_the_check_sees_a_constraint_without_the_firm():
    from django.db import models

    from accounts.models import ClientOrganisation

    meta = ClientOrganisation._meta
    extra = models.UniqueConstraint(fields=["name", "country"], name="probe_without_firm")
    meta.constraints.append(extra)
    try:
        assert unique_constraints_without_firm() == {
            "accounts_clientorganisation": ["probe_without_firm"]
        }
    finally:
        meta.constraints.remove(extra)
