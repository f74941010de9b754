from django.db import migrations

from pmo_platform.db import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_report_notice")]

    operations = [EnableRLS("ReportNotice")]
