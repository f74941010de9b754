"""Branding: validated colours and logos; bad input changes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import AuditEntry, Branding
from pmo_platform.tenancy import firm_context
from tests.helpers import form_error_codes

pytestmark = pytest.mark.django_db

VALID = {
    "sender_name": "Alpha Insights",
    "reply_to": "hello@alpha.example",
    "primary_color": "#1f4e79",
    "accent_color": "#8A5A00",
    "email_footer": "Alpha Advisory AB",
    "default_language": "sv",
}


def image_bytes(fmt="PNG", size=(120, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1F4E79").save(buffer, format=fmt)
    return buffer.getvalue()


def state(world):
    with firm_context(world.firm):
        branding = Branding.objects.get()
        return (
            [getattr(branding, f) for f in VALID] + [branding.logo_sha256],
            AuditEntry.objects.count(),
        )


@pytest.fixture
def owner_client(client, firm_a):
    client.force_login(firm_a.owner)
    return client


def post(client, world, data):
    return client.post(reverse("accounts:branding", args=[world.firm.slug]), data)


def test_owner_saves_branding_and_logo(owner_client, firm_a):
    logo = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
    response = post(owner_client, firm_a, {**VALID, "logo": logo})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        branding = Branding.objects.get()
        entry = AuditEntry.objects.get(action="branding.updated")
    assert branding.primary_color == "#1F4E79" and branding.default_language == "sv"
    assert entry.actor == firm_a.owner and entry.data["logo"] == "replaced"
    logo_url = reverse("accounts:logo", args=[firm_a.firm.slug, branding.logo_sha256])
    response = owner_client.get(logo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert bytes(response.content) == bytes(branding.logo)
    # Pages carry the firm's colours.
    page = owner_client.get(reverse("accounts:dashboard", args=[firm_a.firm.slug]))
    assert b"--brand: #1F4E79" in page.content and logo_url.encode() in page.content
    # The logo is public (emails show it) but only under its own firm and digest.
    owner_client.logout()
    assert owner_client.get(logo_url).status_code == 200
    assert owner_client.get(logo_url.replace(branding.logo_sha256, "0" * 64)).status_code == 404

    response = post(owner_client.__class__(), firm_a, VALID)  # anonymous
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("primary_color", "#12345", "invalid_color"),
        ("primary_color", "red", "invalid_color"),
        ("accent_color", "#GGGGGG", "invalid_color"),
        ("primary_color", "#FFFF00", "low_contrast"),
        ("sender_name", "Alpha\r\nBcc: x@evil.example", "sender_name_invalid"),
        ("reply_to", "not-an-address", "invalid"),
        ("default_language", "de", "invalid_choice"),
        ("sender_name", "", "required"),
    ],
)
def test_bad_branding_input_is_refused_and_changes_nothing(
    owner_client, firm_a, field, value, code
):
    before = state(firm_a)
    response = post(owner_client, firm_a, {**VALID, field: value})
    assert response.status_code == 400
    assert code in form_error_codes(response)[field]
    assert state(firm_a) == before


def _oversize_png():
    # Random pixels do not compress: well over the 512 KB limit.
    import os

    image = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("logo.png", b"this is not an image at all", "not_image"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not_image",
        ),
        ("logo.gif", image_bytes("GIF"), "bad_format"),
        ("logo.png", image_bytes(size=(2500, 10)), "too_many_pixels"),
        ("huge.png", _oversize_png(), "too_large"),
        ("cut.png", image_bytes()[:60], "not_image"),
    ],
)
def test_bad_logo_is_refused_and_changes_nothing(owner_client, firm_a, name, content, code):
    before = state(firm_a)
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = post(owner_client, firm_a, {**VALID, "logo": upload})
    assert response.status_code == 400
    assert code in form_error_codes(response)["logo"]
    assert state(firm_a) == before


def test_logo_can_be_removed(owner_client, firm_a):
    logo = SimpleUploadedFile("logo.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    post(owner_client, firm_a, {**VALID, "logo": logo})
    response = post(owner_client, firm_a, {**VALID, "remove_logo": "on"})
    assert response.status_code == 302
    with firm_context(firm_a.firm):
        assert not Branding.objects.get().has_logo
