from django.db import migrations

from pmo_platform.db import ALL_FIRMS_ANY_ROLE_SQL, ALL_FIRMS_OWNER_ONLY_SQL, SameFirmForeignKeys


class Migration(migrations.Migration):
    """A client executive or invitation can only name a client of its own firm, and the
    `pmo.all_firms` setting no longer lets the application role see every firm: only the owner
    (data migrations) may use it; operators have their own role (docs/tenancy.md)."""

    dependencies = [("accounts", "0003_firm_slug_label")]

    operations = [
        SameFirmForeignKeys("ClientExecutive"),
        SameFirmForeignKeys("Invitation"),
        migrations.RunSQL(ALL_FIRMS_OWNER_ONLY_SQL, ALL_FIRMS_ANY_ROLE_SQL),
    ]
