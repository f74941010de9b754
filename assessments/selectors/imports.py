"""Reads of respondent CSV imports (the campaign page's progress, the sweep's stalled ones)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..models import IMPORT_RUNNING, Campaign, RespondentImport

# A running import whose worker has not reported for this long is taken over by the sweep.
IMPORT_STALE_SECONDS = 60

# The columns a page or the status endpoint needs (never the file).
_SHOWN = (
    "id",
    "firm_id",
    "campaign_id",
    "status",
    "file_name",
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "problems",
    "problems_total",
    "created_at",
    "finished_at",
)


def latest_respondent_import(*, campaign: Campaign) -> RespondentImport | None:
    """The campaign's running or most recent import, for its page."""
    return RespondentImport.objects.filter(campaign=campaign).only(*_SHOWN).first()


def respondent_import_get(*, campaign: Campaign, pk: int) -> RespondentImport | None:
    return RespondentImport.objects.filter(campaign=campaign, pk=pk).only(*_SHOWN).first()


def respondent_imports_stalled(*, now: datetime) -> list[tuple[int, int]]:
    """(firm id, import id) of running imports nobody has reported on for a while (queued ones
    whose task was lost, and ones whose worker died). Call inside `all_firms()`."""
    cutoff = now - timedelta(seconds=IMPORT_STALE_SECONDS)
    return list(
        RespondentImport.objects.filter(status__in=IMPORT_RUNNING, heartbeat_at__lt=cutoff)
        .order_by("heartbeat_at")
        .values_list("firm_id", "id")[:500]
    )
