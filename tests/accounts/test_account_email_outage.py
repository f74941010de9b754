"""allauth's emails go through the outbox and the worker: sign-up works while SMTP is down, and
the verification email arrives once the server is back (real SMTP sink, real worker thread)."""

import re

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_retry
from django.urls import reverse

from accounts.models import User
from tests.accounts.test_account_flows import SIGNUP
from tests.helpers import wait_for
from tests.platform.test_platform import Sink, free_port


@pytest.mark.django_db(transaction=True)
def test_sign_up_while_smtp_is_down_then_the_email_arrives(client, celery_worker, settings):
    port = free_port()  # nothing listens here yet: connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 3
    retries = []

    def record(request=None, reason=None, **kwargs):
        if request is not None and request.task == "accounts.send_account_email":
            retries.append(reason)

    task_retry.connect(record)
    controller = None
    try:
        # Its own address: allauth sends one confirmation per address per 3 minutes.
        signup = {**SIGNUP, "email": "outage@berg.example"}
        response = client.post(reverse("account_signup"), signup)
        assert response.status_code == 302
        assert User.objects.filter(email="outage@berg.example").exists()
        wait_for(lambda: retries)  # the worker tried, the server was down, it will retry
        assert "Connection refused" in str(retries[0])

        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        wait_for(lambda: sink.messages, timeout=30)
    finally:
        task_retry.disconnect(record)
        if controller is not None:
            controller.stop()
    assert [m.rcpt_tos for m in sink.messages] == [["outage@berg.example"]]
    body = sink.messages[0].content.decode()
    assert re.search(r"/accounts/confirm-email/\S+/", body)
