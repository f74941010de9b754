"""Report snapshots and the firm's report settings. Tenant-owned (TenantModel + RLS)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantModel
from assessments.models import Campaign


class ReportSettings(TenantModel):
    """How a firm's reports protect respondents."""

    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"),
        default=5,
        help_text=_("Groups with fewer responses are never shown (at least 3)."),
    )
    contribute_to_benchmarks = models.BooleanField(
        _("contribute anonymised aggregates to cross-firm benchmarks"), default=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm"], name="report_settings_one_per_firm"),
            models.CheckConstraint(condition=Q(min_group_size__gte=3), name="min_group_at_least_3"),
        ]


class BenchmarkPoint(models.Model):
    """One organisation's latest score on one dimension (or overall: dimension ""), contributed
    by a firm that opted in. Anonymised by design: an opaque organisation key (an HMAC of the
    firm and client ids with a server secret), industry, size band and score; no firm, client or
    name. Written by the report build of the contributing firm; read by every firm's reports as
    percentiles, and only where enough organisations contribute."""

    org_key = models.CharField(max_length=64)
    firm_key = models.CharField(max_length=64, default="")
    instrument_key = models.SlugField(max_length=60)
    dimension = models.SlugField(max_length=60, blank=True)
    industry = models.CharField(max_length=20)
    size_band = models.CharField(max_length=12)
    score = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org_key", "instrument_key", "dimension"], name="benchmark_point_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["instrument_key", "dimension", "industry"], name="benchmark_industry"
            ),
            models.Index(
                fields=["instrument_key", "dimension", "size_band"], name="benchmark_size"
            ),
        ]

    def __str__(self):
        return f"{self.instrument_key}/{self.dimension or 'overall'}: {self.score}"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


# A report in one of these states is waiting for its build (at most one per campaign).
PENDING_STATUSES = (ReportStatus.QUEUED, ReportStatus.BUILDING)


class ReportTrigger(models.TextChoices):
    CLOSED = "closed", _("Campaign closed")
    REQUESTED = "requested", _("Requested")
    ANSWERS = "answers", _("New answers")


class Report(TenantModel):
    """An immutable snapshot of one campaign's results. A rebuild makes a new row."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    trigger = models.CharField(max_length=10, choices=ReportTrigger.choices)
    requested_at = models.DateTimeField(auto_now_add=True)
    # A queued report not built by then had its build task lost (a worker killed mid-build, a
    # countdown task lost in a Redis outage): the build sweep or "Rebuild now" publishes it again.
    due_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    response_count = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "campaign", "number"], name="report_unique_number"
            ),
            models.UniqueConstraint(
                fields=["firm", "campaign"],
                condition=Q(status__in=["queued", "building"]),
                name="report_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} #{self.number}"


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    UNKNOWN = "unknown", _("Sent (not confirmed)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not needed")


class ReportNotice(TenantModel):
    """One "your report is ready" email per person and report: written `queued` with the ready
    report, claimed (`sending`, committed) before the mail server is spoken to, and its outcome
    recorded after (reports.services.notices)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=NoticeStatus, default=NoticeStatus.QUEUED)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "report", "user"], name="report_notice_once")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="report_notice_pending")]
