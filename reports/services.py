"""Report snapshots: requested by services and signals, built by a Celery worker."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.services import audit
from assessments.models import Campaign, CampaignStatus, RoleLevel
from assessments.scoring import band_for
from pmo_platform.claims import claim_once
from pmo_platform.tasks import enqueue

from .aggregation import benchmark_percentiles, campaign_aggregates
from .confidentiality import visible_groups
from .models import (
    BenchmarkPoint,
    Report,
    ReportNotice,
    ReportSettings,
    ReportStatus,
    ReportTrigger,
)

# While a campaign is open, answers arriving within this window share one rebuild.
DEBOUNCE = timedelta(minutes=2)
# A report still queued or building after this long is marked failed and requested anew.
STALE_AFTER = timedelta(minutes=30)


@transaction.atomic
def report_settings_update(
    *, firm: Firm, actor: User, min_group_size: int, contribute_to_benchmarks: bool
) -> ReportSettings:
    """Change how reports protect respondents; leaving the benchmark removes the firm's points."""
    if min_group_size < 3:
        from django.core.exceptions import ValidationError

        raise ValidationError({"min_group_size": _("The minimum group size is at least 3.")})
    current, _created = ReportSettings.objects.select_for_update().get_or_create(firm=firm)
    current.min_group_size = min_group_size
    current.contribute_to_benchmarks = contribute_to_benchmarks
    current.save()
    if not contribute_to_benchmarks:
        from accounts.models import ClientOrganisation

        keys = [
            org_key(firm_id=firm.pk, client_id=pk)
            for pk in ClientOrganisation.objects.values_list("pk", flat=True)
        ]
        BenchmarkPoint.objects.filter(org_key__in=keys).delete()
    audit(
        firm=firm,
        actor=actor,
        action="report_settings.updated",
        target=current,
        min_group_size=min_group_size,
        contribute_to_benchmarks=contribute_to_benchmarks,
    )
    return current


def report_settings(*, firm: Firm) -> ReportSettings:
    return ReportSettings.objects.filter(firm=firm).first() or ReportSettings(firm=firm)


@transaction.atomic
def report_request(
    *, firm: Firm, campaign: Campaign, trigger: str, actor: User | None = None
) -> Report:
    """Ask for a fresh snapshot. A report already waiting is reused (debounce)."""
    pending = Report.objects.filter(
        campaign=campaign, status__in=[ReportStatus.QUEUED, ReportStatus.BUILDING]
    ).first()
    if pending is not None and pending.requested_at < timezone.now() - STALE_AFTER:
        # A build that never finished (its worker died, or it failed): give up on it.
        Report.objects.filter(pk=pending.pk).update(
            status=ReportStatus.FAILED, error="never finished", finished_at=timezone.now()
        )
        pending = None
    if pending is not None and pending.status == ReportStatus.QUEUED:
        if pending.trigger == ReportTrigger.ANSWERS and trigger != ReportTrigger.ANSWERS:
            # Closing or asking outranks the debounce: build now, and send the notices.
            Report.objects.filter(pk=pending.pk).update(trigger=trigger)
            from .tasks import build_report

            enqueue(build_report, firm_id=firm.pk, report_id=pending.pk)
            pending.trigger = trigger
        return pending
    number = (Report.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            report = Report.objects.create(
                firm=firm, campaign=campaign, number=number, trigger=trigger
            )
    except IntegrityError:  # another request won the race; its report will do
        return Report.objects.get(
            campaign=campaign, status__in=[ReportStatus.QUEUED, ReportStatus.BUILDING]
        )
    audit(firm=firm, actor=actor, action="report.requested", target=report, trigger=trigger)
    from .tasks import build_report

    countdown = int(DEBOUNCE.total_seconds()) if trigger == ReportTrigger.ANSWERS else 0
    enqueue(build_report, firm_id=firm.pk, report_id=report.pk, _countdown=countdown)
    return report


def report_failed(*, firm: Firm, report_id: int, error: str) -> None:
    """Record a build that raised, so the page says so and the next request starts afresh."""
    Report.objects.filter(
        pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.BUILDING]
    ).update(status=ReportStatus.FAILED, error=error[:2000], finished_at=timezone.now())


