"""Reads for reports (inside the firm's scope)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ClientOrganisation, Firm
from assessments.models import Campaign, CampaignStatus

from .models import Report, ReportStatus


def latest_ready(*, firm: Firm, campaign: Campaign) -> Report | None:
    return (
        Report.objects.filter(campaign=campaign, status=ReportStatus.READY)
        .order_by("-number")
        .first()
    )


def pending(*, firm: Firm, campaign: Campaign) -> Report | None:
    return Report.objects.filter(
        campaign=campaign, status__in=[ReportStatus.QUEUED, ReportStatus.BUILDING]
    ).first()


def last_failed(*, firm: Firm, campaign: Campaign) -> Report | None:
    """The newest report, when its build failed."""
    newest = Report.objects.filter(campaign=campaign).order_by("-number").first()
    return newest if newest is not None and newest.status == ReportStatus.FAILED else None


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


def report_for_client(*, firm: Firm, client: ClientOrganisation, pk: int) -> Report | None:
    return (
        client_reports(firm=firm, client=client)
        .filter(pk=pk)
        .select_related("campaign", "campaign__client", "campaign__version")
        .first()
    )
