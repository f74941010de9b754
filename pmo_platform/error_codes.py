"""Error codes of the shared input checks (`pmo_platform.text`, `pmo_platform.forms`,
`pmo_platform.jsonbody`): text with control characters, text too long, unreadable JSON."""

from enum import StrEnum


class PlatformErrorCode(StrEnum):
    CONTROL_CHARACTERS = "control_characters"
    INVISIBLE_CHARACTERS = "invisible_characters"
    TEXT_TOO_LONG = "text_too_long"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    INVALID_JSON = "invalid_json"
    BODY_TOO_LARGE = "body_too_large"
