from django.db import migrations

from pmo_platform.db import RLS_FUNCTIONS_REVERSE_SQL, RLS_FUNCTIONS_SQL, EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunSQL(RLS_FUNCTIONS_SQL, RLS_FUNCTIONS_REVERSE_SQL),
        EnableRLS("Membership", user_column="user_id"),
        EnableRLS("ClientExecutive", user_column="user_id"),
        EnableRLS("ClientOrganisation"),
        EnableRLS("Branding"),
        EnableRLS("Invitation"),
        EnableRLS("AuditEntry"),
    ]
