"""Two-factor authentication: required for platform operators before the admin works, and for
all members of a firm that asks for it. Real allauth flows: reauthentication, TOTP enrolment
with the current code, login with the code."""

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.conf import settings
from django.urls import reverse

from accounts.error_codes import AccountsErrorCode as Code
from accounts.models import AuditEntry, Firm, User
from pmo_platform.tenancy import firm_context
from tests.accounts.test_account_flows import current_code, verified
from tests.helpers import form_error_codes

pytestmark = pytest.mark.django_db
ADMIN = f"/{settings.ADMIN_URL_PATH}/"


def enrol_totp(client, password) -> str:
    """Set up an authenticator app the way a person does: password again, then a code."""
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]:
        assert client.post(response["Location"], {"password": password}).status_code == 302
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    return secret


def totp_setup_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("mfa_activate_totp")
    )


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_operators_need_totp_before_the_admin_works(client):
    password = "pw-operator-123!"
    operator = User.objects.create_user(
        "op@pmo.example", password, is_staff=True, is_superuser=True
    )
    verified(operator)
    # The admin's own password-only login is not used: it sends operators to allauth's login.
    response = client.post(f"{ADMIN}login/", {"username": operator.email, "password": password})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session

    login = {"login": operator.email, "password": password}
    assert client.post(reverse("account_login"), login).status_code == 302
    response = client.get(ADMIN)
    assert totp_setup_redirect(response)
    assert client.get(f"{ADMIN}accounts/firm/").status_code == 302

    secret = enrol_totp(client, password)
    assert client.get(ADMIN).status_code == 200

    # From now on the password alone does not open the admin.
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), login)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(ADMIN).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_firm_can_require_two_factor_of_all_members(client, firm_a):
    security = reverse("accounts:security", args=[firm_a.firm.slug])
    dashboard = reverse("accounts:dashboard", args=[firm_a.firm.slug])
    client.force_login(firm_a.owner)
    # Switching it on without an authenticator of one's own is refused; nothing changes.
    response = client.post(security, {"require_two_factor": "on"})
    assert response.status_code == 400
    assert Code.TWO_FACTOR_NOT_ENROLLED in form_error_codes(response)["require_two_factor"]
    assert not Firm.objects.get(pk=firm_a.firm.pk).require_two_factor

    enrol_totp(client, "pw-owner-123!")
    assert client.post(security, {"require_two_factor": "on"}).status_code == 302
    assert Firm.objects.get(pk=firm_a.firm.pk).require_two_factor
    with firm_context(firm_a.firm):
        entry = AuditEntry.objects.get(action="firm.two_factor_required")
        assert entry.actor == firm_a.owner and entry.data == {"required": True}
    assert client.get(dashboard).status_code == 200  # the owner has an authenticator

    # A consultant without one is sent to set it up before any firm page ...
    client.force_login(firm_a.consultant)
    for page in (dashboard, reverse("assessments:campaign_list", args=[firm_a.firm.slug])):
        response = client.get(page)
        assert totp_setup_redirect(response)
    # ... and after setting it up, gets in.
    enrol_totp(client, "pw-consultant-123!")
    assert client.get(dashboard).status_code == 200

    # Consultants cannot change the setting; managers can switch it off again.
    assert client.post(security, {}).status_code == 404
    client.force_login(firm_a.owner)
    assert client.post(security, {}).status_code == 302
    assert not Firm.objects.get(pk=firm_a.firm.pk).require_two_factor


def test_another_firms_requirement_does_not_apply(client, firm_a, firm_b):
    Firm.objects.filter(pk=firm_b.firm.pk).update(require_two_factor=True)
    client.force_login(firm_a.consultant)
    assert client.get(reverse("accounts:dashboard", args=[firm_a.firm.slug])).status_code == 200


def test_admin_login_for_a_signed_in_non_operator_is_a_404_not_a_loop(client, firm_a):
    client.force_login(firm_a.owner)
    client.raise_request_exception = False
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 404
    assert len(response.redirect_chain) <= 2
