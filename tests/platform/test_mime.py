"""The fast serializer of a built email (pmo_platform/mime.py) writes exactly the bytes the
standard library writes, for the emails the platform sends and for awkward headers."""

import random

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from accounts.selectors import branding_for_firm
from assessments.models import EmailKind, EmailLog, Respondent
from assessments.services.emails import build_respondent_email
from pmo_platform import delivery, mime
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

AWKWARD = [
    "plain",
    "two  spaces inside",
    " leading space",
    "trailing space ",
    "tab\tinside",
    "x" * 60,  # fits with a short name, not with a long one
    "word " * 20,  # long: folded
    "Åsa Öberg och kollegor",  # non-ASCII: an encoded word
    "a;b,c d",
    "",
    "=?utf-8?q?already_encoded?=",
]


def stock(message) -> bytes:
    return message.message().as_bytes(linesep="\r\n")


def fast(message) -> bytes:
    return mime.as_bytes(message.message())


FIXED = {"Date": "Wed, 02 Dec 2026 18:00:00 -0000", "Message-ID": "<fixed@pmo.example>"}


def same_bytes(message) -> tuple[bytes, bytes]:
    # Django adds a Date and a Message-ID from the clock, and the multipart boundary is
    # random: the same ones for both.
    message.extra_headers.update(FIXED)
    random.seed(1234)
    expected = stock(message)
    random.seed(1234)
    return expected, fast(message)


@pytest.mark.parametrize("value", AWKWARD)
def test_headers_are_written_as_the_standard_fold_writes_them(value):
    message = EmailMultiAlternatives(
        subject=value or "s",
        body=f"Hej {value}\n\n" + "lång rad " * 200,
        from_email=f"{value or 'x'} <noreply@pmo.example>",
        to=["Åsa <asa@example.se>", "b@example.com"],
        reply_to=["reply@example.com"],
        headers={"X-Short": value, "X-A-Much-Longer-Header-Name-Than-Usual": value},
    )
    message.attach_alternative(f"<p>{value}</p>", "text/html")
    expected, got = same_bytes(message)
    assert got == expected
    assert b"\r\n\r\n" in got and b"\n" not in got.replace(b"\r\n", b"")


def test_a_single_part_email_is_the_same_too():
    message = EmailMultiAlternatives(
        subject="Hi", body="x", from_email="a@pmo.example", to=["b@example.com"]
    )
    expected, got = same_bytes(message)
    assert got == expected


def test_a_boundary_found_in_the_body_is_drawn_again():
    random.seed(99)
    boundary = mime._Generator._make_boundary()
    message = EmailMultiAlternatives(
        subject="Hi",
        body=f"--{boundary} inside a line",
        from_email="a@pmo.example",
        to=["b@x.se"],
        headers=FIXED,
    )
    message.attach_alternative("<p>x</p>", "text/html")
    random.seed(99)
    data = fast(message)
    assert f'boundary="{boundary}.0"'.encode() in data


def test_respondent_invitations_are_byte_identical(firm_a, settings):
    settings.EMAIL_BACKEND = delivery.SMTP_BACKEND
    firm = firm_a.firm
    with firm_context(firm):
        campaign = new_campaign(firm_a, name="Mognad, våren 2027")
        add_people(
            firm_a,
            campaign,
            [
                person("orjan@example.se", name="Örjan Åkesson", language="sv"),
                person("ann@example.com", name="Ann Lee", language="en"),
                person("nameless@example.com"),
            ],
        )
        branding = branding_for_firm(firm=firm)
        branding.sender_name = "Konsult & Partner, Åre"
        branding.reply_to = "svar@example.se"
        branding.email_footer = "Rad ett\nRad två"
        respondents = Respondent.objects.filter(campaign=campaign).select_related(
            "campaign", "campaign__client"
        )
        for respondent in respondents:
            row = EmailLog(respondent=respondent, kind=EmailKind.INVITATION, sequence=0)
            message = build_respondent_email(
                firm=firm, respondent=respondent, row=row, branding=branding
            )
            expected, got = same_bytes(message)
            assert got == expected
            random.seed(1234)
            prepared = delivery.prepare(message)
            assert prepared.data == expected
            # The envelope Django's SMTP backend would give sendmail.
            assert prepared.envelope == (
                sanitize_address(message.from_email, "utf-8"),
                [sanitize_address(respondent.email, "utf-8")],
            )