def report_build(*, firm: Firm, report_id: int) -> bool:
    """Build one queued report (called by the worker inside the firm's scope)."""
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.BUILDING, started_at=timezone.now()
    )
    if not claimed:
        return False
    report = Report.objects.select_related(
        "campaign", "campaign__client", "campaign__version", "campaign__version__instrument"
    ).get(pk=report_id)
    settings_ = report_settings(firm=firm)
    data = snapshot(campaign=report.campaign, min_group=settings_.min_group_size)
    if settings_.contribute_to_benchmarks:
        contribute(firm=firm, campaign=report.campaign, data=data)
    if not data["suppressed"]:
        data["trend"] = trend(campaign=report.campaign)
        data["benchmarks"] = benchmarks(
            firm=firm,
            campaign=report.campaign,
            data=data,
            contributes=settings_.contribute_to_benchmarks,
        )
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.READY,
        finished_at=timezone.now(),
        data=data,
        response_count=data["response"]["completed"],
    )
    # A closed campaign with its report is "reported" (the last step of the lifecycle).
    Campaign.objects.filter(pk=report.campaign_id, status=CampaignStatus.CLOSED).update(
        status=CampaignStatus.REPORTED
    )
    if report.trigger != ReportTrigger.ANSWERS:  # rebuilds while answers arrive stay quiet
        from .tasks import send_report_notice

        for user_id in notice_recipients(campaign=report.campaign):
            enqueue(send_report_notice, firm_id=firm.pk, report_id=report.pk, user_id=user_id)
    return True


def notice_recipients(*, campaign: Campaign) -> list[int]:
    """The campaign's consultant and the client's executives."""
    from accounts.models import ClientExecutive, Membership

    ids = set(
        ClientExecutive.objects.filter(client_id=campaign.client_id).values_list(
            "user_id", flat=True
        )
    )
    if (
        campaign.created_by_id
        and Membership.objects.filter(user_id=campaign.created_by_id).exists()
    ):
        ids.add(campaign.created_by_id)
    return sorted(ids)


def report_notice_send(*, firm: Firm, report_id: int, user_id: int) -> bool:
    """Email one person that a report is ready, at most once (claim row in the same
    transaction as the send)."""
    from accounts.emails import absolute_url, build_branded_email
    from accounts.models import ClientExecutive
    from accounts.selectors import branding_for_firm

    report = (
        Report.objects.select_related("campaign", "campaign__client")
        .filter(pk=report_id, status=ReportStatus.READY)
        .first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if report is None or user is None or user_id not in notice_recipients(campaign=report.campaign):
        return False
    if not claim_once(ReportNotice, firm=firm, report=report, user=user):
        return False
    campaign = report.campaign
    is_executive = ClientExecutive.objects.filter(client_id=campaign.client_id, user=user).exists()
    path = (
        reverse(
            "reports:portal_report",
            kwargs={
                "firm_slug": firm.slug,
                "client_id": campaign.client_id,
                "report_id": report.pk,
            },
        )
        if is_executive
        else reverse(
            "reports:campaign_report", kwargs={"firm_slug": firm.slug, "campaign_id": campaign.pk}
        )
    )
    language = user.language or "en"
    with translation.override(language):
        subject = _("The PMO report for %(client)s is ready") % {"client": campaign.client.name}
    message = build_branded_email(
        firm=firm,
        branding=branding_for_firm(firm=firm),
        to=user.email,
        language=language,
        subject=subject,
        template="reports/email/ready",
        context={
            "report": report,
            "campaign": campaign,
            "user": user,
            "link": absolute_url(path),
            "overall": None if report.data.get("suppressed") else report.data["overall"]["score"],
        },
    )
    message.send()
    return True


def firm_key(*, firm_id: int) -> str:
    """An opaque key for the contributing firm, so its own clients can be left out."""
    return salted_hmac("pmo.benchmark-firm", str(firm_id), algorithm="sha256").hexdigest()


def org_key(*, firm_id: int, client_id: int) -> str:
    """An opaque, stable key for one client organisation in the benchmark table."""
    return salted_hmac(
        "pmo.benchmark-org", f"{firm_id}:{client_id}", algorithm="sha256"
    ).hexdigest()


def _scores(data: dict) -> dict[str, float]:
    scores = {"": data["overall"]["score"]} if data["overall"]["score"] is not None else {}
    scores |= {d["key"]: d["mean"] for d in data["dimensions"] if d["mean"] is not None}
    return scores


def contribute(*, firm: Firm, campaign: Campaign, data: dict) -> int:
    """Write this organisation's latest scores to the anonymised benchmark table (opt-in)."""
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
        for dim, score in _scores(data).items()
    ]
    BenchmarkPoint.objects.bulk_create(
        points,
        update_conflicts=True,
        unique_fields=["org_key", "instrument_key", "dimension"],
        update_fields=["firm_key", "industry", "size_band", "score", "updated_at"],
    )
    return len(points)


