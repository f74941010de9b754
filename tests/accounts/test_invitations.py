"""Inviting colleagues and client executives: the email goes through Redis and a real worker."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEntry, ClientExecutive, Invitation, Membership, User
from accounts.tasks import send_invitation_email
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from tests.helpers import brand, form_error_codes, link_in, run_in_worker, wait_for


def path_of(link):
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db(transaction=True)
def test_invite_colleague_through_worker_then_accept(client, celery_worker, firm_a):
    branding = brand(firm_a)
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("accounts:team_invite", args=[firm_a.firm.slug]),
        {
            "email": "New.Person@Example.com",
            "name": "Nora Nyberg",
            "role": "admin",
            "language": "sv",
        },
    )
    assert response.status_code == 302

    wait_for(lambda: len(mail.outbox) == 1)
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert message.from_email.startswith("Alpha Insights <")
    assert message.reply_to == ["hello@alpha.example"]
    assert "Alpha Advisory" in message.subject
    assert "bjuder in" in message.subject  # Swedish, as chosen for this invitation
    html = message.alternatives[0][0]
    assert "#7A1F5C" in html  # the firm's colour
    assert f"/logo/{branding.logo_sha256}/" in html
    assert "Kungsgatan 1" in html and "Kungsgatan 1" in message.body
    link = link_in(message)
    assert link in message.body and link in html
    wait_for(lambda: not OutboxTask.objects.exists())

    with firm_context(firm_a.firm):
        invitation = Invitation.objects.get(email="new.person@example.com")
        assert invitation.email_sent_at is not None
        # Only a hash of the 256-bit token is stored.
        token = link.rstrip("/").rsplit("/", 1)[1]
        assert len(token) >= 43 and token not in invitation.token_hash

    client.logout()
    page = client.get(path_of(link))
    assert page.status_code == 200 and b"Nora" not in page.content
    bad = client.post(path_of(link), {"name": "Nora", "password1": "x", "password2": "y"})
    assert bad.status_code == 400 and not User.objects.filter(email="new.person@example.com")
    response = client.post(
        path_of(link),
        {"name": "Nora Nyberg", "password1": "fine-pass-2468", "password2": "fine-pass-2468"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard", args=[firm_a.firm.slug])
    user = User.objects.get(email="new.person@example.com")
    with firm_context(firm_a.firm):
        assert Membership.objects.get(user=user).role == "admin"
        assert AuditEntry.objects.filter(action="member.joined", actor=user).exists()
    assert client.get(response["Location"]).status_code == 200  # logged in, inside the firm

    # The link works once.
    client.logout()
    reused = client.get(path_of(link))
    assert reused.status_code == 410
    assert reused.context["reason"] == "used"


@pytest.mark.django_db(transaction=True)
def test_running_the_send_twice_sends_once(celery_worker, firm_a):
    with firm_context(firm_a.firm):
        invitation = services.invitation_create(
            firm=firm_a.firm, invited_by=firm_a.owner, email="twice@example.com", role="consultant"
        )
    wait_for(lambda: len(mail.outbox) == 1)
    # The same task again, twice, through the broker: a retry or a duplicate delivery.
    kwargs = {"firm_id": firm_a.firm.pk, "invitation_id": invitation.pk}
    repeats = [run_in_worker(send_invitation_email, **kwargs) for _ in range(2)]
    assert repeats == [False, False]
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_invitation_send_one_email(firm_a):
    """Two concurrent senders (two workers) on the same row: the row lock lets one through."""
    with firm_context(firm_a.firm):
        invitation = Invitation.objects.create(
            firm=firm_a.firm,
            email="race@example.com",
            role="consultant",
            language="en",
            expires_at=timezone.now() + timedelta(days=1),
            invited_by=firm_a.owner,
        )
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait()
            with firm_context(firm_a.firm):
                results.append(
                    services.invitation_email_send(firm=firm_a.firm, invitation_id=invitation.pk)
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_invite_client_executive_who_then_sees_only_that_client(client, celery_worker, firm_a):
    client.force_login(firm_a.consultant)
    response = client.post(
        reverse("accounts:executive_invite", args=[firm_a.firm.slug, firm_a.other_client.pk]),
        {"email": "ceo@other.example", "name": "Olga", "language": "en"},
    )
    assert response.status_code == 302
    wait_for(lambda: len(mail.outbox) == 1)
    message = mail.outbox[0]
    assert firm_a.other_client.name in message.body
    link = link_in(message)
    client.logout()
    response = client.post(
        path_of(link),
        {"name": "Olga", "password1": "olga-pass-1357", "password2": "olga-pass-1357"},
    )
    portal = reverse("reports:portal", args=[firm_a.firm.slug, firm_a.other_client.pk])
    assert response["Location"] == portal
    assert client.get(portal).status_code == 200
    assert (
        client.get(reverse("reports:portal", args=[firm_a.firm.slug, firm_a.client.pk])).status_code
        == 404
    )
    assert client.get(reverse("accounts:dashboard", args=[firm_a.firm.slug])).status_code == 404
    user = User.objects.get(email="ceo@other.example")
    with firm_context(firm_a.firm):
        assert ClientExecutive.objects.get(user=user).client == firm_a.other_client
        assert not Membership.objects.filter(user=user).exists()


def _invite(world, email="x@example.com", role="consultant", client=None):
    with firm_context(world.firm):
        invitation = services.invitation_create(
            firm=world.firm, invited_by=world.owner, email=email, role=role, client=client
        )
        # The worker's job, done in-process here: these tests are about the link, not delivery.
        services.invitation_email_send(firm=world.firm, invitation_id=invitation.pk)
    return invitation, path_of(link_in(mail.outbox[-1]))


@pytest.mark.django_db
def test_duplicate_invitation_is_refused_with_a_message(client, firm_a):
    client.force_login(firm_a.owner)
    url = reverse("accounts:team_invite", args=[firm_a.firm.slug])
    data = {"email": "dup@example.com", "role": "consultant", "language": "en"}
    assert client.post(url, data).status_code == 302
    with firm_context(firm_a.firm):
        before = AuditEntry.objects.count()
    response = client.post(url, {**data, "email": "DUP@example.com"})
    assert response.status_code == 400
    assert form_error_codes(response, "invite_form")["email"] == {"invitation_pending"}
    with firm_context(firm_a.firm):
        assert Invitation.objects.filter(email="dup@example.com").count() == 1
        assert AuditEntry.objects.count() == before
        assert OutboxTask.objects.count() == 1
    # Existing colleagues cannot be invited again either.
    response = client.post(url, {**data, "email": firm_a.consultant.email})
    assert response.status_code == 400
    assert form_error_codes(response, "invite_form")["email"] == {"already_member"}


@pytest.mark.django_db
def test_bad_invitation_input_gives_field_errors(client, firm_a):
    client.force_login(firm_a.owner)
    url = reverse("accounts:team_invite", args=[firm_a.firm.slug])
    response = client.post(url, {"email": "not-an-email", "role": "owner", "language": "xx"})
    assert response.status_code == 400
    codes = form_error_codes(response, "invite_form")
    assert codes["email"] == {"invalid"}
    assert codes["role"] == {"invalid_choice"} and codes["language"] == {"invalid_choice"}
    with firm_context(firm_a.firm):
        assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_expired_link_is_refused_and_changes_nothing(client, firm_a):
    invitation, path = _invite(firm_a)
    with firm_context(firm_a.firm):
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    response = client.get(path)
    assert response.status_code == 410 and response.context["reason"] == "expired"
    response = client.post(
        path, {"name": "X", "password1": "ok-pass-9753", "password2": "ok-pass-9753"}
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="x@example.com").exists()
    # A new invitation to the same address replaces the expired one.
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("accounts:team_invite", args=[firm_a.firm.slug]),
        {"email": "x@example.com", "role": "consultant", "language": "en"},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_withdrawn_and_resent_links(client, firm_a):
    invitation, first = _invite(firm_a)
    client.force_login(firm_a.owner)
    client.post(reverse("accounts:invitation_resend", args=[firm_a.firm.slug, invitation.pk]))
    with firm_context(firm_a.firm):
        services.invitation_email_send(firm=firm_a.firm, invitation_id=invitation.pk)
    second = path_of(link_in(mail.outbox[-1]))
    assert first != second
    client.logout()
    assert client.get(first).status_code == 404  # a resend replaces the old link
    assert client.get(second).status_code == 200
    client.force_login(firm_a.owner)
    client.post(reverse("accounts:invitation_revoke", args=[firm_a.firm.slug, invitation.pk]))
    client.logout()
    response = client.get(second)
    assert response.status_code == 410 and response.context["reason"] == "revoked"


@pytest.mark.django_db
def test_unknown_or_tampered_token_and_other_firms_token(client, firm_a, firm_b):
    _invitation, path = _invite(firm_b, email="b-invitee@example.com")
    token = path.rstrip("/").rsplit("/", 1)[1]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 300, "short"):
        response = client.get(reverse("accounts:invitation", args=[firm_b.firm.slug, bad]))
        assert response.status_code == 404 and response.context["reason"] == "unknown"
    # Firm B's token under firm A's address is unknown there.
    response = client.get(reverse("accounts:invitation", args=[firm_a.firm.slug, token]))
    assert response.status_code == 404
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_existing_account_logs_in_then_accepts(client, firm_a, firm_b):
    _invitation, path = _invite(firm_b, email=firm_a.consultant.email)
    page = client.get(path)
    assert b"Log in" in page.content and b"password1" not in page.content
    client.force_login(firm_a.owner)  # the wrong person
    assert client.post(path).status_code == 403
    client.force_login(firm_a.consultant)
    response = client.post(path)
    assert response.status_code == 302
    with firm_context(firm_b.firm):
        assert Membership.objects.get(user=firm_a.consultant).role == "consultant"


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_sweep_republishes_an_invitation_whose_task_was_lost(firm_a, firm_b):
    from accounts.tasks import invitation_sweep

    with firm_context(firm_a.firm):
        # Asked for, but the task never ran (this test's transaction never commits).
        lost = services.invitation_create(
            firm=firm_a.firm, invited_by=firm_a.owner, email="lost@example.com", role="consultant"
        )
        young = services.invitation_create(
            firm=firm_a.firm, invited_by=firm_a.owner, email="young@example.com", role="admin"
        )
        Invitation.objects.filter(pk=lost.pk).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
    _sent, _path = _invite(firm_b, email="sent@example.com")
    with firm_context(firm_b.firm):
        Invitation.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    OutboxTask.objects.all().delete()
    # Inside this transaction the sweep's outbox row is read before it would be published.
    with transaction.atomic():
        assert invitation_sweep() == 1
        (task,) = OutboxTask.objects.all()
        assert task.task_name == "accounts.send_invitation_email"
        assert task.kwargs == {"firm_id": firm_a.firm.pk, "invitation_id": lost.pk}
        transaction.set_rollback(True)
    assert young.pk != lost.pk


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_the_invitation_unclaimed_for_the_retry(firm_a, settings):
    import socket

    from pmo_platform.delivery import Deferred

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    with firm_context(firm_a.firm):
        invitation = services.invitation_create(
            firm=firm_a.firm, invited_by=firm_a.owner, email="later@example.com", role="admin"
        )
        with pytest.raises(Deferred, match="Connection refused"):
            services.invitation_email_send(firm=firm_a.firm, invitation_id=invitation.pk)
        invitation.refresh_from_db()
        assert invitation.email_sent_at is None and invitation.token_hash == ""
