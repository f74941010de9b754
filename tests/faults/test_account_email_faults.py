"""allauth's emails under faults, with the real parts: the send task lost (Redis gives it back
only after its one-hour visibility timeout) and a worker process killed with SIGKILL while the
email is in flight. The account email sweep resumes them; nothing arrives twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from accounts import services
from accounts.models import AccountEmail
from accounts.tasks import account_email_sweep, send_account_email
from pmo_platform.tasks import enqueue_each
from tests.faults import harness
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

STALE = settings.EMAIL_STALE_AFTER + timedelta(seconds=5)


def lost_emails(n: int) -> list[AccountEmail]:
    """`n` verification emails asked for, their rows committed `queued`, their tasks lost."""
    for i in range(n):
        message = EmailMultiAlternatives(
            "Confirm your address", f"secret link {i}", "noreply@pmo.example", [f"u{i}@x.example"]
        )
        message.attach_alternative(f"<a>secret link {i}</a>", "text/html")
        services.account_email_enqueue(message=message)
    harness.redis_cli("flushall")
    rows = list(AccountEmail.objects.order_by("id"))
    assert [r.status for r in rows] == ["queued"] * n
    return rows


def age(**fields) -> None:
    """What waiting would do: move the rows' clocks back past the sweep's thresholds."""
    for row in AccountEmail.objects.all():
        for name, by in fields.items():
            if getattr(row, name) is not None:
                setattr(row, name, getattr(row, name) - by)
        row.save(update_fields=list(fields))


def statuses() -> list[str]:
    return sorted(AccountEmail.objects.values_list("status", flat=True))


def test_the_sweep_sends_an_account_email_whose_task_was_lost_exactly_once(faults):
    sink = faults.sink()
    (row,) = lost_emails(1)
    worker = faults.worker(sink)
    time.sleep(2)
    assert sink.count() == 0  # nothing was published: without the sweep it waits an hour
    age(due_at=STALE)
    assert account_email_sweep()["republished"] == 1
    wait_for(lambda: statuses() == ["sent"], timeout=60)
    assert [(m.rcpt_tos, m.message_id) for m in sink.messages] == [
        (["u0@x.example"], row.message_id)
    ]
    row.refresh_from_db()
    assert row.body == "" and row.html == ""  # the link is not kept once sent

    # A second sweep, a redelivered task and a retry send nothing.
    age(due_at=STALE)
    assert account_email_sweep() == {"republished": 0, "abandoned": 0}
    enqueue_each(send_account_email, [{"email_id": row.pk}, {"email_id": row.pk}])
    wait_for(lambda: worker.log().count("accounts.send_account_email[") >= 6, timeout=60)
    time.sleep(1)
    assert sink.count() == 1
    assert "secret link" not in worker.log()  # no content in the worker's log


def test_a_worker_killed_while_an_account_email_is_in_flight_sends_the_rest_once(faults):
    holder = {}

    def kill_at_first(sink):
        if sink.count() == 1:
            holder["worker"].kill()  # after DATA was read, before the server's answer

    sink = faults.sink(on_message=kill_at_first)
    lost_emails(2)
    holder["worker"] = faults.worker(sink)
    age(due_at=STALE)
    killed_at = time.monotonic()
    assert account_email_sweep()["republished"] == 2
    wait_for(lambda: holder["worker"].process.poll() is not None, timeout=60)
    assert statuses() == ["queued", "sending"] and sink.count() == 1

    faults.worker(sink)

    def resumed():
        age(due_at=STALE)  # the sweep's next runs, 20 s apart, without the wait
        account_email_sweep()
        return sink.count() >= 2 and statuses() == ["sending", "sent"]

    wait_for(resumed, timeout=90, interval=3)
    assert time.monotonic() - killed_at < 90
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["u0@x.example", "u1@x.example"]

    # Past EMAIL_SENDING_GIVE_UP the sweep closes it as unknown (treated as sent), not resent.
    age(claimed_at=settings.EMAIL_SENDING_GIVE_UP + timedelta(seconds=5))
    assert account_email_sweep()["abandoned"] == 1
    assert statuses() == ["sent", "unknown"]
    assert not AccountEmail.objects.exclude(body="").exists()
    time.sleep(2)
    assert sink.count() == 2
