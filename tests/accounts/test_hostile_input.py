"""Hostile and odd input on the accounts side: logo headers claiming huge sizes, control
characters in firm, client, sender and people's names, the subject of invitation emails built
from old bad rows, and the neutral page for unknown invitation links."""

import re
import struct
import zlib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services
from accounts.models import AuditEntry, Branding, ClientOrganisation, Firm, User
from pmo_platform.error_codes import PlatformErrorCode
from pmo_platform.tenancy import firm_context
from tests.helpers import brand, form_error_codes

from .test_account_flows import SIGNUP
from .test_branding import VALID, post, state

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims `width` x `height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(20_000, 20_000), (10_000, 10_000), (100_000, 1), (2001, 1)])
def test_logo_headers_claiming_huge_sizes_are_refused(client, firm_a, size):
    client.force_login(firm_a.owner)
    before = state(firm_a)
    upload = SimpleUploadedFile("bomb.png", png_claiming(*size), content_type="image/png")
    response = post(client, firm_a, {**VALID, "logo": upload})
    assert response.status_code == 400
    assert "too_many_pixels" in form_error_codes(response)["logo"]
    assert state(firm_a) == before


@pytest.mark.parametrize(
    "value", ["Alpha\rInsights", "Alpha\x00", "Alpha\u2028Insights", "Al\x85pha", "Alpha\x1b"]
)
def test_sender_names_with_control_characters_are_refused(client, firm_a, value):
    client.force_login(firm_a.owner)
    before = state(firm_a)
    response = post(client, firm_a, {**VALID, "sender_name": value})
    assert response.status_code == 400
    assert form_error_codes(response)["sender_name"] & {
        "sender_name_invalid",
        "null_characters_not_allowed",  # Django's own check comes first for NUL
    }
    assert state(firm_a) == before


def test_branding_service_refuses_control_characters(firm_a):
    with pytest.raises(ValidationError) as exc:
        brand(firm_a, sender_name="Alpha\r\nBcc: x@evil.example")
    assert exc.value.error_dict["sender_name"][0].code == PlatformErrorCode.CONTROL_CHARACTERS


@pytest.mark.parametrize(
    "name", ["Globex\rRetail", "Globex\nRetail", "Globex\x00", "Glo\u2029bex", "\x7fGlobex"]
)
def test_client_names_with_control_characters_are_refused(client, firm_a, name):
    client.force_login(firm_a.consultant)
    with firm_context(firm_a.firm):
        before = (ClientOrganisation.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("accounts:client_create", args=[firm_a.firm.slug]),
        {"name": name, "industry": "retail", "size_band": "5000+", "country": "DK"},
    )
    assert PlatformErrorCode.CONTROL_CHARACTERS in form_error_codes(response)["name"]
    with firm_context(firm_a.firm):
        assert (ClientOrganisation.objects.count(), AuditEntry.objects.count()) == before


def test_client_services_refuse_control_characters(firm_a):
    with firm_context(firm_a.firm):
        for call, extra in (
            (services.client_create, {}),
            (services.client_update, {"client": firm_a.client}),
        ):
            with pytest.raises(ValidationError) as exc:
                call(
                    firm=firm_a.firm,
                    actor=firm_a.owner,
                    name="Evil\r\nBcc: x@y",
                    industry="retail",
                    size_band="5000+",
                    country="DK",
                    **extra,
                )
            assert exc.value.error_dict["name"][0].code == PlatformErrorCode.CONTROL_CHARACTERS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("firm_name", "Berg\r\nPartners"),
        ("firm_name", "Berg\x00"),
        ("name", "Sara\nBerg"),
        ("firm_name", "B" * 100_000),
    ],
)
def test_sign_up_refuses_control_characters_and_huge_names(client, field, value):
    response = client.post(reverse("account_signup"), {**SIGNUP, field: value})
    assert response.status_code == 200
    assert form_error_codes(response)[field] & {PlatformErrorCode.CONTROL_CHARACTERS, "max_length"}
    assert not User.objects.exists() and not Firm.objects.exists()


def test_firm_signup_service_refuses_control_characters():
    owner = User.objects.create_user("o@x.example", "pw-owner-123!", name="O")
    with pytest.raises(ValidationError) as exc:
        services.firm_signup(owner=owner, firm_name="Firm\rBcc: x@y")
    assert exc.value.error_dict["firm_name"][0].code == PlatformErrorCode.CONTROL_CHARACTERS
    assert not Firm.objects.exists()


def test_invitation_name_with_control_characters_is_refused(client, firm_a):
    client.force_login(firm_a.owner)
    response = client.post(
        reverse("accounts:team_invite", args=[firm_a.firm.slug]),
        {"email": "n@x.example", "name": "Nils\r\nX", "role": "consultant", "language": "en"},
    )
    assert response.status_code in (200, 302, 400)
    from accounts.models import Invitation

    with firm_context(firm_a.firm):
        assert not Invitation.objects.filter(email="n@x.example").exists()


def test_invitation_subject_survives_old_bad_firm_and_client_names(firm_a):
    """A firm and a client stored with a carriage return before the checks existed."""

    Firm.objects.filter(pk=firm_a.firm.pk).update(name="Alpha\rBcc: x@evil.example")
    firm_a.firm.refresh_from_db()
    with firm_context(firm_a.firm):
        ClientOrganisation.objects.filter(pk=firm_a.client.pk).update(name="Client\r\nX: y")
        Branding.objects.filter(firm=firm_a.firm).update(sender_name="")
        client = ClientOrganisation.objects.get(pk=firm_a.client.pk)
        invitation = services.invitation_create(
            firm=firm_a.firm,
            invited_by=firm_a.owner,
            email="e@x.example",
            role="executive",
            client=client,
        )
        assert services.invitation_email_send(firm=firm_a.firm, invitation_id=invitation.pk)
    message = mail.outbox[-1]
    message.message()  # the headers as Django sends them
    assert not re.search(r"[\r\n]", message.subject + message.from_email)
    assert "Alpha Bcc: x@evil.example" in message.subject


def _without_request_details(response):
    page = response.content.decode().replace(response.request["PATH_INFO"], "PATH")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_unknown_invitation_page_is_the_same_under_any_firm_or_none(client, firm_a):
    brand(firm_a)
    real = client.get(reverse("accounts:invitation", args=[firm_a.firm.slug, "no-such-token"]))
    missing = client.get(reverse("accounts:invitation", args=["no-such-firm", "no-such-token"]))
    assert real.status_code == missing.status_code == 404
    assert _without_request_details(real) == _without_request_details(missing)
    page = real.content.decode()
    assert firm_a.firm.name not in page and "logo" not in page and "#7A1F5C" not in page
    assert "This invitation link is not valid" in page


def test_unknown_logo_digest_looks_the_same_under_any_firm_or_none(client, firm_a):
    brand(firm_a)
    real = client.get(reverse("accounts:logo", args=[firm_a.firm.slug, "0" * 64]))
    missing = client.get(reverse("accounts:logo", args=["no-such-firm", "0" * 64]))
    assert real.status_code == missing.status_code == 404
    assert _without_request_details(real) == _without_request_details(missing)
    assert firm_a.firm.name not in real.content.decode()
