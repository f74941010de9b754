"""The API's change feeds of completed responses and leads (docs/api.md, "Incremental sync").

A feed is ordered by `(sync_xid, id)`: the id of the transaction that last changed the row (a
database trigger stamps it, migration 0007) and the row id. Transaction ids are handed out when a
transaction first writes, not when it commits, so a slow transaction can commit a row with a
smaller id than rows already served. The feed therefore serves only rows whose transaction ended
before the oldest transaction still running began (`pg_snapshot_xmin` of the query's own
snapshot): any row committed later carries an id at least that large, so it sorts after every
cursor already handed out, and a client that keeps its cursor sees each change exactly once.
A row shows up again (later in the feed) when it changes again, e.g. a respondent's identity
erased. The cost: a row appears only once every transaction older than it has finished, usually
well under a second."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Firm

from ..models import Campaign, Dimension, Respondent
from .campaigns import leads

FEED_ORDER = ("sync_xid", "id")


def _settled(queryset: QuerySet[Respondent]) -> QuerySet[Respondent]:
    """Rows whose last change was made by a transaction older than every running one."""
    horizon = RawSQL(
        "pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [], output_field=BigIntegerField()
    )
    return queryset.filter(sync_xid__lt=horizon)


def _since(queryset, field: str, moment: datetime | None):
    return queryset if moment is None else queryset.filter(**{f"{field}__gte": moment})


def response_feed(
    *,
    firm: Firm,
    campaign: Campaign | None = None,
    completed_since: datetime | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Respondent]:
    """Completed responses of the firm's non-anonymous campaigns (of `campaign` only, when
    given: the caller has checked that it is not anonymous), in feed order."""
    queryset = Respondent.objects.filter(completed_at__isnull=False, campaign__anonymous=False)
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    queryset = _since(queryset, "completed_at", completed_since)
    queryset = _since(queryset, "updated_at", updated_since)
    return _settled(queryset).select_related("campaign")


def lead_feed(
    *,
    firm: Firm,
    created_since: datetime | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Respondent]:
    """The leads page's leads (`leads`: open-link test-takers who left their email with consent),
    in feed order. A lead is created when it consents."""
    queryset = _since(leads(firm=firm), "consent_at", created_since)
    queryset = _since(queryset, "updated_at", updated_since)
    return _settled(queryset)


def dimension_order(*, version_ids) -> dict[int, list[str]]:
    """The dimension keys of each instrument version, in order (one query for a page)."""
    order: dict[int, list[str]] = {}
    for version_id, key in (
        Dimension.objects.filter(version_id__in=set(version_ids))
        .order_by("version_id", "order")
        .values_list("version_id", "key")
    ):
        order.setdefault(version_id, []).append(key)
    return order
