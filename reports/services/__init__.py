"""Report services: the only code in reports that writes. Keyword-only arguments; tenant
services expect the caller to have entered the firm's scope (the task, the request); side
effects go through `pmo_platform.tasks.enqueue`.

- `settings`: the firm's report settings;
- `builds`: requesting a report and building it (the task's entry point `report_build_or_fail`);
- `benchmarks`: contributing to the anonymised benchmark table, trend and benchmark comparisons;
- `notices`: the report-ready emails.

Every name is re-exported here, so `from reports import services; services.report_build(...)`
is the way to call them. `report_settings` and `notice_recipients` are reads (`selectors`),
kept importable from here as before."""

from ..selectors import notice_recipients, report_settings
from .benchmarks import benchmarks, contribute, firm_key, org_key, trend
from .builds import (
    BUILD_GRACE,
    DEBOUNCE,
    STALE_AFTER,
    report_build,
    report_build_or_fail,
    report_build_recover,
    report_failed,
    report_request,
    snapshot,
)
from .notices import notices_queue, notices_resume, report_notice_send
from .settings import report_settings_update

__all__ = [
    "BUILD_GRACE",
    "DEBOUNCE",
    "STALE_AFTER",
    "benchmarks",
    "contribute",
    "firm_key",
    "notice_recipients",
    "notices_queue",
    "notices_resume",
    "org_key",
    "report_build",
    "report_build_or_fail",
    "report_build_recover",
    "report_failed",
    "report_notice_send",
    "report_request",
    "report_settings",
    "report_settings_update",
    "snapshot",
    "trend",
]
