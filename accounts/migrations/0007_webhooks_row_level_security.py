from django.db import migrations

from pmo_platform.db import EnableRLS, SameFirmForeignKeys


class Migration(migrations.Migration):
    """Webhook tables are tenant-owned: forced RLS, and keys that stay inside one firm."""

    dependencies = [("accounts", "0006_webhooks")]

    operations = [
        EnableRLS("WebhookEndpoint"),
        EnableRLS("WebhookEvent"),
        EnableRLS("WebhookDelivery"),
        EnableRLS("WebhookAttempt"),
        EnableRLS("WebhookDisabledNotice"),
        SameFirmForeignKeys("WebhookDelivery"),
        SameFirmForeignKeys("WebhookAttempt"),
        SameFirmForeignKeys("WebhookDisabledNotice"),
    ]