def _latest_reports(qs):
    """The newest ready, not suppressed report per campaign (one query, DISTINCT ON)."""
    return [
        r
        for r in qs.filter(status=ReportStatus.READY)
        .order_by("campaign_id", "-number")
        .distinct("campaign_id")
        .select_related("campaign")
        if not r.data.get("suppressed")
    ]


def trend(*, campaign: Campaign) -> list[dict]:
    """The same client's earlier campaigns on the same instrument, oldest first."""
    earlier = _latest_reports(
        Report.objects.filter(
            campaign__client_id=campaign.client_id,
            campaign__created_at__lt=campaign.created_at,
            campaign__version__instrument__key=campaign.version.instrument.key,
        )
    )
    points = [
        {
            "campaign": r.campaign.name,
            "date": (r.campaign.closed_at or r.finished_at).date().isoformat(),
            "overall": r.data["overall"]["score"],
            "dimensions": {d["key"]: d["mean"] for d in r.data["dimensions"]},
        }
        for r in earlier
    ]
    return sorted(points, key=lambda p: p["date"])


def _percentile(value: float, others: list[float]) -> int | None:
    if not others:
        return None
    below = sum(1 for o in others if o < value)
    equal = sum(1 for o in others if o == value)
    return round(100 * (below + equal / 2) / len(others))


def benchmarks(*, firm: Firm, campaign: Campaign, data: dict, contributes: bool) -> dict:
    """Percentiles against the firm's other clients, and (for firms that contribute) against
    other firms' organisations of the same industry and size band, built-in instrument only.
    Every dimension is shown only where enough organisations have a score; peers are never
    named, and a firm's own clients never count towards the cross-firm minimum."""
    minimum = django_settings.BENCHMARK_MIN_ORGANISATIONS
    mine = _scores(data)
    client = campaign.client
    result = {"min_organisations": minimum}
    if not mine:
        return result

    peers = {}
    for report in _latest_reports(
        Report.objects.filter(
            campaign__version__instrument__key=campaign.version.instrument.key
        ).exclude(campaign__client_id=client.pk)
    ):
        peers[report.campaign.client_id] = _scores(report.data)  # the newest campaign wins
    by_dimension = {dim: [s[dim] for s in peers.values() if dim in s] for dim in mine}
    result["firm"] = _shown(
        len(peers),
        minimum,
        {
            dim: {
                "percentile": _percentile(score, by_dimension[dim]),
                "median": _median(by_dimension[dim]),
                "organisations": len(by_dimension[dim]),
            }
            for dim, score in mine.items()
        },
    )
    if not (contributes and campaign.version.instrument.is_builtin):
        return result
    for field, value in (("industry", client.industry), ("size_band", client.size_band)):
        found = benchmark_percentiles(
            instrument_key=campaign.version.instrument.key,
            mine=mine,
            field=field,
            value=value,
            exclude_firm=firm_key(firm_id=firm.pk),
        )
        result[field] = {
            "value": value,
            **_shown(
                found.get("", {}).get("organisations", 0),
                minimum,
                {
                    dim: {
                        "percentile": v["percentile"],
                        "median": v["quartiles"][1],
                        "organisations": v["organisations"],
                    }
                    for dim, v in found.items()
                },
            ),
        }
    return result


def _shown(organisations: int, minimum: int, dimensions: dict) -> dict:
    """Keep only the dimensions with enough organisations behind them."""
    kept = {dim: v for dim, v in dimensions.items() if v["organisations"] >= minimum}
    shown = organisations >= minimum and "" in kept
    return {"organisations": organisations, "shown": shown, "dimensions": kept if shown else {}}


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return (
        ordered[middle]
        if len(ordered) % 2
        else round((ordered[middle - 1] + ordered[middle]) / 2, 1)
    )


