"""Shaping a respondent's stored result for people: labels, bands and advice in one language.

Pure: the rows come in from the selectors (`selectors.result_view`, `selectors.advice_for`),
nothing here queries or writes. Band texts come from `InstrumentVersion.band_text`."""

from __future__ import annotations

from .models import localized


def weakest_dimensions(result: dict, limit: int) -> list[str]:
    """Keys of the `limit` lowest-scored dimensions (unscored ones left out), weakest first."""
    scored = [
        (v["score"], key) for key, v in result["dimensions"].items() if v["score"] is not None
    ]
    return [key for _score, key in sorted(scored)[:limit]]


def advice_rows(
    *, weakest: list[str], result: dict, dimensions: dict, advice: dict, language: str
) -> list[dict]:
    """The development step and tips for each of `weakest` at its band, where there is advice.

    `dimensions` maps key to Dimension, `advice` maps (dimension key, band) to Advice."""
    out = []
    for key in weakest:
        band = result["dimensions"][key]["band"]
        entry = advice.get((key, band))
        if entry is None:
            continue
        out.append(
            {
                "key": key,
                "name": localized(dimensions[key], "name", language),
                "score": result["dimensions"][key]["score"],
                "band": band,
                "step": localized(entry, "step", language),
                "tips": getattr(entry, f"tips_{language}") or entry.tips_en,
            }
        )
    return out


def result_summary(*, version, dimensions: list, result: dict, language: str, advice) -> dict:
    """The personal result page and email: overall score and band, each dimension, advice.

    `advice` is a callable giving the advice rows; it is called only when there are scores."""
    rows = []
    for dimension in dimensions:
        entry = result.get("dimensions", {}).get(dimension.key, {})
        rows.append(
            {
                "key": dimension.key,
                "name": localized(dimension, "name", language),
                "description": localized(dimension, "description", language),
                "score": entry.get("score"),
                "band_label": version.band_text(entry.get("band"), "label", language),
            }
        )
    return {
        "overall": result.get("overall"),
        "band": result.get("band"),
        "band_label": version.band_text(result.get("band"), "label", language),
        "band_summary": version.band_text(result.get("band"), "summary", language),
        "dimensions": rows,
        "advice": advice() if result.get("dimensions") else [],
    }


def ordered_scores(result: dict | None, order: list[str]) -> dict:
    """A stored result (`scoring.score`) as the API serves it: the overall score and band, and
    each dimension in the instrument's order (keys only; labels are in the instrument)."""
    result = result or {}
    stored = result.get("dimensions") or {}
    return {
        "overall": result.get("overall"),
        "band": result.get("band"),
        "dimensions": [
            {
                "key": key,
                "score": stored[key].get("score"),
                "band": stored[key].get("band"),
                "answered": stored[key].get("answered"),
                "items": stored[key].get("items"),
            }
            for key in order
            if key in stored
        ],
    }
