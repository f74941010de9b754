"""Which Celery queue each task goes to, so that one kind of work cannot starve another.

Five queues, each worked by its own worker group (Procfile.dev, docker-compose.yml):

- `email_priority`: an email one person is waiting for now, one message per task: a
  respondent's own email (their result, a resent invitation) and account emails
  (sign-up verification, password reset).
- `email`: bulk and notice email: campaign fan-outs and their batches, colleague invitations,
  report-ready and webhook-disabled notices, the resume of stranded emails.
- `reports`: report builds and their recovery.
- `webhooks`: webhook deliveries and publishing the due ones.
- `default`: sweeps, the outbox flush, campaign housekeeping, retention and privacy erasure,
  and any task not listed here.

The email worker consumes `email_priority,email` in that order and the broker reads a worker's
queues in priority order (`queue_order_strategy: priority` in settings), so a respondent's own
email waits for at most the batch each email worker process is sending, never for the rest of a
50,000-mail fan-out.

Routing is by task name (`CELERY_TASK_ROUTES`), so `app.send_task` (the outbox's publish), beat
and retries all honour it. Every name gets `CELERY_QUEUE_PREFIX` in front (empty in production;
the tests give each run its own). The settings build on this module: it imports neither Django
nor an app.
"""

from __future__ import annotations

from kombu import Exchange, Queue

EMAIL_PRIORITY = "email_priority"
EMAIL = "email"
REPORTS = "reports"
WEBHOOKS = "webhooks"
DEFAULT = "default"

# In the order a worker consuming several of them reads them (highest priority first).
QUEUES = (EMAIL_PRIORITY, EMAIL, REPORTS, WEBHOOKS, DEFAULT)

# Task name -> queue. Every task is listed (tests/platform/test_queue_routing.py checks), so a
# new task's queue is a decision, not an accident.
TASK_QUEUES = {
    # email_priority: one email a person is waiting for
    "assessments.send_respondent_email": EMAIL_PRIORITY,
    "accounts.send_account_email": EMAIL_PRIORITY,
    # email: fan-outs, batches, invitations, notices
    "assessments.send_campaign_emails": EMAIL,
    "assessments.send_email_batch": EMAIL,
    "assessments.resume_emails": EMAIL,
    "accounts.send_invitation_email": EMAIL,
    "accounts.send_webhook_disabled_notice": EMAIL,
    "reports.send_report_notice": EMAIL,
    "reports.resume_notices": EMAIL,
    # reports
    "reports.build_report": REPORTS,
    "reports.recover_build": REPORTS,
    # webhooks
    "accounts.deliver_webhook": WEBHOOKS,
    "accounts.publish_due_webhooks": WEBHOOKS,
    # default: sweeps, the outbox, housekeeping, privacy
    "pmo_platform.flush_outbox": DEFAULT,
    "assessments.sweep": DEFAULT,
    "assessments.lifecycle_sweep": DEFAULT,
    "assessments.campaign_housekeeping": DEFAULT,
    "assessments.retention_sweep": DEFAULT,
    "assessments.erase_campaign_identities": DEFAULT,
    "assessments.email_sweep": DEFAULT,
    "assessments.import_respondents": DEFAULT,
    "assessments.import_sweep": DEFAULT,
    "reports.sweep_builds": DEFAULT,
    "reports.notice_sweep": DEFAULT,
    "accounts.account_email_sweep": DEFAULT,
    "accounts.invitation_sweep": DEFAULT,
    "accounts.webhook_sweep": DEFAULT,
    "accounts.webhook_log_retention": DEFAULT,
    "accounts.prune_webhook_log": DEFAULT,
}


def names(prefix: str = "") -> list[str]:
    """Every queue's name with `prefix`, highest priority first."""
    return [prefix + queue for queue in QUEUES]


def routes(prefix: str = "") -> dict[str, dict[str, str]]:
    """`task_routes`: each task name to its queue's name with `prefix`."""
    return {task: {"queue": prefix + queue} for task, queue in TASK_QUEUES.items()}


def declarations(prefix: str = "") -> list:
    """`task_queues`: each queue on a direct exchange of its own name, bound by its name (what
    Celery would create for a missing queue), so a worker without `-Q` consumes all of them and
    a purge empties all of them."""
    return [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in names(prefix)]


def use_prefix(app, prefix: str) -> list[str]:
    """Point a Celery app (its publishing and its workers) at the queues named with `prefix`
    (the tests: each run its own queues). Call before the app publishes. Returns the names."""
    app.conf.update(
        task_routes=routes(prefix),
        task_queues=declarations(prefix),
        task_default_queue=prefix + DEFAULT,
    )
    for cached in ("queues", "default_queue", "router"):  # built on first use from the above
        app.amqp.__dict__.pop(cached, None)
    app.amqp.flush_routes()
    return names(prefix)
