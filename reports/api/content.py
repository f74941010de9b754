"""A report's content as JSON: what the report page shows (`presenters.report_content`), with
the same small-group protection. A group below the minimum size is absent from its list, and a
value the page leaves blank (a cell resting on too few people) is absent, never null."""

from __future__ import annotations

from ..models import Report
from ..presenters import report_content


def _absent(value) -> bool:
    return value is None or (
        isinstance(value, list) and bool(value) and all(v is None for v in value)
    )


def _present(value):
    if isinstance(value, dict):
        return {str(k): _present(v) for k, v in value.items() if not _absent(v)}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


def report_json(*, report: Report, language: str) -> dict:
    content = report_content(report=report, language=language)
    data = report.data
    out = {
        "language": language,
        "generated_at": data.get("generated_at"),
        "min_group_size": data.get("min_group_size"),
        "response": data.get("response"),
        "suppressed": bool(content["suppressed"]),
    }
    if content["suppressed"]:
        return _present(out)
    out |= {
        "overall": {**data["overall"], "band_label": content["overall_band_label"]},
        "dimensions": content["dimensions"],
        "segments": content["segments"],
        "hidden_segments": data.get("hidden_segments", {}),
        "gap": content.get("gap"),
        "signs": content["signs"],
        "weakest": data.get("weakest", []),
        "strongest": data.get("strongest", []),
        "next_steps": content["next_steps"],
        "trend": content["trend"],
        "benchmarks": content["benchmarks"],
    }
    return _present(out)
