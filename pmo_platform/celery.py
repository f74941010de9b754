"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os
import sys

from celery import Celery, bootsteps, signals

from .broker import RestoreHeldMessages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")

logger = logging.getLogger(__name__)


class FlushOutboxOnConnect(bootsteps.StartStopStep):
    """Consumer bootstep: each time the worker (re)connects to the broker, ask for an outbox
    flush at once, so what piled up while Redis was away drains now, not at beat's next tick."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c):
        try:
            c.app.send_task("pmo_platform.flush_outbox")
        except Exception as exc:  # the broker went away again; beat's flush will do
            logger.warning("could not ask for an outbox flush: %r", exc)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_unsafe_worker(**kwargs):
    """A worker (or beat) starts only where the web process would (pmo_platform.checks): never
    with the public development SECRET_KEY outside development (pmo.E001), nor with an email
    provider whose webhook is unauthenticated (pmo.E002). Celery logs and swallows a handler's
    exception, so this exits (status 1) before a task is consumed."""
    from django.core.exceptions import ImproperlyConfigured

    from .checks import refuse_unsafe_start

    try:
        refuse_unsafe_start()
    except ImproperlyConfigured as exc:
        logger.critical("%s", exc)
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(1) from exc


app = Celery("pmo_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# After every (re)connection: put back what the dropped connection could not (see
# pmo_platform.broker), then drain the outbox.
app.steps["consumer"].add(RestoreHeldMessages)
app.steps["consumer"].add(FlushOutboxOnConnect)
app.autodiscover_tasks()
