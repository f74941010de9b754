from django.db import migrations

from pmo_platform.db import SameFirmForeignKeys


class Migration(migrations.Migration):
    """A client executive or invitation can only name a client of its own firm (docs/tenancy.md)."""

    dependencies = [("accounts", "0003_firm_slug_label")]

    operations = [SameFirmForeignKeys("ClientExecutive"), SameFirmForeignKeys("Invitation")]
