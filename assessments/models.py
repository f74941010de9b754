"""The instrument (versioned data), campaigns, respondents and their answers.

Every model here is tenant-owned (TenantModel: a direct firm key, scoped queries, RLS).
The platform's built-in instrument lives in a versioned data file
(`assessments/instruments/*.json`); each firm gets its own copy as rows, which it may copy and
edit. A version that has answers is frozen: editing it forks a new version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import ClientOrganisation, Language, TenantModel
from pmo_platform.dates import EARLIEST_DATE, LATEST_DATE


def localized(obj, field: str, language: str) -> str:
    """`obj.<field>_<language>`, falling back to English."""
    value = getattr(obj, f"{field}_{language}", "") or ""
    return value or getattr(obj, f"{field}_en", "")


class Instrument(TenantModel):
    key = models.SlugField(max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200)
    is_builtin = models.BooleanField(default=False, editable=False)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_builtin", "name_en"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "key"], name="instrument_unique_key")
        ]

    def __str__(self):
        return self.name_en


class InstrumentVersion(TenantModel):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    description_en = models.TextField(blank=True)
    description_sv = models.TextField(blank=True)
    scale_labels = models.JSONField(default=dict)  # {"en": [5 labels], "sv": [...]}
    dont_know_label = models.JSONField(default=dict)  # {"en": "...", "sv": "..."}
    bands = models.JSONField(default=list)  # [{"key", "min", "label": {}, "summary": {}}]
    min_answered_share = models.FloatField(default=0.5)
    source = models.CharField(max_length=120, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "instrument", "number"], name="version_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.instrument.name_en} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def band_text(self, key: str | None, field: str, language: str) -> str:
        """A band's `label` or `summary` in `language`, else English; "" when there is no band.
        The one lookup of band texts (result page and emails, reports, PDF and CSV)."""
        band = next((b for b in self.bands if b["key"] == key), None) if key else None
        texts = (band or {}).get(field) or {}
        return texts.get(language) or texts.get("en", "")


class Sign(TenantModel):
    """One of the Swedish seed's nine signs of a PMO stuck as a control function."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="signs")
    number = models.PositiveSmallIntegerField()
    title_en = models.CharField(max_length=200)
    title_sv = models.CharField(max_length=200)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "version", "number"], name="sign_unique")
        ]


class Dimension(TenantModel):
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="dimensions"
    )
    key = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField()
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "version", "key"], name="dimension_unique")
        ]

    def __str__(self):
        return self.name_en


class Item(TenantModel):
    """A statement answered on the agreement scale. Reverse items are phrased so that agreeing
    means a weaker PMO; their scores are mirrored."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField()
    sign = models.PositiveSmallIntegerField()
    text_en = models.TextField(_("statement (English)"), max_length=300)
    text_sv = models.TextField(_("statement (Swedish)"), max_length=300)
    reverse = models.BooleanField(_("reverse-scored"), default=False)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2, default=1)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "version", "key"], name="item_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="item_weight_positive"),
            models.CheckConstraint(condition=Q(sign__gte=1, sign__lte=9), name="item_sign_range"),
        ]

    def __str__(self):
        return self.key


class Band(models.TextChoices):
    CONTROL = "control", _("Control function")
    TRANSITION = "transition", _("In transition")
    ENGINE = "engine", _("Development engine")


class Advice(TenantModel):
    """A development step and concrete tips for one dimension at one band."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="advice")
    band = models.CharField(max_length=20, choices=Band.choices)
    step_en = models.TextField(_("development step (English)"))
    step_sv = models.TextField(_("development step (Swedish)"))
    tips_en = models.JSONField(_("tips (English)"), default=list)
    tips_sv = models.JSONField(_("tips (Swedish)"), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "dimension", "band"], name="advice_unique")
        ]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    REPORTED = "reported", _("Reported")


class Campaign(TenantModel):
    client = models.ForeignKey(
        ClientOrganisation, on_delete=models.PROTECT, related_name="campaigns"
    )
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=160)
    status = models.CharField(
        _("status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"))
    default_language = models.CharField(
        _("default language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    invitation_subject_en = models.CharField(_("invitation subject (English)"), max_length=200)
    invitation_body_en = models.TextField(_("invitation text (English)"), max_length=4000)
    invitation_subject_sv = models.CharField(_("invitation subject (Swedish)"), max_length=200)
    invitation_body_sv = models.TextField(_("invitation text (Swedish)"), max_length=4000)
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=4
    )
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    open_link_token = models.CharField(max_length=43, blank=True, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once when the retention period has passed and every respondent's identity is erased
    # (claimed by a conditional UPDATE, so the erasure runs exactly once).
    identities_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when a scheduled campaign's close date passed before it could open: the sweep moved
    # it back to draft (no invitations went out) and the campaign page says so until it is
    # launched again.
    launch_lapsed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_reminders__lte=5), name="campaign_max_reminders"
            ),
            models.CheckConstraint(
                condition=Q(reminder_interval_days__gte=1), name="campaign_reminder_interval"
            ),
            # The range the forms and services allow (pmo_platform.dates).
            models.CheckConstraint(
                condition=Q(closes_at__gte=EARLIEST_DATE, closes_at__lt=LATEST_DATE)
                & (
                    Q(opens_at__isnull=True)
                    | Q(opens_at__gte=EARLIEST_DATE, opens_at__lt=LATEST_DATE)
                ),
                name="campaign_dates_in_range",
            ),
        ]
        indexes = [models.Index(fields=["firm", "status"], name="campaign_firm_status")]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN

    @property
    def accepts_answers(self) -> bool:
        from django.utils import timezone

        return self.status == CampaignStatus.OPEN and self.closes_at > timezone.now()


