"""The respondent email log: one row per email, the claim that sends it at most once.

Imported at the end of `assessments/models.py`, so `from assessments.models import EmailLog`
works and Django finds the model in the app's models module."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantModel

from .models import Respondent

__all__ = ["EMAIL_DELIVERED", "EmailKind", "EmailLog", "EmailStatus"]


class EmailKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")
    RESULT = "result", _("Result")
    FOLLOWUP = "followup", _("Follow-up")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # The connection failed after the message was handed over: treated as sent, never resent.
    UNKNOWN = "unknown", _("Sent (not confirmed)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not needed")


# Outcomes that count as delivered: the respondent is not sent that email again.
EMAIL_DELIVERED = (EmailStatus.SENT, EmailStatus.UNKNOWN)


class EmailLog(TenantModel):
    """The claim that makes every respondent email go out at most once: a row per
    (respondent, kind, sequence), written `queued` when the email is asked for, moved to
    `sending` and committed before the mail server is spoken to, and given its outcome after
    (see `assessments.services.emails.respondent_email_deliver`)."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=12, choices=EmailKind.choices)
    sequence = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    # The email's stable Message-ID header (the same on every attempt).
    message_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # A queued row is not attempted before this (backoff after a deferred attempt).
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "respondent", "kind", "sequence"], name="email_once"
            )
        ]
        indexes = [
            # The sweep's look-up of unfinished rows (few: most rows are sent).
            models.Index(
                fields=["firm", "due_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="email_log_pending",
            )
        ]
