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
