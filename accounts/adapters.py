from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open (it creates a consultancy firm) unless REGISTRATION_OPEN is switched off."""

    def is_open_for_signup(self, request):
        return getattr(settings, "REGISTRATION_OPEN", True)
