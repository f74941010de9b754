"""The email provider's webhook: only the configured provider's tracking URL exists, it refuses
calls without the basic-auth secret, and a provider backend without a secret does not start."""

import base64
import json

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from assessments.models import Respondent
from pmo_platform.tenancy import firm_context
from tests.assessments.test_campaigns import make

SECRET = "hook-user:hook-pass-2026"


@pytest.fixture
def postmark(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token", "WEBHOOK_SECRET": SECRET}
    return settings


def basic(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def bounce_payload(firm_id, respondent):
    return json.dumps(
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "MessageID": "00000000-0000-0000-0000-000000000001",
            "Email": respondent.email,
            "Metadata": {"firm_id": str(firm_id), "respondent_id": str(respondent.pk)},
            "BouncedAt": "2026-01-01T10:00:00Z",
        }
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/anymail/mailgun/inbound/",
        "/anymail/mailgun/tracking/",
        "/anymail/sendgrid/tracking/",
        "/anymail/postmark/inbound/",
        "/anymail/mandrill/",
        "/anymail/amazon_ses/tracking/",
    ],
)
def test_other_providers_and_inbound_paths_are_404(client, postmark, path):
    client.raise_request_exception = False
    assert client.post(path, "{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_no_provider_no_webhook(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.raise_request_exception = False
    response = client.post("/anymail/postmark/tracking/", "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("auth", [None, basic("hook-user:wrong"), basic("someone:else")])
def test_tracking_webhook_refuses_missing_or_wrong_auth(client, postmark, firm_a, auth):
    make(firm_a)
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get()
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    client.raise_request_exception = False
    response = client.post(
        "/anymail/postmark/tracking/",
        bounce_payload(firm_a.firm.pk, respondent),
        content_type="application/json",
        **headers,
    )
    assert response.status_code in {400, 401, 403}
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().bounced_at is None


@pytest.mark.django_db
def test_tracking_webhook_without_a_configured_secret_is_refused(client, postmark, firm_a):
    postmark.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token"}
    make(firm_a)
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get()
    client.raise_request_exception = False
    response = client.post(
        "/anymail/postmark/tracking/",
        bounce_payload(firm_a.firm.pk, respondent),
        content_type="application/json",
    )
    assert response.status_code == 403
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().bounced_at is None


@pytest.mark.django_db
def test_tracking_webhook_with_the_secret_marks_the_bounce(client, postmark, firm_a):
    make(firm_a)
    with firm_context(firm_a.firm):
        respondent = Respondent.objects.get()
    response = client.post(
        "/anymail/postmark/tracking/",
        bounce_payload(firm_a.firm.pk, respondent),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(SECRET),
    )
    assert response.status_code == 200
    with firm_context(firm_a.firm):
        assert Respondent.objects.get().bounced_at is not None


def test_provider_backend_without_secret_is_a_check_error(settings):
    from pmo_platform.checks import refuse_unsafe_start

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token"}
    errors = [m for m in run_checks() if m.id == "pmo.E002"]
    assert len(errors) == 1 and errors[0].is_serious()
    with pytest.raises(ImproperlyConfigured, match=r"pmo\.E002"):
        refuse_unsafe_start()
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert [m for m in run_checks() if m.id == "pmo.E002"] == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.ANYMAIL = {}
    assert [m for m in run_checks() if m.id == "pmo.E002"] == []


def test_development_key_is_a_deploy_check_error(settings):
    from pmo_platform.checks import refuse_unsafe_start

    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "pmo.E001"]
    assert len(errors) == 1 and errors[0].is_serious()
    assert "pmo.E001" not in {m.id for m in run_checks()}  # only --deploy
    settings.DEVELOPMENT = False
    with pytest.raises(ImproperlyConfigured, match=r"pmo\.E001"):
        refuse_unsafe_start()
    settings.DEVELOPMENT = True
    refuse_unsafe_start()
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.DEVELOPMENT = False
    refuse_unsafe_start()
