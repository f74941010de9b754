"""What an API key may do. A view names the scope it needs for reading and for writing."""

from django.utils.translation import gettext_lazy as _

SCOPES = {
    "clients:read": _("Read client organisations"),
    "clients:write": _("Create, change and archive client organisations"),
    "campaigns:read": _("Read campaigns, their statistics and the instrument versions"),
    "campaigns:write": _("Create, change, launch and close campaigns, send reminders"),
    "respondents:read": _("Read respondents and their invitation status"),
    "respondents:write": _("Add, remove and re-invite respondents"),
    "responses:read": _("Read completed responses of non-anonymous campaigns"),
    "reports:read": _("Read reports and download them as PDF and CSV"),
    "reports:write": _("Request report rebuilds"),
    "leads:read": _("Read leads from the open link"),
    "webhooks:manage": _("Manage webhook endpoints and their deliveries"),
}


def scope_choices() -> list[tuple[str, str]]:
    return [(name, f"{name}: {label}") for name, label in SCOPES.items()]
