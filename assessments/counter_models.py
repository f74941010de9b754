"""The campaign page's live figures kept on write (selectors/campaign_page.py).

Imported at the end of `assessments/models.py`, so `from assessments.models import
CampaignRespondentCount` works and Django finds the model in the app's models module."""

from __future__ import annotations

from django.db import models

from accounts.models import TenantModel

from .models import Campaign

__all__ = ["RESPONDENT_COUNTS", "CampaignRespondentCount"]

# The figures of one segment, as `selectors.campaign_stats` reports them (each defined in SQL in
# migration 0015, which keeps them; `respondents` counts every row, so a segment whose count
# reaches zero is deleted).
RESPONDENT_COUNTS = (
    "respondents",
    "invited",
    "completed",
    "open_link",
    "queued",
    "sent",
    "opened",
    "started",
    "bounced",
)


class CampaignRespondentCount(TenantModel):
    """How many of a campaign's respondents of one (role level, department) are in each state:
    written only by statement-level triggers on `assessments_respondent` (migration 0015), one
    aggregate upsert per INSERT, UPDATE or DELETE statement, in the writing transaction. The
    campaign page reads these rows (O(segments)) instead of scanning its respondents."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    role_level = models.CharField(max_length=20, blank=True)
    department = models.CharField(max_length=100, blank=True)
    respondents = models.IntegerField(default=0)
    invited = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    open_link = models.IntegerField(default=0)
    queued = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    opened = models.IntegerField(default=0)
    started = models.IntegerField(default=0)
    bounced = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "campaign", "role_level", "department"],
                name="respondent_count_segment",
            )
        ]

    def __str__(self):
        return f"{self.campaign_id} {self.role_level or '-'} {self.department or '-'}"
