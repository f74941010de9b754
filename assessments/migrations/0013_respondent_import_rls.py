from django.db import migrations

from pmo_platform.db import EnableRLS, SameFirmForeignKeys


class Migration(migrations.Migration):
    """CSV imports are tenant-owned: forced RLS, and a campaign key that stays inside one firm."""

    dependencies = [("assessments", "0012_respondent_import")]

    operations = [EnableRLS("RespondentImport"), SameFirmForeignKeys("RespondentImport")]
