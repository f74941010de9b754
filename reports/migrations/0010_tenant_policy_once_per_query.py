from django.db import migrations

from pmo_platform.db import ReplaceTenantPolicies


class Migration(migrations.Migration):
    """The tenant policies evaluate the firm once per query (see pmo_platform.db.TENANT_CLAUSE)."""

    dependencies = [("reports", "0009_report_notice_delivery")]

    operations = [ReplaceTenantPolicies()]
