"""Codes of the errors reports raises (Saleor's `<App>ErrorCode`): every `ValidationError` from a
reports service or form carries one, so callers and tests match codes, never English sentences.
Form fields' own validators keep Django's codes (`min_value`, `max_value`, `required`, ...)."""

from enum import StrEnum


class ReportsErrorCode(StrEnum):
    MIN_GROUP_SIZE_TOO_SMALL = "min_group_size_too_small"
    MIN_GROUP_SIZE_TOO_LARGE = "min_group_size_too_large"
    # The API
    REPORT_NOT_READY = "report_not_ready"
    INVALID_ID = "invalid_id"
    INVALID_LANGUAGE = "invalid_language"
