"""Benchmarks and trend for a report build: the firm's contribution to the anonymised benchmark
table (opt-in, built-in instrument only) and the comparisons a snapshot shows. Reads come from
the selectors, the arithmetic from `reports.snapshot`."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.utils.crypto import salted_hmac

from accounts.models import Firm
from assessments.models import Campaign

from .. import selectors
from ..models import BenchmarkPoint
from ..snapshot import firm_benchmark, peer_benchmark, scores, trend_points


def firm_key(*, firm_id: int) -> str:
    """An opaque key for the contributing firm, so its own clients can be left out."""
    return salted_hmac("pmo.benchmark-firm", str(firm_id), algorithm="sha256").hexdigest()


def org_key(*, firm_id: int, client_id: int) -> str:
    """An opaque, stable key for one client organisation in the benchmark table."""
    return salted_hmac(
        "pmo.benchmark-org", f"{firm_id}:{client_id}", algorithm="sha256"
    ).hexdigest()


def contribute(*, firm: Firm, campaign: Campaign, data: dict) -> int:
    """Write this organisation's latest scores to the anonymised benchmark table (opt-in).
    Runs inside the report build's transaction."""
    if data.get("suppressed") or not campaign.version.instrument.is_builtin:
        return 0  # only the built-in instrument is comparable across firms
    client = campaign.client
    key = org_key(firm_id=firm.pk, client_id=client.pk)
    points = [
        BenchmarkPoint(
            org_key=key,
            firm_key=firm_key(firm_id=firm.pk),
            instrument_key=campaign.version.instrument.key,
            dimension=dim,
            industry=client.industry,
            size_band=client.size_band,
            score=score,
        )
        for dim, score in scores(data).items()
    ]
    BenchmarkPoint.objects.bulk_create(
        points,
        update_conflicts=True,
        unique_fields=["org_key", "instrument_key", "dimension"],
        update_fields=["firm_key", "industry", "size_band", "score", "updated_at"],
    )
    return len(points)


def trend(*, campaign: Campaign) -> list[dict]:
    """The same client's earlier campaigns on the same instrument, oldest first."""
    return trend_points(selectors.earlier_reports(campaign=campaign))


def _campaign_recency(report) -> tuple:
    campaign = report.campaign
    return (campaign.closed_at or campaign.closes_at, campaign.created_at, campaign.pk)


def benchmarks(*, firm: Firm, campaign: Campaign, data: dict, contributes: bool) -> dict:
    """Percentiles against the firm's other clients, and (for firms that contribute) against
    other firms' organisations of the same industry and size band, built-in instrument only.
    Every dimension is shown only where enough organisations have a score; peers are never
    named, and a firm's own clients never count towards the cross-firm minimum."""
    minimum = django_settings.BENCHMARK_MIN_ORGANISATIONS
    mine = scores(data)
    client = campaign.client
    result = {"min_organisations": minimum}
    if not mine:
        return result

    peers = {}
    # One score per peer organisation: its most recently closed campaign's (not the highest id).
    for report in sorted(selectors.peer_reports(campaign=campaign), key=_campaign_recency):
        peers[report.campaign.client_id] = scores(report.data)
    result["firm"] = firm_benchmark(mine=mine, peers=peers, minimum=minimum)
    if not (contributes and campaign.version.instrument.is_builtin):
        return result
    for field, value in (("industry", client.industry), ("size_band", client.size_band)):
        found = selectors.cross_firm_percentiles(
            instrument_key=campaign.version.instrument.key,
            mine=mine,
            field=field,
            value=value,
            exclude_firm=firm_key(firm_id=firm.pk),
        )
        result[field] = peer_benchmark(value=value, found=found, minimum=minimum)
    return result
