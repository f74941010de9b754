"""The report snapshot computed from what the selectors read: pure functions, no queries and no
writes. The snapshot holds numbers and keys only; labels come from the frozen instrument version
when it is shown (presenters.py).

- `snapshot_data`: the campaign's aggregates with small-group protection applied;
- `trend_points`: earlier campaigns of the same client, as points over time;
- `firm_benchmark` and `peer_benchmark`: percentiles against other organisations, each shown
  only where enough organisations have a score.
"""

from __future__ import annotations

from datetime import datetime

from assessments.models import RoleLevel
from assessments.scoring import band_for

from .confidentiality import visible_groups


def _hidden(n: int | None) -> dict:
    """A distribution that rests on too few people: only its count (or not even that) stays."""
    return {"n": n, "mean": None, "sd": None, "quartiles": [None, None, None], "histogram": None}


def snapshot_data(
    *,
    raw: dict,
    dimension_keys: dict[int, str],
    order: list[str],
    bands: list,
    min_group: int,
    generated_at: datetime,
) -> dict:
    """The report's content from `aggregation.campaign_aggregates` output (`raw`): every group
    and every cell that rests on fewer people than `min_group` is hidden."""
    response = {
        "invited": raw["invited"],
        "completed": raw["completed"],
        "completed_invited": raw["completed_invited"],
        "rate": _rate(raw["completed_invited"], raw["invited"]),
    }
    data = {
        "generated_at": generated_at.isoformat(),
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
            values = _hidden(None)
        dimensions.append({"key": key, **values, "band": band_for(values["mean"], bands)})
    dimensions.sort(key=lambda d: order.index(d["key"]))
    scored = [d["mean"] for d in dimensions if d["mean"] is not None]
    overall = round(sum(scored) / len(scored), 1) if scored else None
    respondents = raw["respondents"]
    if small(respondents["n"]):
        respondents = _hidden(respondents["n"])
    data["overall"] = {
        "score": overall,
        "band": band_for(overall, bands),
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


def scores(data: dict) -> dict[str, float]:
    """A snapshot's scores by dimension key, overall under "" (what benchmarks compare)."""
    found = {"": data["overall"]["score"]} if data["overall"]["score"] is not None else {}
    found |= {d["key"]: d["mean"] for d in data["dimensions"] if d["mean"] is not None}
    return found


def trend_points(reports) -> list[dict]:
    """Earlier reports (each with its campaign loaded) as points of the trend, oldest first."""
    points = [
        {
            "campaign": r.campaign.name,
            "date": (r.campaign.closed_at or r.finished_at).date().isoformat(),
            "overall": r.data["overall"]["score"],
            "dimensions": {d["key"]: d["mean"] for d in r.data["dimensions"]},
        }
        for r in reports
    ]
    return sorted(points, key=lambda p: p["date"])


def firm_benchmark(*, mine: dict[str, float], peers: dict[int, dict], minimum: int) -> dict:
    """Percentiles against the firm's other clients (`peers`: client id -> their scores)."""
    by_dimension = {dim: [s[dim] for s in peers.values() if dim in s] for dim in mine}
    return _shown(
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


def peer_benchmark(*, value: str, found: dict, minimum: int) -> dict:
    """One cross-firm comparison (`found`: `aggregation.benchmark_percentiles` output)."""
    return {
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


def _percentile(value: float, others: list[float]) -> int | None:
    if not others:
        return None
    below = sum(1 for o in others if o < value)
    equal = sum(1 for o in others if o == value)
    return round(100 * (below + equal / 2) / len(others))


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
