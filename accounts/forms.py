"""Forms parse and validate input; services do the writing."""

from __future__ import annotations

import io
import re
import warnings

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField
from PIL import Image, UnidentifiedImageError

from pmo_platform.forms import BoundedDateTimeField, TextField
from pmo_platform.text import has_control_characters

from . import services
from .api.scopes import scope_choices
from .error_codes import AccountsErrorCode
from .models import (
    EMAIL_RATE_RANGE,
    SUBSCRIBABLE_EVENTS,
    Industry,
    InvitationRole,
    Language,
    Role,
    SizeBand,
    WebhookEventType,
)

HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class FirmSignupForm(forms.Form):
    """Extra fields on allauth's sign-up form: every sign-up creates a consultancy firm."""

    name = TextField(label=_("Your name"), max_length=150)
    firm_name = TextField(label=_("Firm name"), max_length=120)

    field_order = ["name", "firm_name", "email", "password1", "password2"]

    def signup(self, request, user):
        language = (get_language() or "en")[:2]
        user.name = self.cleaned_data["name"].strip()
        user.language = language if language in Language.values else Language.ENGLISH
        user.save(update_fields=["name", "language"])
        services.firm_signup(
            owner=user, firm_name=self.cleaned_data["firm_name"], language=user.language
        )


def relative_luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_color: str) -> float:
    return 1.05 / (relative_luminance(hex_color) + 0.05)


class ColorField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "color"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not HEX_COLOR.match(value or ""):
            raise forms.ValidationError(
                _("Enter a colour as # followed by six hexadecimal digits, for example #1F4E79."),
                code=AccountsErrorCode.INVALID_COLOR,
            )
        if contrast_with_white(value) < 4.5:
            raise forms.ValidationError(
                _(
                    "This colour is too light for white text on buttons and headers "
                    "(contrast %(ratio)s:1, at least %(minimum)s:1 is needed). "
                    "Choose a darker shade."
                ),
                code=AccountsErrorCode.LOW_CONTRAST,
                params={
                    "ratio": formats.number_format(contrast_with_white(value), 1),
                    "minimum": formats.number_format(4.5, 1),
                },
            )
        return value.upper()


class TwoFactorPolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for all members"),
        help_text=_(
            "Members without an authenticator app are asked to set one up before they can open "
            "any page of the firm."
        ),
        required=False,
    )


class EmailRateForm(forms.Form):
    email_rate_per_minute = forms.IntegerField(
        label=_("Campaign emails per minute"),
        help_text=_(
            "How fast invitations and reminders of a campaign go out, across all senders. Leave "
            "it empty for the platform's default. A respondent's own emails (their result, a "
            "resent invitation) are not held back by it."
        ),
        required=False,
    )

    def clean_email_rate_per_minute(self):
        value = self.cleaned_data["email_rate_per_minute"]
        low, high = EMAIL_RATE_RANGE
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                _("Choose between %(low)s and %(high)s emails a minute, or leave it empty."),
                code=AccountsErrorCode.EMAIL_RATE_OUT_OF_RANGE,
                params={"low": low, "high": high},
            )
        return value


