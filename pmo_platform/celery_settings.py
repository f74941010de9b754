"""Celery settings: the broker, how tasks behave, their queues and the beat schedule.

Imported by settings.py; every value can be set from the environment."""

import os
from datetime import timedelta

from . import queues
from .env import service_url

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", service_url("REDIS_URL"))
# Redis brokers use kombu's Redis transport with a workaround for the celery/kombu 5.7.0 crash on a
# dropped connection (pmo_platform/broker.py); CELERY_BROKER_TRANSPORT=redis: the stock one.
CELERY_BROKER_TRANSPORT = os.environ.get("CELERY_BROKER_TRANSPORT") or (
    "pmo_platform.broker:Transport" if CELERY_BROKER_URL.startswith("redis://") else None
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A dead Redis must raise quickly rather than hang a web request: the outbox keeps the work.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
    "visibility_timeout": 3600,
    "max_retries": 1,
    # A worker consuming several queues reads them in the order given (`-Q email_priority,email`):
    # a respondent's own email goes before the rest of a fan-out (pmo_platform/queues.py).
    "queue_order_strategy": "priority",
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# Tasks are routed by name to the queues `email_priority`, `email`, `reports`, `webhooks` and
# `default` (pmo_platform/queues.py); CELERY_QUEUE_PREFIX goes in front of every name (several
# deployments sharing one Redis; the tests).
CELERY_QUEUE_PREFIX = os.environ.get("CELERY_QUEUE_PREFIX", "")
CELERY_TASK_ROUTES = queues.routes(CELERY_QUEUE_PREFIX)
CELERY_TASK_QUEUES = queues.declarations(CELERY_QUEUE_PREFIX)
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_PREFIX + queues.DEFAULT
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "flush-task-outbox": {
        "task": "pmo_platform.flush_outbox",
        "schedule": timedelta(seconds=30),
    },
    "assessment-sweep": {
        "task": "assessments.sweep",
        "schedule": timedelta(minutes=5),
    },
    # Opens and closes campaigns on time (a minute's query that normally finds nothing).
    "campaign-lifecycle-sweep": {
        "task": "assessments.lifecycle_sweep",
        "schedule": timedelta(seconds=60),
    },
    # Erases respondent identities of campaigns closed longer than the firm's retention period.
    "privacy-retention-sweep": {
        "task": "assessments.retention_sweep",
        "schedule": timedelta(days=1),
    },
    "report-build-sweep": {
        "task": "reports.sweep_builds",
        "schedule": timedelta(seconds=60),
    },
    # Resumes emails a dead worker left (Redis would redeliver its task only after the
    # visibility timeout, an hour) and queues invitations that should have gone out.
    "email-sweep": {
        "task": "assessments.email_sweep",
        "schedule": timedelta(seconds=20),
    },
    # Takes over CSV imports whose task was lost or whose worker died (no progress for 60 s).
    "respondent-import-sweep": {
        "task": "assessments.import_sweep",
        "schedule": timedelta(seconds=30),
    },
    "report-notice-sweep": {
        "task": "reports.notice_sweep",
        "schedule": timedelta(seconds=20),
    },
    "account-email-sweep": {
        "task": "accounts.account_email_sweep",
        "schedule": timedelta(seconds=20),
    },
    "invitation-sweep": {
        "task": "accounts.invitation_sweep",
        "schedule": timedelta(seconds=30),
    },
    # Publishes webhook deliveries that are due (retries) and those a dead worker left claimed.
    "webhook-sweep": {
        "task": "accounts.webhook_sweep",
        "schedule": timedelta(seconds=15),
    },
    # Deletes webhook events and their delivery log older than WEBHOOK_LOG_RETENTION_DAYS.
    "webhook-log-retention": {
        "task": "accounts.webhook_log_retention",
        "schedule": timedelta(days=1),
    },
}
# Outbox rows younger than this are left to the on-commit publisher before a sweep retries them.
OUTBOX_RETRY_AFTER = timedelta(seconds=int(os.environ.get("OUTBOX_RETRY_AFTER_SECONDS", "20")))
