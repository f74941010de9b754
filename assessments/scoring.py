"""Scoring, in plain Python for one respondent (reports aggregate the same rules in SQL).

- An answer is 1..5 on the agreement scale, or None for "don't know" (left out).
- Item score: (value - 1) / 4 * 100; a reverse item scores 100 minus that.
- Dimension score: the weighted mean of its answered items' scores, when at least
  `min_answered_share` of its items (and at least one) are answered; otherwise "not scored".
- Overall score: the mean of the scored dimensions, when at least half of the dimensions are
  scored; otherwise "not scored".
- Band: the band with the highest `min` not above the score (control function 0-39.9,
  in transition 40-69.9, development engine 70-100 in the built-in instrument).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ItemRule:
    item_id: int
    dimension_key: str
    reverse: bool
    weight: float = 1.0


def item_score(value: int | None, reverse: bool) -> float | None:
    if value is None:
        return None
    if not 1 <= value <= 5:
        raise ValueError(f"answer {value} is outside the scale 1..5")
    score = (value - 1) / 4 * 100
    return 100 - score if reverse else score


def band_for(score: float | None, bands: list[dict]) -> str | None:
    if score is None:
        return None
    chosen = None
    for band in sorted(bands, key=lambda b: b["min"]):
        if score >= band["min"]:
            chosen = band["key"]
    return chosen


def score(
    rules: list[ItemRule],
    answers: dict[int, int | None],
    *,
    dimension_order: list[str],
    bands: list[dict],
    min_answered_share: float = 0.5,
) -> dict:
    """The personal result: per-dimension scores and bands, overall score and band."""
    per_dimension: dict[str, list[tuple[float, float]]] = {key: [] for key in dimension_order}
    item_counts: dict[str, int] = dict.fromkeys(dimension_order, 0)
    for rule in rules:
        item_counts[rule.dimension_key] += 1
        value = answers.get(rule.item_id)
        points = item_score(value, rule.reverse)
        if points is not None:
            per_dimension[rule.dimension_key].append((points, float(rule.weight)))

    dimensions = {}
    for key in dimension_order:
        answered = per_dimension[key]
        needed = max(1, math.ceil(min_answered_share * item_counts[key]))
        if item_counts[key] and len(answered) >= needed:
            total_weight = sum(weight for _points, weight in answered)
            value = round(sum(p * w for p, w in answered) / total_weight, 1)
        else:
            value = None
        dimensions[key] = {
            "score": value,
            "band": band_for(value, bands),
            "answered": len(answered),
            "items": item_counts[key],
        }
    scored = [d["score"] for d in dimensions.values() if d["score"] is not None]
    overall = (
        round(sum(scored) / len(scored), 1)
        if scored and len(scored) >= math.ceil(len(dimension_order) / 2)
        else None
    )
    return {"overall": overall, "band": band_for(overall, bands), "dimensions": dimensions}
