from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from pmo_platform.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open (it creates a consultancy firm) unless REGISTRATION_OPEN is switched off."""

    def is_open_for_signup(self, request):
        return getattr(settings, "REGISTRATION_OPEN", True)

    def get_client_ip(self, request):
        # The login, sign-up and password-reset rate limits key on the real client, never on an
        # X-Forwarded-For from an untrusted peer (pmo_platform.client_ip).
        return client_ip(request)
