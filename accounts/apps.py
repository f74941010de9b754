from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Firms (tenants), people, roles, client organisations, branding and the audit trail."""

    name = "accounts"
    verbose_name = _("Firms and accounts")