class RoleLevel(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership")
    PMO = "pmo", _("PMO")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    TEAM_MEMBER = "team_member", _("Team member")
    OTHER = "other", pgettext_lazy("role level", "Other")


class Source(models.TextChoices):
    INVITED = "invited", _("Invited")
    OPEN_LINK = "open_link", _("Open link")


# A respondent's invitation status (`Respondent.status`): the first of these moments that is set;
# "queued" when none is.
RESPONDENT_STATUSES = ("bounced", "completed", "started", "opened", "sent")
RESPONDENT_STATUS_CHOICES = ("queued", *reversed(RESPONDENT_STATUSES))


def respondent_status_filter(status: str) -> Q:
    """The respondents whose `Respondent.status` is `status` (one of RESPONDENT_STATUS_CHOICES):
    IS NULL / IS NOT NULL tests only, so each status has a partial index (below)."""
    if status == "queued":
        return Q(**{f"{name}_at__isnull": True for name in RESPONDENT_STATUSES})
    earlier = RESPONDENT_STATUSES[: RESPONDENT_STATUSES.index(status)]
    return Q(**{f"{name}_at__isnull": True for name in earlier}, **{f"{status}_at__isnull": False})


# The campaign page's respondent list (`selectors.campaign_respondent_page`): invited people in
# (email, id) order, a page being an index range wherever it starts; a filter by status, role
# level or department has its own index in that order. A search by part of the email filters
# the walk of these (no index serves a substring test under RLS: selectors/campaign_page.py).
_INVITED = Q(source="invited")
RESPONDENT_LIST_INDEXES = [
    models.Index(fields=["campaign", "email", "id"], condition=_INVITED, name="respondent_list"),
    models.Index(
        fields=["campaign", "role_level", "email", "id"],
        condition=_INVITED,
        name="respondent_list_role",
    ),
    models.Index(
        fields=["campaign", "department", "email", "id"],
        condition=_INVITED,
        name="respondent_list_department",
    ),
    *(
        models.Index(
            fields=["campaign", "email", "id"],
            condition=_INVITED & respondent_status_filter(status),
            name=f"respondent_list_{status}",
        )
        for status in RESPONDENT_STATUS_CHOICES
    ),
]


class Respondent(TenantModel):
    """One person answering one campaign, reached by a personal link.

    The link's token is an HMAC of a random salt with a server key; only its SHA-256 is stored,
    so neither a database leak nor the salt alone gives a working link."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="respondents")
    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    role_level = models.CharField(
        _("role level"), max_length=20, choices=RoleLevel.choices, blank=True
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.INVITED)
    token_salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(null=True, blank=True, editable=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    followup_opt_in = models.BooleanField(default=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Identity erased (docs/privacy.md): no email, name or link; what reports need stays.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The API's change feed (docs/api.md, "Incremental sync"): set by a database trigger
    # (migration 0007) whenever a column the API serves changes, never by the application.
    # `sync_xid` is the writing transaction's id (`pg_current_xact_id()`); the feed serves
    # only rows whose transaction finished before every still-running one began, so a row
    # that commits late still sorts after any cursor handed out before it was visible.
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    sync_xid = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The token's hash identifies the link inside the firm the URL names.
            models.UniqueConstraint(fields=["firm", "token_hash"], name="respondent_token"),
            models.UniqueConstraint(
                "firm",
                "campaign",
                Lower("email"),
                condition=~Q(email=""),
                name="respondent_unique_email",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "campaign", "completed_at"], name="respondent_progress"),
            # A person's records across the firm's campaigns (export and erasure by email).
            models.Index("firm", Lower("email"), name="respondent_firm_email"),
            # The API's responses and leads feeds, in change order.
            models.Index(fields=["firm", "sync_xid", "id"], name="respondent_sync"),
            # One campaign's feed: a page is an index range wherever it starts, however many
            # rows the campaign and the firm's other campaigns have (bench/api_lists.py).
            models.Index(fields=["campaign", "sync_xid", "id"], name="respondent_campaign_sync"),
            *RESPONDENT_LIST_INDEXES,
        ]

    def __str__(self):
        return self.email or f"respondent {self.pk}"

    @property
    def status(self) -> str:
        for name in RESPONDENT_STATUSES:
            if getattr(self, f"{name}_at") is not None:
                return name
        return "queued"


class Answer(TenantModel):
    """One answer: 1..5 on the agreement scale, or NULL for "don't know"."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "respondent", "item"], name="answer_unique"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1, value__lte=5),
                name="answer_value_on_scale",
            ),
        ]


# The email log, imports, privacy settings and segment counters: own modules, re-exported here.
from .counter_models import *  # noqa: E402, F403
from .email_models import *  # noqa: E402, F403
from .import_models import *  # noqa: E402, F403  (CSV imports: assessments/import_models.py)
from .privacy_models import *  # noqa: E402, F403
