from django.db import migrations

from pmo_platform.db import SameFirmForeignKeys


class Migration(migrations.Migration):
    """Every key between tenant rows stays inside one firm (docs/tenancy.md)."""

    dependencies = [
        ("assessments", "0002_row_level_security"),
        ("accounts", "0004_same_firm_keys_owner_only_bypass"),
    ]

    operations = [
        SameFirmForeignKeys(model)
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
