from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from pmo_platform.client_ip import client_ip

from . import services


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open (it creates a consultancy firm) unless REGISTRATION_OPEN is switched off."""

    def is_open_for_signup(self, request):
        return getattr(settings, "REGISTRATION_OPEN", True)

    def send_mail(self, template_prefix, email, context):
        """Render here (the request and the key are at hand), send from the worker."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        services.account_email_enqueue(message=self.render_mail(template_prefix, email, ctx))

    def get_client_ip(self, request):
        # The login, sign-up and password-reset rate limits key on the real client, never on an
        # X-Forwarded-For from an untrusted peer (pmo_platform.client_ip).
        return client_ip(request)
