from __future__ import annotations

import codecs

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from pmo_platform.forms import BoundedDateTimeField, TextField

from .error_codes import AssessmentsErrorCode as Code
from .models import RoleLevel
from .respondent_csv import IMPORT_MAX_BYTES, csv_size_problem, not_utf8_problem
from .respondent_list import decode_key
from .services.campaign_rules import MAX_REMINDERS, REMINDER_INTERVAL_DAYS
from .services.instrument_rules import ITEM_WEIGHT


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CampaignForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    version = forms.ModelChoiceField(label=_("Instrument"), queryset=None)
    name = TextField(label=_("Name"), max_length=160)
    opens_at = BoundedDateTimeField(
        label=_("Opens"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to open as soon as you launch the campaign."),
    )
    closes_at = BoundedDateTimeField(label=_("Closes"), widget=DateTimeInput())
    default_language = forms.ChoiceField(label=_("Default language"), choices=Language.choices)
    invitation_subject_en = TextField(label=_("Invitation subject (English)"), max_length=200)
    invitation_body_en = TextField(
        label=_("Invitation text (English)"),
        max_length=4000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("You can use {name}, {client}, {firm} and {deadline}."),
    )
    invitation_subject_sv = TextField(label=_("Invitation subject (Swedish)"), max_length=200)
    invitation_body_sv = TextField(
        label=_("Invitation text (Swedish)"),
        max_length=4000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    reminder_interval_days = forms.IntegerField(
        label=_("Days between reminders"),
        min_value=REMINDER_INTERVAL_DAYS[0],
        max_value=REMINDER_INTERVAL_DAYS[1],
        initial=4,
    )
    max_reminders = forms.IntegerField(
        label=_("Reminders at most"),
        min_value=MAX_REMINDERS[0],
        max_value=MAX_REMINDERS[1],
        initial=2,
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous towards the client"),
        required=False,
        initial=True,
        help_text=_("Nobody at the client sees who answered what."),
    )
    open_link = forms.BooleanField(
        label=_("Open “take the test” link"),
        required=False,
        help_text=_("A public link anyone can use, for example on your website."),
    )

    def __init__(self, *args, clients, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: (
            f"{v.instrument.name_en} · v{v.number}"
        )

    # The rules across fields (opens before it closes, the close date in the future, the
    # placeholders) are the service's (`campaign_create`, `campaign_update`), for every caller.


class RespondentForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    name = TextField(label=_("Name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    role_level = forms.ChoiceField(
        label=_("Role level"), choices=[("", "—"), *RoleLevel.choices], required=False
    )
    department = TextField(label=_("Department"), max_length=100, required=False)


def _status_choices():
    return [
        ("", _("Any status")),
        ("queued", _("Queued")),
        ("sent", _("Sent")),
        ("opened", _("Opened")),
        ("started", _("Started")),
        ("completed", _("Completed")),
        ("bounced", _("Bounced")),
    ]


class RespondentFilterForm(forms.Form):
    """The campaign page's respondent list (GET): search, filters and where the page starts. A
    value that does not pass is shown with its error and ignored; the rest still apply."""

    q = TextField(label=_("Email contains"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_status_choices, required=False)
    role_level = forms.ChoiceField(
        label=_("Role level"),
        choices=[("", _("Any role level")), *RoleLevel.choices],
        required=False,
    )
    department = TextField(
        label=_("Department"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "respondent-departments"}),
    )
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    last = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def _key(self, name):
        value = self.cleaned_data[name]
        if not value:
            return None
        key = decode_key(value)
        if key is None:
            raise forms.ValidationError(
                _("That page link is not valid; showing the first page."), code=Code.INVALID_PAGE
            )
        return key

    def clean_after(self):
        return self._key("after")

    def clean_before(self):
        return self._key("before")


class RespondentCsvForm(forms.Form):
    """The campaign page's CSV upload: only what is cheap to check in the request (its size and
    that it is UTF-8); the worker checks every row (services/respondent_imports.py)."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email (required), name, language (en or sv), role_level "
            "(leadership, pmo, project_manager, team_member, other), department. At most 20 MB "
            "and 200,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.file_name = upload.name or ""
        # The import's own size rule, checked before the file is read.
        problem = csv_size_problem(upload.size, IMPORT_MAX_BYTES)
        if problem is not None:
            raise forms.ValidationError(problem.reason, code=problem.code)
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunks = []
        try:
            for chunk in upload.chunks():
                decoder.decode(chunk)
                chunks.append(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = not_utf8_problem()
            raise forms.ValidationError(problem.reason, code=problem.code) from None
        return b"".join(chunks)


class LeadForm(forms.Form):
    email = forms.EmailField(label=_("Your email"))
    name = TextField(label=_("Your name"), max_length=150, required=False)
    consent = forms.BooleanField(
        label=_("Email me my results and tips. I agree that %(firm)s may contact me about them."),
        required=True,
    )
    followup_opt_in = forms.BooleanField(
        label=_("Also send me a few short tips over the next two weeks"), required=False
    )

    def __init__(self, *args, firm_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = self.fields["consent"].label % {"firm": firm_name}


class ItemForm(forms.Form):
    text_en = TextField(
        label=_("Statement (English)"),
        max_length=300,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text_sv = TextField(
        label=_("Statement (Swedish)"),
        max_length=300,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reverse = forms.BooleanField(
        label=_("Reverse-scored"),
        required=False,
        help_text=_("Tick when agreeing means a weaker PMO."),
    )
    weight = forms.DecimalField(
        label=_("Weight"), min_value=ITEM_WEIGHT[0], max_value=ITEM_WEIGHT[1], decimal_places=2
    )


class NewItemForm(ItemForm):
    sign = forms.TypedChoiceField(
        label=_("Sign"),
        coerce=int,
        choices=[(n, n) for n in range(1, 10)],
        help_text=_("Which of the nine signs this statement tests."),
    )


class DimensionForm(forms.Form):
    name_en = TextField(label=_("Name (English)"), max_length=120)
    name_sv = TextField(label=_("Name (Swedish)"), max_length=120)
    description_en = TextField(
        max_length=2000,
        multiline=True,
        label=_("Description (English)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_sv = TextField(
        max_length=2000,
        multiline=True,
        label=_("Description (Swedish)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class AdviceForm(forms.Form):
    step_en = TextField(
        max_length=2000,
        multiline=True,
        label=_("Development step (English)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    step_sv = TextField(
        max_length=2000,
        multiline=True,
        label=_("Development step (Swedish)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tips_en = TextField(
        max_length=4000,
        multiline=True,
        label=_("Tips (English), one per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    tips_sv = TextField(
        max_length=4000,
        multiline=True,
        label=_("Tips (Swedish), one per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_tips_en(self):
        return self._tips("tips_en")

    def clean_tips_sv(self):
        return self._tips("tips_sv")

    def _tips(self, field):
        tips = _lines(self.cleaned_data[field])
        if not 1 <= len(tips) <= 5:
            raise forms.ValidationError(
                _("Write between one and five tips, one per line."), code=Code.TIPS_COUNT
            )
        return tips


class PersonEmailForm(forms.Form):
    """The person a privacy request is about (the privacy page, its export and erasure)."""

    email = forms.EmailField(label=_("Email address"), max_length=254)


class PrivacySettingsForm(forms.Form):
    retention_months = forms.IntegerField(
        label=_("Erase respondent identities after (months)"),
        help_text=_(
            "Counted from the day a campaign closes. Names, email addresses and links are then "
            "erased; anonymous answers stay in the reports. Between 1 and 120 months."
        ),
        widget=forms.NumberInput(attrs={"min": 1, "max": 120}),
    )
