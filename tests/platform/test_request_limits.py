"""Request bodies: a form body over DATA_UPLOAD_MAX_MEMORY_SIZE, or with too many fields, is a
friendly 400 page (never a 500) and writes nothing; files are bounded by their own limits."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import ClientOrganisation
from pmo_platform.tenancy import firm_context

pytestmark = pytest.mark.django_db


def test_the_limits_are_sane():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 512 * 1024
    assert 200 <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10


def _create_client(client, firm_a, **data):
    client.force_login(firm_a.consultant)
    form = {"name": "Globex", "industry": "retail", "size_band": "5000+", "country": "DK"}
    return client.post(reverse("accounts:client_create", args=[firm_a.firm.slug]), form | data)


def _refused(response):
    assert response.status_code == 400
    assert [t.name for t in response.templates][:1] == ["400.html"]
    assert b'id="bad-request"' in response.content
    assert response.context["too_large"] is True


def test_an_oversize_form_body_is_a_400_page_and_writes_nothing(client, firm_a):
    _refused(_create_client(client, firm_a, industry="x" * (600 * 1024)))
    with firm_context(firm_a.firm):
        assert not ClientOrganisation.objects.filter(name="Globex").exists()


def test_too_many_fields_is_a_400_page(client, firm_a):
    extra = {f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    _refused(_create_client(client, firm_a, **extra))
    with firm_context(firm_a.firm):
        assert not ClientOrganisation.objects.filter(name="Globex").exists()


def test_an_oversize_public_post_is_a_400_page(client):
    response = client.post(reverse("account_login"), {"login": "a" * (600 * 1024), "password": "x"})
    assert response.status_code == 400 and b'id="bad-request"' in response.content


def test_a_body_under_the_limit_still_works(client, firm_a):
    response = _create_client(client, firm_a, industry="retail")
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        assert ClientOrganisation.objects.filter(name="Globex").exists()
