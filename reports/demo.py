"""Demo data of the reports app: earlier rounds for the main client (a trend) and peer clients
(benchmarks), each with its report built. Idempotent; inside the firm's scope."""

from __future__ import annotations

from accounts.demo import ensure_client
from assessments.demo import seed_closed_campaign as seed_closed_campaign_answers

from . import services
from .models import Report, ReportSettings

PEER_CLIENTS = [
    ("Adventure Works", "manufacturing", "1000-4999", "DE"),
    ("Tailspin Insurance", "insurance", "1000-4999", "NL"),
    ("Woodgrove Savings", "finance", "250-999", "GB"),
    ("Litware Public Services", "public", "5000+", "GB"),
    ("Proseware Logistics", "transport", "250-999", "DK"),
    ("Wide World Retail", "retail", "1000-4999", "SE"),
]


def seed_closed_campaign(*, firm, owner, client, name, months_ago, bias, people=8):
    """A closed campaign with answers in, and its report snapshot built."""
    campaign = seed_closed_campaign_answers(
        firm=firm,
        owner=owner,
        client=client,
        name=name,
        months_ago=months_ago,
        bias=bias,
        people=people,
    )
    if campaign is not None:
        report = Report.objects.get(campaign=campaign)
        services.report_build(firm=firm, report_id=report.pk)


def seed_reports(*, firm, owner, spec, clients):
    """Earlier rounds for the main client (a trend) and peers (benchmarks), with reports."""
    ReportSettings.objects.get_or_create(firm=firm, defaults={"contribute_to_benchmarks": True})
    main = clients[spec["campaign_client"]]
    peers = []
    for name, industry, size, country in PEER_CLIENTS:
        peers.append(ensure_client(firm, owner, name, industry, size, country))
    for n, peer in enumerate(peers):
        seed_closed_campaign(
            firm=firm,
            owner=owner,
            client=peer,
            name=f"{peer.name} PMO check 2026",
            months_ago=3 + n % 3,
            bias=(n % 3) - 1,
        )
    seed_closed_campaign(
        firm=firm,
        owner=owner,
        client=main,
        name=f"{main.name} PMO check 2025",
        months_ago=12,
        bias=-1,
        people=18,
    )
    seed_closed_campaign(
        firm=firm,
        owner=owner,
        client=main,
        name=f"{main.name} PMO check spring 2026",
        months_ago=6,
        bias=0,
        people=22,
    )