def _rate(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def snapshot(*, campaign: Campaign, min_group: int) -> dict:
    """The report's content: numbers and keys only (labels come from the frozen version)."""
    version = campaign.version
    dimension_keys = dict(version.dimensions.values_list("id", "key"))
    order = list(version.dimensions.order_by("order").values_list("key", flat=True))
    raw = campaign_aggregates(
        campaign_id=campaign.pk,
        version_id=version.pk,
        min_answered_share=version.min_answered_share,
    )
    response = {
        "invited": raw["invited"],
        "completed": raw["completed"],
        "completed_invited": raw["completed_invited"],
        "rate": _rate(raw["completed_invited"], raw["invited"]),
    }
    data = {
        "generated_at": timezone.now().isoformat(),
        "min_group_size": min_group,
        "response": response,
        "suppressed": raw["completed"] < min_group,
    }
    if data["suppressed"]:
        return data

    def small(n):  # a cell resting on fewer people than the minimum is never shown
        return n < min_group

    dimensions = []
    for dimension_id, values in raw["dimensions"].items():
        key = dimension_keys[dimension_id]
        if small(values["n"]):
            values = {
                "n": None,
                "mean": None,
                "sd": None,
                "quartiles": [None, None, None],
                "histogram": None,
            }
        dimensions.append({"key": key, **values, "band": band_for(values["mean"], version.bands)})
    dimensions.sort(key=lambda d: order.index(d["key"]))
    scored = [d["mean"] for d in dimensions if d["mean"] is not None]
    overall = round(sum(scored) / len(scored), 1) if scored else None
    respondents = raw["respondents"]
    if small(respondents["n"]):
        respondents = {
            "n": respondents["n"],
            "mean": None,
            "sd": None,
            "quartiles": [None, None, None],
            "histogram": None,
        }
    data["overall"] = {
        "score": overall,
        "band": band_for(overall, version.bands),
        "respondents": respondents,
    }
    data["dimensions"] = dimensions
    data["signs"] = [
        {"number": sign, **values}
        for sign, values in sorted(raw["signs"].items())
        if not small(values["n"])
    ]
    by_score = sorted((d for d in dimensions if d["mean"] is not None), key=lambda d: d["mean"])
    data["weakest"] = [d["key"] for d in by_score[:2]]
    data["strongest"] = [d["key"] for d in reversed(by_score[-2:])]

    segments, hidden = {}, {}
    for attribute, groups in raw["segments"].items():
        sizes = {value: group["n"] for value, group in groups.items()}
        visible = visible_groups(sizes, min_group)
        hidden[attribute] = len(sizes) - len(visible)
        segments[attribute] = [
            {
                "value": value,
                "n": groups[value]["n"],
                "overall": None if small(groups[value]["overall_n"]) else groups[value]["overall"],
                "dimensions": {
                    dimension_keys[d]: None if small(n) else score
                    for d, (score, n) in groups[value]["dimensions"].items()
                },
            }
            for value in sorted(visible, key=lambda v: (-sizes[v], str(v)))
        ]
    data["segments"] = segments
    data["hidden_segments"] = hidden
    data["gap"] = _leadership_gap(segments["role_level"])
    return data


def _leadership_gap(groups: list[dict]) -> dict | None:
    """Where leadership and teams see the PMO differently (the Swedish seed's sign 5)."""
    by_value = {g["value"]: g for g in groups}
    leaders, teams = by_value.get(RoleLevel.LEADERSHIP), by_value.get(RoleLevel.TEAM_MEMBER)
    if not leaders or not teams or leaders["overall"] is None or teams["overall"] is None:
        return None
    per_dimension = {
        key: round(leaders["dimensions"][key] - teams["dimensions"][key], 1)
        for key in leaders["dimensions"]
        if key in teams["dimensions"]
        and leaders["dimensions"][key] is not None
        and teams["dimensions"][key] is not None
    }
    widest = max(per_dimension, key=lambda k: abs(per_dimension[k])) if per_dimension else None
    return {
        "leadership": leaders["overall"],
        "teams": teams["overall"],
        "difference": round(leaders["overall"] - teams["overall"], 1),
        "dimensions": per_dimension,
        "widest": widest,
    }
