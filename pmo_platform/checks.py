"""System checks for the secrets a deployment must set, and the guard the web process runs at
start (`wsgi.py`): it refuses to serve with a public development key outside development, or with
an email provider whose webhook would accept anyone's events."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .webhooks import email_provider, webhook_secret_configured


def _development_key_error(id: str) -> Error:
    return Error(
        "DJANGO_SECRET_KEY is not set; the public development key is in use.",
        hint="Set DJANGO_SECRET_KEY to a long random value in every deployment.",
        id=id,
    )


@register(deploy=True)
def secret_key_check(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [_development_key_error("pmo.E001")]
    return []


@register()
def webhook_secret_check(app_configs, **kwargs):
    """Bounce webhooks must be authenticated when a provider backend sends the email."""
    if email_provider() and not webhook_secret_configured():
        return [
            Error(
                "ANYMAIL_WEBHOOK_SECRET is not set: anyone could post email events.",
                hint="Set ANYMAIL_WEBHOOK_SECRET and give the same user:password to the "
                "provider's tracking webhook (docs/operations.md).",
                id="pmo.E002",
            )
        ]
    return []


def startup_errors() -> list[Error]:
    """What stops the web process from serving (the development key is fine only in development:
    `PMO_ENV=development`, which bin/run sets, or `DJANGO_DEBUG`)."""
    errors = webhook_secret_check(None)
    if not settings.DEVELOPMENT:
        errors += secret_key_check(None)
    return errors


def refuse_unsafe_start() -> None:
    errors = startup_errors()
    if errors:
        raise ImproperlyConfigured(
            "Refusing to start: " + " ".join(f"{e.id}: {e.msg} {e.hint}" for e in errors)
        )


@register()
def trusted_proxies_check(app_configs, **kwargs):
    from .client_ip import trusted_networks

    try:
        trusted_networks()
    except ValueError as exc:
        return [
            Error(
                f"TRUSTED_PROXIES is not a list of networks: {exc}",
                hint="Use comma-separated addresses or CIDRs, e.g. 10.0.0.0/8,127.0.0.1.",
                id="pmo.E003",
            )
        ]
    return []


@register(deploy=True)
def webhook_private_targets_check(app_configs, **kwargs):
    """Outgoing webhooks may reach the platform's own network only in development and tests."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS and not settings.DEVELOPMENT:
        return [
            Warning(
                "WEBHOOKS_ALLOW_PRIVATE_TARGETS is on: webhook endpoints can reach loopback and "
                "private addresses (SSRF).",
                hint="Unset it in every deployment; it is for development and tests.",
                id="pmo.W001",
            )
        ]
    return []
