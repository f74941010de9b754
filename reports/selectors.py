"""Reads for reports (inside the firm's scope). Selectors never write. Those taking a campaign or
a report read what the active scope holds of it; those taking only ids take the firm too."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import Branding, ClientExecutive, ClientOrganisation, Firm, Membership, User
from assessments.models import Campaign, CampaignStatus

from .aggregation import benchmark_percentiles, campaign_aggregates
from .models import (
    PENDING_STATUSES,
    NoticeStatus,
    Report,
    ReportNotice,
    ReportSettings,
    ReportStatus,
)

# --- the firm's settings ---------------------------------------------------------------------


def report_settings(*, firm: Firm) -> ReportSettings:
    """The firm's report settings; the defaults (unsaved) when it never changed them."""
    return ReportSettings.objects.filter(firm=firm).first() or ReportSettings(firm=firm)


def client_ids(*, firm: Firm) -> list[int]:
    """Every client organisation of the firm, archived ones too."""
    return list(ClientOrganisation.objects.values_list("pk", flat=True))


# --- one campaign's reports (the consultant's page, the build) --------------------------------


def latest_ready(*, firm: Firm, campaign: Campaign) -> Report | None:
    return (
        Report.objects.filter(campaign=campaign, status=ReportStatus.READY)
        .order_by("-number")
        .first()
    )


def pending(*, firm: Firm, campaign: Campaign) -> Report | None:
    """The campaign's report waiting for its build, if any (there is at most one)."""
    return Report.objects.filter(campaign=campaign, status__in=PENDING_STATUSES).first()


def last_failed(*, firm: Firm, campaign: Campaign) -> Report | None:
    """The newest report, when its build failed."""
    newest = Report.objects.filter(campaign=campaign).order_by("-number").first()
    return newest if newest is not None and newest.status == ReportStatus.FAILED else None


