from django.db import migrations

from pmo_platform.db import SameFirmForeignKeys


class Migration(migrations.Migration):
    """A report and its notices stay inside the campaign's firm (docs/tenancy.md)."""

    dependencies = [
        ("reports", "0006_benchmark_firm_key"),
        ("assessments", "0003_same_firm_foreign_keys"),
    ]

    operations = [SameFirmForeignKeys("Report"), SameFirmForeignKeys("ReportNotice")]
