from django.db import migrations

from pmo_platform.db import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("accounts", "0002_row_level_security")]

    operations = [EnableRLS("ReportSettings"), EnableRLS("Report")]
