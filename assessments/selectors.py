"""Reads for instruments, campaigns and respondents (inside the firm's scope)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Firm
from accounts.selectors import hash_token

from .models import (
    Advice,
    Campaign,
    Dimension,
    InstrumentVersion,
    Item,
    Respondent,
    RoleLevel,
    Source,
)


def versions_for_campaigns(*, firm: Firm) -> QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.select_related("instrument").order_by(
        "-instrument__is_builtin", "instrument__name_en", "-number"
    )


def version_get(*, firm: Firm, pk: int) -> InstrumentVersion | None:
    return InstrumentVersion.objects.select_related("instrument").filter(pk=pk).first()


def version_detail(*, firm: Firm, version: InstrumentVersion) -> list[Dimension]:
    return list(
        version.dimensions.prefetch_related(
            Prefetch("items", queryset=Item.objects.order_by("order")),
            Prefetch("advice", queryset=Advice.objects.order_by("band")),
        )
    )


def instruments_overview(*, firm: Firm) -> QuerySet[InstrumentVersion]:
    return versions_for_campaigns(firm=firm).annotate(campaign_count=Count("campaigns"))


def item_get(*, firm: Firm, pk: int) -> Item | None:
    return (
        Item.objects.select_related("version", "version__instrument", "dimension")
        .filter(pk=pk)
        .first()
    )


def dimension_get(*, firm: Firm, pk: int) -> Dimension | None:
    return Dimension.objects.select_related("version", "version__instrument").filter(pk=pk).first()


def advice_get(*, firm: Firm, pk: int) -> Advice | None:
    return (
        Advice.objects.select_related(
            "dimension", "dimension__version", "dimension__version__instrument"
        )
        .filter(pk=pk)
        .first()
    )


def campaign_list(*, firm: Firm, client=None) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("client", "version", "version__instrument").annotate(
        invited=Count("respondents", filter=Q(respondents__source=Source.INVITED)),
        completed=Count("respondents", filter=Q(respondents__completed_at__isnull=False)),
    )
    if client is not None:
        qs = qs.filter(client=client)
    return qs.order_by("-created_at")


def campaign_get(*, firm: Firm, pk: int) -> Campaign | None:
    return (
        Campaign.objects.select_related("client", "version", "version__instrument")
        .filter(pk=pk)
        .first()
    )


def uninvited_ids(*, campaign: Campaign):
    return (
        Respondent.objects.filter(
            campaign=campaign,
            source=Source.INVITED,
            sent_at__isnull=True,
            completed_at__isnull=True,
            unsubscribed_at__isnull=True,
        )
        .exclude(email="")
        .values_list("id", flat=True)
        .order_by("id")
    )


def campaign_stats(*, campaign: Campaign) -> dict:
    """Response rates overall and by segment, and invitation statuses, in two queries."""
    base = Respondent.objects.filter(campaign=campaign)
    totals = base.aggregate(
        invited=Count("id", filter=Q(source=Source.INVITED)),
        open_link=Count("id", filter=Q(source=Source.OPEN_LINK, completed_at__isnull=False)),
        queued=Count(
            "id", filter=Q(source=Source.INVITED, sent_at__isnull=True, bounced_at__isnull=True)
        ),
        sent=Count(
            "id",
            filter=Q(
                sent_at__isnull=False,
                opened_at__isnull=True,
                completed_at__isnull=True,
                bounced_at__isnull=True,
            ),
        ),
        opened=Count(
            "id",
            filter=Q(
                opened_at__isnull=False,
                started_at__isnull=True,
                completed_at__isnull=True,
                bounced_at__isnull=True,
            ),
        ),
        started=Count(
            "id",
            filter=Q(started_at__isnull=False, completed_at__isnull=True, bounced_at__isnull=True),
        ),
        completed=Count("id", filter=Q(completed_at__isnull=False, source=Source.INVITED)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False, completed_at__isnull=True)),
    )
    labels = dict(RoleLevel.choices)
    segments = []
    for row in (
        base.filter(source=Source.INVITED)
        .values("role_level")
        .annotate(invited=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by("role_level")
    ):
        segments.append(
            {
                "label": labels.get(row["role_level"], "—") if row["role_level"] else "—",
                "invited": row["invited"],
                "completed": row["completed"],
                "rate": _rate(row["completed"], row["invited"]),
            }
        )
    totals["rate"] = _rate(totals["completed"], totals["invited"])
    totals["segments"] = segments
    return totals


def _rate(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def campaign_respondents(*, campaign: Campaign) -> QuerySet[Respondent]:
    return Respondent.objects.filter(campaign=campaign, source=Source.INVITED).order_by("email")


def respondent_by_token(*, firm: Firm, token: str) -> Respondent | None:
    if not token or len(token) > 64:
        return None
    return (
        Respondent.objects.select_related("campaign", "campaign__client", "campaign__version")
        .filter(token_hash=hash_token(token))
        .first()
    )


def campaign_by_open_token(*, firm: Firm, token: str) -> Campaign | None:
    if not token or len(token) > 64:
        return None
    return Campaign.objects.select_related("client").filter(open_link_token=token).first()


def survey_items(*, respondent: Respondent) -> list[Item]:
    return list(
        Item.objects.filter(version_id=respondent.campaign.version_id)
        .select_related("dimension")
        .order_by("order")
    )


def answers_of(*, respondent: Respondent) -> dict[int, int | None]:
    return dict(respondent.answers.values_list("item_id", "value"))


def leads(*, firm: Firm) -> QuerySet[Respondent]:
    return (
        Respondent.objects.filter(source=Source.OPEN_LINK, consent_at__isnull=False)
        .exclude(email="")
        .select_related("campaign", "campaign__client")
        .order_by("-consent_at")
    )
