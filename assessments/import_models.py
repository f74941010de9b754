"""Respondent CSV imports run by a worker (services/respondent_imports.py).

Imported at the end of `assessments/models.py`, so `from assessments.models import
RespondentImport` works and Django finds the model in the app's models module."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantModel

from .models import Campaign

__all__ = ["IMPORT_RUNNING", "ImportStatus", "RespondentImport"]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking rows")
    IMPORTING = "importing", _("Writing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Not imported")


IMPORT_RUNNING = (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class RespondentImport(TenantModel):
    """One CSV file of respondents, imported by a worker (`services/respondent_imports.py`):
    checked row by row, then written in one transaction, all or nothing. `content` holds the
    uploaded file until the import ends (then it is cleared); `heartbeat_at` is the claim a
    sweep takes over when a worker dies."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="imports")
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    content = models.BinaryField(null=True, editable=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # The first problems (at most IMPORT_MAX_STORED_PROBLEMS: {"line", "reason", "code"}) and
    # how many there were in all.
    problems = models.JSONField(default=list)
    problems_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running import per campaign (the service refuses a second with a code first).
            models.UniqueConstraint(
                fields=["firm", "campaign"],
                condition=Q(status__in=["queued", "validating", "importing"]),
                name="respondent_import_one_running",
            )
        ]
        indexes = [
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(status__in=["queued", "validating", "importing"]),
                name="respondent_import_running",
            )
        ]

    @property
    def is_running(self) -> bool:
        return self.status in IMPORT_RUNNING
