"""Platform plumbing: the outbox when Redis is down, SMTP delivery, the admin, health, setup."""

import email
import socket
import subprocess
import sys
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts import services
from pmo_platform import tasks as platform_tasks
from pmo_platform.models import OutboxTask
from pmo_platform.tasks import enqueue, flush_outbox
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person, run_in_worker, wait_for


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_broker(monkeypatch):
    """A Celery app whose Redis is not there: publishing fails for real (connection refused)."""
    down = Celery("down", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)
    down.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    down.conf.broker_connection_timeout = 1
    down.conf.task_publish_retry_policy = {"max_retries": 0}
    monkeypatch.setattr(platform_tasks, "app", down)
    return monkeypatch


@pytest.mark.django_db(transaction=True)
def test_work_is_kept_while_redis_is_down_and_sent_after(
    client, celery_worker, firm_a, dead_broker, settings
):
    settings.OUTBOX_RETRY_AFTER = timedelta(0)
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("accounts:team_invite", args=[firm_a.firm.slug]),
        {"email": "kept@example.com", "role": "consultant", "language": "en"},
    )
    # The user's request succeeds; the task waits in the outbox.
    assert response.status_code == 302
    row = OutboxTask.objects.get()
    assert row.task_name == "accounts.send_invitation_email" and row.attempts == 1
    assert "Connection refused" in row.last_error or row.last_error
    assert mail.outbox == []

    dead_broker.undo()  # Redis is back
    flush_outbox.apply_async()  # what beat does every 30 seconds
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["kept@example.com"]
    wait_for(lambda: not OutboxTask.objects.exists())


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_when_the_transaction_rolls_back(firm_a):
    from django.db import transaction

    from accounts.tasks import send_invitation_email

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(send_invitation_email, firm_id=firm_a.firm.pk, invitation_id=1)
        raise RuntimeError("the service failed")
    assert not OutboxTask.objects.exists()


@pytest.mark.django_db
def test_enqueue_refuses_arguments_that_are_not_plain_json(firm_a):
    from accounts.tasks import send_invitation_email

    with pytest.raises(TypeError):
        enqueue(send_invitation_email, firm_id=firm_a.firm, invitation_id=1)
    assert not OutboxTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_firm_task_for_a_deleted_firm_does_nothing(celery_worker, firm_a):
    from accounts.tasks import send_invitation_email

    result = run_in_worker(send_invitation_email, firm_id=999999, invitation_id=1)
    assert result is None and mail.outbox == []


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.mark.django_db(transaction=True)
def test_invitation_is_delivered_over_smtp(celery_worker, firm_a, settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        with firm_context(firm_a.firm):
            services.invitation_create(
                firm=firm_a.firm,
                invited_by=firm_a.owner,
                email="smtp@example.com",
                role="consultant",
            )
        wait_for(lambda: sink.messages)
    finally:
        controller.stop()
    envelope = sink.messages[0]
    assert envelope.rcpt_tos == ["smtp@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["From"].addresses[0].display_name == firm_a.firm.name
    assert "Alpha Advisory" in message["Subject"]
    parts = {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "/join/" in parts["text/plain"] and "/join/" in parts["text/html"]


@pytest.mark.django_db(transaction=True, databases="__all__")  # the admin reads as the operator
def test_operator_sees_all_firms_in_the_admin_and_others_do_not(client, firm_a, firm_b):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    operator = User.objects.create_superuser("ops@pmo.example", "ops-pass-1234")
    TOTP.activate(operator, generate_totp_secret())  # operators need two-factor for the admin
    client.force_login(operator)
    clients_page = client.get("/admin/accounts/clientorganisation/")
    assert clients_page.status_code == 200
    body = clients_page.content.decode()
    assert "Alpha Advisory Client" in body and "Beta Konsult Client" in body
    firms_page = client.get("/admin/accounts/firm/").content.decode()
    assert "Alpha Advisory" in firms_page and "Beta Konsult" in firms_page
    assert firm_a.owner.email in client.get("/admin/accounts/user/").content.decode()
    detail = client.get(f"/admin/accounts/firm/{firm_b.firm.pk}/change/")
    assert detail.status_code == 200 and "Beta Konsult Other Client" in detail.content.decode()

    # A firm owner is not a platform operator.
    client.force_login(firm_a.owner)
    response = client.get("/admin/accounts/clientorganisation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_health_reports_database_and_redis(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_login_still_works_while_redis_is_down(client, firm_a, settings):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=firm_a.owner, email=firm_a.owner.email, verified=True)
    settings.CACHES = {
        "default": {
            "BACKEND": "pmo_platform.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.post(
        reverse("account_login"), {"login": firm_a.owner.email, "password": "pw-owner-123!"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(firm_a.owner.pk)


@pytest.mark.django_db
def test_health_is_503_when_redis_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable" and response.json()["database"] == "ok"


@pytest.mark.parametrize(
    ("variable", "name"),
    [("DATABASE_URL", "PostgreSQL"), ("REDIS_URL", "Redis")],
)
def test_setup_stops_with_a_clear_message_when_a_service_is_unreachable(variable, name):
    env = {"PATH": "/usr/bin:/bin", variable: f"scheme://user@127.0.0.1:{free_port()}/x"}
    result = subprocess.run(
        [sys.executable, "bin/check_services.py"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 2
    assert f"{name} cannot be reached" in result.stderr and "Start it" in result.stderr


def test_setup_check_passes_when_services_run():
    result = subprocess.run(
        [sys.executable, "bin/check_services.py"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr


class RefusingSink(Sink):
    """Refuses one address, as a real server refuses an unknown mailbox."""

    def __init__(self, refused):
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.django_db(transaction=True)
def test_a_refused_address_does_not_hold_up_its_batch(celery_worker, firm_a, settings):
    from assessments import services as assessment_services
    from assessments.models import EmailLog, Respondent

    sink = RefusingSink("bad@client.example")
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        with firm_context(firm_a.firm):
            campaign = new_campaign(firm_a, name="Batch", days=3)
            add_people(
                firm_a, campaign, [person("bad@client.example"), person("good@client.example")]
            )
            assessment_services.campaign_launch(
                firm=firm_a.firm, actor=firm_a.owner, campaign=campaign
            )
        wait_for(lambda: sink.messages)

        def settled():
            with firm_context(firm_a.firm):
                return not EmailLog.objects.filter(status__in=["queued", "sending"]).exists()

        wait_for(settled)
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in sink.messages] == [["good@client.example"]]
    with firm_context(firm_a.firm):
        # The refusal is recorded (never retried) and the address shows as bounced.
        assert dict(EmailLog.objects.values_list("respondent__email", "status")) == {
            "bad@client.example": "rejected",
            "good@client.example": "sent",
        }
        assert Respondent.objects.get(email="bad@client.example").status == "bounced"
