from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlatformConfig(AppConfig):
    """Platform infrastructure shared by every app: tenancy, the task outbox, base templates."""

    name = "pmo_platform"
    verbose_name = "Platform"

    def ready(self):
        from celery.signals import task_prerun
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401  (registers system checks)
        from .db import grant_app_role
        from .tenancy import reset_connections, reset_new_connection

        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="pmo_grant_app_role")
        # Tenant settings never survive from one request or task to the next on a reused
        # connection, even if something set them at session level (docs/tenancy.md).
        request_started.connect(reset_connections, dispatch_uid="pmo_reset_rls_request")
        task_prerun.connect(reset_connections, dispatch_uid="pmo_reset_rls_task", weak=False)
        connection_created.connect(reset_new_connection, dispatch_uid="pmo_reset_rls_connect")