def next_report_number(*, firm: Firm, campaign: Campaign) -> int:
    return (Report.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"] or 0) + 1


def overdue_builds() -> list[tuple[int, int]]:
    """(firm id, report id) of every queued report, in every firm, whose build should have
    started by now (its task was lost). Platform-level: the caller runs it inside
    `pmo_platform.tenancy.all_firms()` (the build sweep); ids only."""
    return list(
        Report.objects.filter(status=ReportStatus.QUEUED, due_at__lte=timezone.now())
        .order_by("due_at")
        .values_list("firm_id", "id")
    )


def report_for_build(*, firm: Firm, report_id: int) -> Report:
    """The report with everything the build reads of its campaign."""
    return Report.objects.select_related(
        "campaign", "campaign__client", "campaign__version", "campaign__version__instrument"
    ).get(pk=report_id)


def snapshot_inputs(*, campaign: Campaign) -> tuple[dict[int, str], list[str], dict]:
    """What the snapshot is computed from: dimension keys by id, the dimensions' order, and the
    campaign's aggregates (`aggregation.campaign_aggregates`)."""
    version = campaign.version
    dimension_keys = dict(version.dimensions.values_list("id", "key"))
    order = list(version.dimensions.order_by("order").values_list("key", flat=True))
    raw = campaign_aggregates(
        campaign_id=campaign.pk,
        version_id=version.pk,
        min_answered_share=version.min_answered_share,
    )
    return dimension_keys, order, raw


# --- the API's reports -----------------------------------------------------------------------


def report_list(*, firm: Firm, campaign=None, client=None) -> QuerySet[Report]:
    """Every snapshot of the firm (of one campaign or client when given), without its content."""
    queryset = Report.objects.select_related("campaign").defer("data", "error")
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    if client is not None:
        queryset = queryset.filter(campaign__client=client)
    return queryset


def report_get(*, firm: Firm, pk: int) -> Report | None:
    """One snapshot with what presenting it reads (its campaign, client, version and firm)."""
    return (
        Report.objects.select_related(
            "campaign", "campaign__client", "campaign__version", "campaign__firm"
        )
        .filter(pk=pk)
        .first()
    )


# --- trend and benchmark inputs ---------------------------------------------------------------


def _latest_reports(qs) -> list[Report]:
    """The newest ready, not suppressed report per campaign (one query, DISTINCT ON)."""
    return [
        r
        for r in qs.filter(status=ReportStatus.READY)
        .order_by("campaign_id", "-number")
        .distinct("campaign_id")
        .select_related("campaign")
        if not r.data.get("suppressed")
    ]


def earlier_reports(*, campaign: Campaign) -> list[Report]:
    """The latest report of each earlier campaign of the same client on the same instrument."""
    return _latest_reports(
        Report.objects.filter(
            campaign__client_id=campaign.client_id,
            campaign__created_at__lt=campaign.created_at,
            campaign__version__instrument__key=campaign.version.instrument.key,
        )
    )


def peer_reports(*, campaign: Campaign) -> list[Report]:
    """The latest report of each campaign of the firm's other clients on the same instrument."""
    return _latest_reports(
        Report.objects.filter(
            campaign__version__instrument__key=campaign.version.instrument.key
        ).exclude(campaign__client_id=campaign.client.pk)
    )


def cross_firm_percentiles(
    *, instrument_key: str, mine: dict[str, float], field: str, value: str, exclude_firm: str
) -> dict:
    """Percentiles of `mine` among other firms' organisations with the same `field` value (the
    global, anonymised benchmark table; `aggregation.benchmark_percentiles`)."""
    return benchmark_percentiles(
        instrument_key=instrument_key,
        mine=mine,
        field=field,
        value=value,
        exclude_firm=exclude_firm,
    )


# --- report-ready notices ---------------------------------------------------------------------


def notice_recipients(*, campaign: Campaign) -> list[int]:
    """The campaign's consultant and the client's executives (none while the client is
    archived: its executives cannot see its reports any more)."""
    ids = set(
        ClientExecutive.objects.filter(
            client_id=campaign.client_id, client__archived_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    if (
        campaign.created_by_id
        and Membership.objects.filter(user_id=campaign.created_by_id).exists()
    ):
        ids.add(campaign.created_by_id)
    return sorted(ids)


def firms_with_notice_work() -> list[int]:
    """Firm ids with report notices to resume: queued and not started EMAIL_STALE_AFTER after
    they were due (the task was lost), or `sending` past EMAIL_SENDING_GIVE_UP (the worker died
    mid-send). Platform-level: the caller runs it inside `all_firms()` (the beat task)."""
    now = timezone.now()
    stale = ReportNotice.objects.filter(
        status=NoticeStatus.QUEUED, due_at__lte=now - settings.EMAIL_STALE_AFTER
    ) | ReportNotice.objects.filter(
        status=NoticeStatus.SENDING, claimed_at__lte=now - settings.EMAIL_SENDING_GIVE_UP
    )
    return sorted(set(stale.values_list("firm_id", flat=True).distinct()))


def ready_report(*, firm: Firm, report_id: int) -> Report | None:
    return (
        Report.objects.select_related("campaign", "campaign__client")
        .filter(pk=report_id, status=ReportStatus.READY)
        .first()
    )


def active_user(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def is_client_executive(*, client_id: int, user: User) -> bool:
    return ClientExecutive.objects.filter(client_id=client_id, user=user).exists()


# --- what a client sees -----------------------------------------------------------------------


def client_reports(*, firm: Firm, client: ClientOrganisation) -> QuerySet[Report]:
    """What the client sees: for each closed campaign, only its newest ready report (newest
    campaign first). Snapshots of open campaigns and older snapshots stay with the firm, so two
    snapshots can never be compared to single out one late response."""
    newest = (
        Report.objects.filter(
            campaign__client=client,
            status=ReportStatus.READY,
            campaign__status__in=[CampaignStatus.CLOSED, CampaignStatus.REPORTED],
        )
        .order_by("campaign_id", "-number")
        .distinct("campaign_id")
        .values("id")
    )
    return (
        Report.objects.filter(pk__in=newest)
        .select_related("campaign", "campaign__version", "campaign__version__instrument")
        .order_by("-campaign__created_at")
    )


def campaign_report_for_client(
    *, firm: Firm, client: ClientOrganisation, campaign_id: int
) -> Report | None:
    """The report of one of the client's campaigns the portal shows (its newest snapshot)."""
    return (
        client_reports(firm=firm, client=client)
        .filter(campaign_id=campaign_id)
        .select_related("campaign", "campaign__client", "campaign__version")
        .first()
    )


def report_for_client(*, firm: Firm, client: ClientOrganisation, pk: int) -> Report | None:
    return (
        client_reports(firm=firm, client=client)
        .filter(pk=pk)
        .select_related("campaign", "campaign__client", "campaign__version")
        .first()
    )


def branding_logo(*, branding: Branding) -> bytes | None:
    """The logo's bytes (the branding row as loaded for pages leaves them out)."""
    logo = Branding.objects.filter(pk=branding.pk).values_list("logo", flat=True).first()
    return None if logo is None else bytes(logo)
