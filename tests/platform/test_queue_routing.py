"""Queue routing (pmo_platform/queues.py): every task has a queue, and the run command and
docker compose start a worker for every queue. That each task runs on its queue's worker, with
a real worker process per queue: tests/faults/test_queue_workers.py."""

from __future__ import annotations

from django.conf import settings

from pmo_platform import queues
from pmo_platform.celery import app as celery_app

# The worker groups of Procfile.dev and docker-compose.yml: name -> queues, in reading order.
GROUPS = {
    "email": [queues.EMAIL_PRIORITY, queues.EMAIL],
    "reports": [queues.REPORTS],
    "webhooks": [queues.WEBHOOKS],
    "default": [queues.DEFAULT],
}


def _prefixed(queue: str) -> str:
    return settings.CELERY_QUEUE_PREFIX + queue


def test_every_task_has_a_queue_of_its_own_kind():
    celery_app.loader.import_default_modules()  # what a worker imports: every app's tasks
    # (Celery's own tasks and tasks that tests define are not the platform's.)
    ours = {name for name in celery_app.tasks if not name.startswith(("celery.", "tests."))}
    assert ours == set(queues.TASK_QUEUES)
    assert set(queues.TASK_QUEUES.values()) == set(queues.QUEUES)
    assert queues.TASK_QUEUES["assessments.send_respondent_email"] == queues.EMAIL_PRIORITY
    assert queues.TASK_QUEUES["assessments.send_email_batch"] == queues.EMAIL
    assert queues.TASK_QUEUES["reports.build_report"] == queues.REPORTS
    assert queues.TASK_QUEUES["accounts.deliver_webhook"] == queues.WEBHOOKS
    assert queues.TASK_QUEUES["pmo_platform.flush_outbox"] == queues.DEFAULT
    # Production names are plain; the tests' are this run's.
    assert queues.names() == ["email_priority", "email", "reports", "webhooks", "default"]
    assert celery_app.conf.task_default_queue == _prefixed("default")


def _consumed(commands: list[list[str]], prefix_variable: str) -> list[list[str]]:
    """The `-Q` lists of the worker commands, with the prefix variable left empty."""
    lists = []
    for command in commands:
        if "worker" in command:
            value = command[command.index("-Q") + 1].replace(prefix_variable, "")
            lists.append(value.split(","))
    return lists


def _assert_every_queue_has_one_worker_group(lists: list[list[str]]):
    assert sorted(q for group in lists for q in group) == sorted(queues.QUEUES)
    assert [queues.EMAIL_PRIORITY, queues.EMAIL] in lists  # read in that order


def test_the_run_command_and_compose_start_a_worker_for_every_queue():
    import yaml

    root = settings.BASE_DIR
    procfile = [line.split(": ", 1)[1].split() for line in (root / "Procfile.dev").open()]
    workers = [command for command in procfile if "worker" in command]
    assert len(workers) == len(GROUPS)
    assert all(command[0] == "bin/supervise" for command in workers)
    _assert_every_queue_has_one_worker_group(_consumed(procfile, "${CELERY_QUEUE_PREFIX}"))

    compose = yaml.safe_load((root / "docker-compose.yml").open())
    commands = [service.get("command", []) for service in compose["services"].values()]
    _assert_every_queue_has_one_worker_group(_consumed(commands, "${CELERY_QUEUE_PREFIX:-}"))
    for name, service in compose["services"].items():
        if "worker" in service.get("command", []):
            assert service["restart"] == "unless-stopped" and service["healthcheck"], name
