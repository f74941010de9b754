"""Turn a report snapshot (numbers and keys) into what a page, a PDF or a CSV shows, in one
language, with the firm's colours. A fixed number of queries per report."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Branding, Firm
from accounts.selectors import branding_for_firm
from assessments.models import Advice, Dimension, RoleLevel, Sign, localized

from . import charts
from .models import Report

HISTOGRAM_LABELS = ["0–19", "20–39", "40–59", "60–79", "80–100"]


def current_language() -> str:
    """The active language's code (en, sv), which picks the texts of the frozen version."""
    return (get_language() or "en")[:2]


def page_context(*, firm: Firm, report: Report) -> dict:
    """`report_context` in the firm's branding and the active language (pages and the CSV)."""
    return report_context(
        report=report, branding=branding_for_firm(firm=firm), language=current_language()
    )


def report_context(*, report: Report, branding: Branding, language: str) -> dict:
    """What the report page, the PDF and the CSV show: `report_content` and its charts."""
    context = report_content(report=report, language=language)
    if not context["suppressed"]:
        context |= _charts(context, branding=branding)
    return context


def report_content(*, report: Report, language: str) -> dict:
    """The report's labelled content in `language`, without charts: what the page shows (and the
    API serves as JSON). Groups and cells below the minimum group size are already left out of
    `report.data` by the snapshot (`snapshot.snapshot_data`)."""
    data = report.data
    campaign = report.campaign
    version = campaign.version
    context = {
        "report": report,
        "campaign": campaign,
        "data": data,
        "suppressed": data.get("suppressed"),
    }
    if data.get("suppressed"):
        return context
    names = {
        d.key: localized(d, "name", language) for d in Dimension.objects.filter(version=version)
    }
    context["dimension_names"] = names
    context["dimensions"] = [
        {
            **d,
            "name": names.get(d["key"], d["key"]),
            "band_label": version.band_text(d["band"], "label", language),
        }
        for d in data["dimensions"]
    ]
    context["overall_band_label"] = version.band_text(data["overall"]["band"], "label", language)
    role_labels = dict(RoleLevel.choices)
    segments = {}
    for attribute, groups in data["segments"].items():
        rows = []
        for group in groups:
            if attribute == "role_level":
                label = str(role_labels.get(group["value"], "")) or _("Not stated")
            else:
                label = group["value"] or _("Not stated")
            rows.append({**group, "label": label})
        segments[attribute] = rows
    context["segments"] = segments
    gap = data.get("gap")
    if gap:
        context["gap"] = {**gap, "widest_name": names.get(gap["widest"], "")}
    context["trend"] = data.get("trend", [])
    signs = {
        s.number: localized(s, "title", language) for s in Sign.objects.filter(version=version)
    }
    context["signs"] = [{**s, "title": signs.get(s["number"], "")} for s in data["signs"]]
    benchmarks = data.get("benchmarks", {})
    context["benchmarks"] = [
        {
            "field": field,
            "label": label,
            **benchmarks[field],
            "overall": benchmarks[field].get("dimensions", {}).get(""),
        }
        for field, label in (
            ("firm", _("Other clients of %(firm)s") % {"firm": campaign.firm.name}),
            ("industry", _("Same industry")),
            ("size_band", _("Same size")),
        )
        if field in benchmarks
    ]
    context["min_organisations"] = benchmarks.get("min_organisations", 5)
    bands = {d["key"]: d["band"] for d in data["dimensions"]}
    advice = {
        a.dimension.key: a
        for a in Advice.objects.filter(
            dimension__version=version, dimension__key__in=data["weakest"]
        ).select_related("dimension")
        if a.band == bands.get(a.dimension.key)
    }
    context["next_steps"] = [
        {
            "key": k,
            "name": names.get(k, k),
            "step": localized(advice[k], "step", language),
            "tips": getattr(advice[k], f"tips_{language}") or advice[k].tips_en,
        }
        for k in data["weakest"]
        if k in advice
    ]
    context["strongest"] = [names.get(k, k) for k in data["strongest"]]
    return context


def _charts(content: dict, *, branding: Branding) -> dict:
    """The page's SVG charts of `report_content`, in the firm's colours."""
    report, campaign, data = content["report"], content["campaign"], content["data"]
    names = content["dimension_names"]
    order = [d["key"] for d in data["dimensions"]]
    benchmarks = data.get("benchmarks", {})
    charts_ = {}
    reference, reference_label = None, ""
    for field, label in (
        ("industry", _("Industry peers (median)")),
        ("size_band", _("Organisations of the same size (median)")),
        ("firm", _("Other clients of %(firm)s (median)") % {"firm": campaign.firm.name}),
    ):
        if benchmarks.get(field, {}).get("shown"):
            reference = benchmarks[field]["dimensions"]
            reference_label = label
            break
    series = [
        (
            campaign.client.name,
            [d["mean"] for d in data["dimensions"]],
            branding.primary_color,
            False,
        )
    ]
    if reference:
        series.append(
            (
                reference_label,
                [reference.get(k, {}).get("median") for k in order],
                branding.accent_color,
                True,
            )
        )
    charts_["radar"] = charts.radar(
        axes=[names.get(k, k) for k in order],
        series=series,
        title=_("PMO roles: %(client)s") % {"client": campaign.client.name},
    )
    histogram_counts = data["overall"]["respondents"]["histogram"]
    charts_["distribution"] = (
        charts.histogram(
            counts=data["overall"]["respondents"]["histogram"],
            colour=branding.primary_color,
            title=_("How respondents' overall scores spread"),
            labels=HISTOGRAM_LABELS,
        )
        if histogram_counts
        else ""
    )
    role_rows = content["segments"].get("role_level", [])
    if role_rows:
        charts_["segment_chart"] = charts.bars(
            rows=[(names.get(k, k), [g["dimensions"].get(k) for g in role_rows]) for k in order],
            series=[
                (g["label"], colour)
                for g, colour in zip(role_rows, _palette(branding), strict=False)
            ],
            title=_("Scores by role level"),
        )
        charts_["segment_legend"] = list(
            zip([g["label"] for g in role_rows], _palette(branding), strict=False)
        )
    trend_points = [
        (p["date"][:7], p["overall"]) for p in data.get("trend", []) if p["overall"] is not None
    ]
    if trend_points:
        when = campaign.closed_at or report.finished_at
        trend_points.append((when.date().isoformat()[:7] if when else "", data["overall"]["score"]))
        charts_["trend_chart"] = charts.trend(
            points=trend_points, colour=branding.primary_color, title=_("Overall index over time")
        )
    return charts_


def _palette(branding: Branding) -> list[str]:
    return [
        branding.primary_color,
        branding.accent_color,
        "#4a5568",
        "#1c6b3a",
        "#7a1f5c",
        "#8a5a00",
    ]
