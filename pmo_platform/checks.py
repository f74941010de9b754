from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def secret_key_check(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            Warning(
                "DJANGO_SECRET_KEY is not set; the development key is in use.",
                hint="Set DJANGO_SECRET_KEY to a long random value in every deployment.",
                id="pmo.W001",
            )
        ]
    return []


@register(deploy=True)
def webhook_secret_check(app_configs, **kwargs):
    """Bounce webhooks must be authenticated when a provider backend sends the email."""
    uses_provider = settings.EMAIL_BACKEND.startswith("anymail.")
    if uses_provider and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return [
            Warning(
                "ANYMAIL_WEBHOOK_SECRET is not set: anyone could post email events.",
                hint="Set ANYMAIL_WEBHOOK_SECRET and give the same user:password to the "
                "provider's tracking webhook (docs/operations.md).",
                id="pmo.W002",
            )
        ]
    return []
