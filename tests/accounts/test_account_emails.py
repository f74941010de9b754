"""allauth's emails are rows: the task carries only the row's id, the email goes out once with
the row's Message-ID, a repeat of the task sends nothing and the body is not kept once sent."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import AccountEmail
from accounts.tasks import send_account_email
from pmo_platform.models import OutboxTask
from tests.helpers import run_in_worker, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_reset_email_is_a_row_sent_once_and_then_blanked(client, celery_worker, firm_a):
    client.post(reverse("account_reset_password"), {"email": "consultant@alpha.example"})
    wait_for(lambda: len(mail.outbox) == 1)
    (row,) = AccountEmail.objects.all()
    wait_for(lambda: AccountEmail.objects.get(pk=row.pk).status == "sent")
    row.refresh_from_db()
    assert row.to == ["consultant@alpha.example"]
    assert row.body == "" and row.html == "" and row.claimed_at and row.sent_at
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # A retry, a redelivery after the visibility timeout, or the sweep: nothing more.
    assert run_in_worker(send_account_email, email_id=row.pk) is None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_task_carries_the_rows_id_and_no_content(client, firm_a):
    with transaction.atomic():  # never commits: the outbox row stays to be read
        client.post(reverse("account_reset_password"), {"email": "consultant@alpha.example"})
        (row,) = AccountEmail.objects.all()
        (task,) = OutboxTask.objects.filter(task_name="accounts.send_account_email")
        assert task.kwargs == {"email_id": row.pk}
        assert row.status == "queued" and "/accounts/password/reset/key/" in row.body
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_a_task_published_before_rows_existed_is_stored_and_sent_once(celery_worker):
    legacy = {
        "subject": "Confirm",
        "body": "the link",
        "html": "",
        "content_subtype": "plain",
        "from_email": "noreply@pmo.example",
        "to": ["old@task.example"],
        "headers": {},
    }
    assert run_in_worker(send_account_email, **legacy) == "sent"
    (row,) = AccountEmail.objects.all()
    assert row.status == "sent" and row.body == "" and row.to == ["old@task.example"]
    assert [m.to for m in mail.outbox] == [["old@task.example"]]
