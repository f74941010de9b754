"""Firms (the tenants), people and their roles, client organisations, branding and the audit trail.

`User` and `Firm` are global. Every other model here is tenant-owned: it extends `TenantModel`,
so it carries a direct `firm` foreign key, uses a django-scopes manager and has an RLS policy
(see the migrations and docs/tenancy.md).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_scopes import ScopedManager


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SWEDISH = "sv", _("Swedish")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: consultant, firm admin, client executive or platform operator.

    Global, because one person may belong to several firms. What they may see is decided by
    their memberships and client-executive grants, which are tenant-owned."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    is_staff = models.BooleanField(
        _("platform operator"),
        default=False,
        help_text=_("Operators can use the Django admin across all firms."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return (self.name or self.email).split(" ")[0]


# The send rates (emails per minute) a firm may choose (Firm.email_rate_per_minute).
EMAIL_RATE_RANGE = (60, 100_000)


class Firm(models.Model):
    """A consultancy firm: the tenant. Everything a firm owns points here."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address name"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Members without an authenticator app are sent to set one up before any firm page.
    require_two_factor = models.BooleanField(
        _("require two-factor authentication for all members"), default=False
    )
    # Campaign emails per minute (null: PMO_EMAIL_RATE_PER_MINUTE). Range: EMAIL_RATE_RANGE.
    email_rate_per_minute = models.PositiveIntegerField(_("email send rate"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TenantModel(models.Model):
    """Base for every tenant-owned model: a direct firm key, scoped queries, RLS (migration)."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+", editable=False)

    objects = ScopedManager(firm="firm")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    CONSULTANT = "consultant", _("Consultant")


class InvitationRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CONSULTANT = "consultant", _("Consultant")
    EXECUTIVE = "executive", _("Client executive")


class Membership(TenantModel):
    """A colleague's place in a firm. Owners and administrators manage the firm; consultants run
    the assessment work."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="membership_unique_user"),
            models.UniqueConstraint(
                fields=["firm"], condition=Q(role="owner"), name="membership_one_owner"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def can_manage_firm(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class Branding(TenantModel):
    """How a firm's invitations, emails and respondent pages look and who they come from."""

    primary_color = models.CharField(_("primary colour"), max_length=7, default="#1F4E79")
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#B45309")
    sender_name = models.CharField(_("sender name"), max_length=80)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    email_footer = models.TextField(_("email footer"), max_length=1000, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    logo_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")
        constraints = [models.UniqueConstraint(fields=["firm"], name="branding_one_per_firm")]

    def __str__(self):
        return f"Branding of {self.firm_id}"

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_sha256)


class Industry(models.TextChoices):
    PUBLIC_SECTOR = "public", _("Public sector")
    FINANCE = "finance", _("Banking and finance")
    INSURANCE = "insurance", _("Insurance")
    HEALTHCARE = "healthcare", _("Healthcare and life sciences")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail and consumer goods")
    ENERGY = "energy", _("Energy and utilities")
    TELECOM = "telecom", _("Telecom and media")
    TECHNOLOGY = "technology", _("IT and technology")
    TRANSPORT = "transport", _("Transport and logistics")
    CONSTRUCTION = "construction", _("Construction and real estate")
    PROFESSIONAL = "professional", _("Professional services")
    EDUCATION = "education", _("Education and research")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    XS = "1-49", _("1–49 employees")
    S = "50-249", _("50–249 employees")
    M = "250-999", _("250–999 employees")
    L = "1000-4999", _("1,000–4,999 employees")
    XL = "5000+", _("5,000 or more employees")


class ClientOrganisation(TenantModel):
    """A client of the firm whose PMO is assessed."""

    name = models.CharField(_("name"), max_length=160)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    size_band = models.CharField(_("size"), max_length=12, choices=SizeBand.choices)
    country = CountryField(_("country"))
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client organisation")
        verbose_name_plural = _("client organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("firm", Lower("name"), name="client_unique_name"),
        ]
        indexes = [models.Index(fields=["firm", "archived_at"], name="client_firm_archived")]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ClientExecutive(TenantModel):
    """Read-only access for a person at a client to that one client organisation."""

    client = models.ForeignKey(
        ClientOrganisation, on_delete=models.CASCADE, related_name="executives"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="executive_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("client executive")
        verbose_name_plural = _("client executives")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "client", "user"], name="executive_unique_user"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.client_id}"


class Invitation(TenantModel):
    """An emailed invitation to join the firm, or to read one client's results.

    The link's token is created when the email is sent and only its SHA-256 is stored, so a
    database leak reveals no working link. A resend issues a new token."""

    email = models.EmailField(_("email address"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=InvitationRole.choices)
    client = models.ForeignKey(
        ClientOrganisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "firm",
                Lower("email"),
                "client",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                nulls_distinct=False,
                name="invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=(Q(role="executive") & Q(client__isnull=False))
                | (~Q(role="executive") & Q(client__isnull=True)),
                name="invitation_client_iff_executive",
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def unusable_reason(self) -> str:
        """Why the link cannot be used ("used", "revoked", "expired"), or "" when it can."""
        if self.accepted_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else ""


class AuditEntry(TenantModel):
    """Who changed what in a firm, and when. Written by services; never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["firm", "-created_at"], name="audit_firm_time")]

    def __str__(self):
        return f"{self.action} {self.target_type}:{self.target_id}"


class AccountEmail(models.Model):
    """One of allauth's emails (verification, password reset): global, since the person may
    have no firm. Written `queued` with the rendered message when asked for, claimed
    (`sending`, committed) before the mail server is spoken to, outcome recorded after; the
    body is blanked once it is final (accounts.services.account_emails)."""

    status = models.CharField(max_length=10, default="queued")  # as EmailLog's statuses
    message_id = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=320)
    subject = models.CharField(max_length=998)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    content_subtype = models.CharField(max_length=20, default="plain")
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="account_email_pending")]

    def __str__(self):
        return f"account email {self.pk} ({self.status})"


from .api_models import *  # noqa: E402, F403  (API keys and idempotency records)
from .webhook_models import *  # noqa: E402, F403  (webhooks: accounts/webhook_models.py)
