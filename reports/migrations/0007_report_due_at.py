import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_benchmark_firm_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="due_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
