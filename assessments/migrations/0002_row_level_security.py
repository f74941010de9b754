from django.db import migrations

from pmo_platform.db import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial"), ("accounts", "0002_row_level_security")]

    operations = [
        EnableRLS(model)
        for model in (
            "Instrument",
            "InstrumentVersion",
            "Sign",
            "Dimension",
            "Item",
            "Advice",
            "Campaign",
            "Respondent",
            "Answer",
            "EmailLog",
        )
    ]
