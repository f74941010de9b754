"""The email provider's tracking webhook (bounces), and nothing else of django-anymail's URLs.

Only the provider that `EMAIL_BACKEND` names is served, at `/anymail/<provider>/tracking/`;
every other provider's path, and every inbound path, is a 404. A call is refused (403) unless
`ANYMAIL_WEBHOOK_SECRET` is set, in which case anymail itself rejects a request whose basic-auth
credentials do not match (400) before any signal is sent. The system check `pmo.E002` refuses to
start a provider backend without that secret (checks.py)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import Http404, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt


def email_provider() -> str:
    """The anymail provider `EMAIL_BACKEND` names ("postmark" for
    `anymail.backends.postmark.EmailBackend`), or "" for a non-anymail backend."""
    parts = settings.EMAIL_BACKEND.split(".")
    if len(parts) == 4 and parts[:2] == ["anymail", "backends"]:
        return parts[2]
    return ""


def webhook_secret_configured() -> bool:
    return bool((getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"))


@cache
def _tracking_views() -> dict:
    from anymail import urls as anymail_urls

    suffix = "_tracking_webhook"
    return {
        pattern.name.removesuffix(suffix): pattern.callback
        for pattern in anymail_urls.urlpatterns
        if pattern.name and pattern.name.endswith(suffix)
    }


@csrf_exempt
def tracking_webhook(request, provider: str):
    configured = email_provider()
    view = _tracking_views().get(configured)
    if provider != configured or view is None:
        raise Http404("no such webhook")
    if not webhook_secret_configured():
        return HttpResponseForbidden("webhook secret not configured")
    return view(request)