class BrandingForm(forms.Form):
    sender_name = forms.CharField(
        label=_("Sender name"),
        max_length=80,
        help_text=_("Shown as the sender of invitations and results emails."),
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        required=False,
        help_text=_("Where replies to your emails go."),
    )
    primary_color = ColorField(label=_("Primary colour"))
    accent_color = ColorField(label=_("Accent colour"))
    email_footer = TextField(
        label=_("Email footer"),
        required=False,
        max_length=1000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Plain text at the bottom of every email, e.g. your address."),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=Language.choices)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most %(kb)s KB and %(px)s pixels wide or high.")
        % {"kb": settings.LOGO_MAX_BYTES // 1024, "px": settings.LOGO_MAX_PIXELS},
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    def clean_sender_name(self):
        value = self.cleaned_data["sender_name"].strip()
        if has_control_characters(value) or any(ch in value for ch in '<>"'):
            raise forms.ValidationError(
                _('The sender name cannot contain line breaks, <, > or ".'),
                code=AccountsErrorCode.SENDER_NAME_INVALID,
            )
        return value

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > settings.LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("The logo is too large (%(size)s KB); the limit is %(limit)s KB."),
                code=AccountsErrorCode.LOGO_TOO_LARGE,
                params={"size": upload.size // 1024, "limit": settings.LOGO_MAX_BYTES // 1024},
            )
        content = upload.read()
        try:
            with warnings.catch_warnings():
                # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as image:
                    image_format = image.format
                    width, height = image.size
                    if max(width, height) <= settings.LOGO_MAX_PIXELS:
                        image.verify()  # decode only what has passed the size check
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # The header claims more pixels than Pillow will ever decode (20,000 by 20,000).
            raise forms.ValidationError(
                _("The logo has far too many pixels; at most %(max)s pixels per side."),
                code=AccountsErrorCode.LOGO_TOO_MANY_PIXELS,
                params={"max": settings.LOGO_MAX_PIXELS},
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise forms.ValidationError(
                _("This file is not an image we can use. Upload a PNG, JPEG or WebP file."),
                code=AccountsErrorCode.LOGO_NOT_IMAGE,
            ) from None
        if image_format not in LOGO_FORMATS:
            raise forms.ValidationError(
                _("Upload a PNG, JPEG or WebP file (this one is %(format)s)."),
                code=AccountsErrorCode.LOGO_BAD_FORMAT,
                params={"format": image_format},
            )
        if max(width, height) > settings.LOGO_MAX_PIXELS:
            raise forms.ValidationError(
                _("The logo is %(w)s×%(h)s pixels; at most %(max)s pixels per side."),
                code=AccountsErrorCode.LOGO_TOO_MANY_PIXELS,
                params={"w": width, "h": height, "max": settings.LOGO_MAX_PIXELS},
            )
        return content, LOGO_FORMATS[image_format]


class ClientForm(forms.Form):
    name = TextField(label=_("Name"), max_length=160)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    size_band = forms.ChoiceField(label=_("Size"), choices=SizeBand.choices)
    country = LazyTypedChoiceField(label=_("Country"), choices=countries)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(
                _("Enter the client's name."), code=AccountsErrorCode.CLIENT_NAME_REQUIRED
            )
        return name


class ColleagueInvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    name = TextField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (InvitationRole.CONSULTANT, Role.CONSULTANT.label),
            (Role.ADMIN, Role.ADMIN.label),
        ],
    )
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)


class ExecutiveInvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    name = TextField(label=_("Name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.CONSULTANT, Role.CONSULTANT.label), (Role.ADMIN, Role.ADMIN.label)],
    )


class AcceptInvitationForm(forms.Form):
    """For someone without an account: the email comes from the invitation."""

    name = TextField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"), max_length=512, widget=forms.PasswordInput, strip=False
    )
    password2 = forms.CharField(
        label=_("Password (again)"), max_length=512, widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            from .models import User

            try:
                password_validation.validate_password(
                    p1, User(email=self.email, name=data.get("name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiKeyForm(forms.Form):
    name = TextField(
        label=_("Name"), max_length=80, help_text=_("What the key is for, e.g. “CRM sync”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), widget=forms.CheckboxSelectMultiple, choices=scope_choices
    )
    expires_at = BoundedDateTimeField(
        label=_("Expires"),
        required=False,
        help_text=_("Optional. Leave empty for a key that does not expire."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class WebhookEndpointForm(forms.Form):
    """A webhook endpoint's settings; the URL rules (https, no private address) are the
    service's (`services.webhooks.validate_endpoint_url`)."""

    url = TextField(
        label=_("Endpoint URL"),
        max_length=settings.WEBHOOK_URL_MAX_LENGTH,
        help_text=_("An https:// address that accepts POST requests with a JSON body."),
    )
    description = TextField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[
            (value, label)
            for value, label in WebhookEventType.choices
            if value in SUBSCRIBABLE_EVENTS
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
