"""A firm's retention of respondents' identities (services/privacy.py).

Imported at the end of `assessments/models.py`, so `from assessments.models import
PrivacySettings` works and Django finds the model in the app's models module."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantModel

__all__ = ["DEFAULT_RETENTION_MONTHS", "RETENTION_MONTHS_RANGE", "PrivacySettings"]


DEFAULT_RETENTION_MONTHS = 24
RETENTION_MONTHS_RANGE = (1, 120)


class PrivacySettings(TenantModel):
    """How long a firm keeps respondents' identities once a campaign has closed."""

    retention_months = models.PositiveSmallIntegerField(
        _("erase respondent identities after (months)"),
        default=DEFAULT_RETENTION_MONTHS,
        help_text=_(
            "Months after a campaign closes; names, email addresses and links are then erased."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm"], name="privacy_settings_one_per_firm"),
            models.CheckConstraint(
                condition=Q(
                    retention_months__gte=RETENTION_MONTHS_RANGE[0],
                    retention_months__lte=RETENTION_MONTHS_RANGE[1],
                ),
                name="privacy_retention_range",
            ),
        ]
