"""The `data` of `report.ready`: ids, the trigger and the counts, and the overall index only
when the report shows it (fewer responses than the minimum group size: no score). Numbers come
from the stored snapshot, with exactly the suppression the page applies."""

from __future__ import annotations

from assessments.webhook_payloads import campaign_ref, iso

from .models import Report


def report_ready(*, report: Report, data: dict) -> dict:
    suppressed = bool(data.get("suppressed"))
    overall = None if suppressed else (data.get("overall") or {})
    return {
        "report": {
            "id": report.pk,
            "number": report.number,
            "trigger": report.trigger,
            "finished_at": iso(report.finished_at),
            "response_count": data.get("response", {}).get("completed"),
            "suppressed": suppressed,
            "overall": None
            if overall is None
            else {"score": overall.get("score"), "band": overall.get("band")},
        },
        "campaign": campaign_ref(report.campaign) | {"status": report.campaign.status},
    }
