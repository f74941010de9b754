"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import os

from celery import Celery

from .broker import RestoreHeldMessages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")

app = Celery("pmo_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Puts back, after a reconnection, the messages a dropped connection could not (pmo_platform.broker).
app.steps["consumer"].add(RestoreHeldMessages)
app.autodiscover_tasks()
