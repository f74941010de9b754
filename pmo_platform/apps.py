from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlatformConfig(AppConfig):
    """Platform infrastructure shared by every app: tenancy, the task outbox, base templates."""

    name = "pmo_platform"
    verbose_name = "Platform"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
        from .db import grant_app_role

        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="pmo_grant_app_role")
