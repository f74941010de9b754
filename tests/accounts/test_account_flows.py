"""Sign-up of a firm, email verification, login, logout, password reset and TOTP (allauth)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, Branding, Firm, Membership, User
from pmo_platform.tenancy import firm_context
from tests.helpers import form_error_codes, wait_for

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Sara Berg",
    "firm_name": "Berg & Partners",
    "email": "Sara@Berg.example",
    "password1": "a-long-secret-9876",
    "password2": "a-long-secret-9876",
}


def current_code(secret):
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


@pytest.mark.django_db(transaction=True)
def test_sign_up_a_firm_verify_email_and_become_owner(client, celery_worker):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="sara@berg.example")
    assert user.name == "Sara Berg"
    firm = Firm.objects.get(name="Berg & Partners")
    assert firm.slug == "berg-partners"

    # Mandatory verification: no access until the emailed link is followed. The worker sends it.
    wait_for(lambda: len(mail.outbox) == 1)
    confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    assert client.get(reverse("home")).status_code == 200  # landing, not logged in
    response = client.post(confirm.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert response.status_code == 302
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard", args=[firm.slug])

    with firm_context(firm):
        membership = Membership.objects.get()
        assert (membership.user, membership.role) == (user, "owner")
        assert Branding.objects.get().sender_name == "Berg & Partners"
        assert AuditEntry.objects.filter(action="firm.created", actor=user).exists()


def test_sign_up_with_bad_input_creates_nothing(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "firm_name": "", "password2": "x"})
    assert response.status_code == 200
    assert "required" in form_error_codes(response)["firm_name"]
    assert not User.objects.exists() and not Firm.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sign_up_twice_with_same_email_is_refused(client, firm_a, celery_worker):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=firm_a.owner, email=firm_a.owner.email, verified=True)
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": firm_a.owner.email})
    # allauth does not reveal that the address is taken; it mails the owner of the address.
    assert response.status_code == 302
    assert Firm.objects.count() == 1 and User.objects.filter(email=firm_a.owner.email).count() == 1
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == [firm_a.owner.email]


def verified(user):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@pytest.mark.django_db(transaction=True)
def test_login_logout_and_password_reset(client, firm_a, celery_worker):
    verified(firm_a.consultant)
    response = client.post(
        reverse("account_login"), {"login": "consultant@alpha.example", "password": "wrong"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session

    response = client.post(
        reverse("account_login"),
        {"login": "CONSULTANT@alpha.example", "password": "pw-consultant-123!"},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(firm_a.consultant.pk)
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session

    client.post(reverse("account_reset_password"), {"email": "consultant@alpha.example"})
    wait_for(lambda: len(mail.outbox) == 1)
    path = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)[1]
    response = client.get(path, follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_path, {"password1": "brand-new-pass-555", "password2": "brand-new-pass-555"}
    )
    assert response.status_code == 302
    firm_a.consultant.refresh_from_db()
    assert firm_a.consultant.check_password("brand-new-pass-555")


def test_totp_two_factor_can_be_switched_on_and_is_then_required(client, firm_a):
    user = firm_a.consultant
    verified(user)
    login = {"login": user.email, "password": "pw-consultant-123!"}
    assert client.post(reverse("account_login"), login).status_code == 302

    # Switching on 2FA asks for the password again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("account_reauthenticate")
    )
    response = client.post(response["Location"], {"password": "pw-consultant-123!"})
    assert response.status_code == 302
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200  # wrong code: form error, nothing activated
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), login)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_language_switch_translates_pages_and_is_remembered(client, firm_a):
    client.force_login(firm_a.consultant)
    dashboard = reverse("accounts:dashboard", args=[firm_a.firm.slug])
    assert b"Clients" in client.get(dashboard).content
    response = client.post(reverse("set_language"), {"language": "sv", "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    page = client.get(dashboard)
    assert page.content.decode().count("Kunder") >= 1
    assert '<html lang="sv">' in page.content.decode()
    firm_a.consultant.refresh_from_db()
    assert firm_a.consultant.language == "sv"
    # An unsafe redirect target is ignored.
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_account_language_applies_after_login(client, firm_a):
    firm_a.consultant.language = "sv"
    firm_a.consultant.save()
    client.force_login(firm_a.consultant)
    page = client.get(reverse("accounts:team", args=[firm_a.firm.slug]))
    assert '<html lang="sv">' in page.content.decode()
