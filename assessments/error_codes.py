"""The codes on every ValidationError that assessments services and forms raise (Saleor style).

Callers and tests match the code, never the English sentence: the sentence is for people (and is
translated), the code is for programs (the coming API returns it as is)."""

from enum import StrEnum


class AssessmentsErrorCode(StrEnum):
    # The instrument
    BUILTIN_INSTRUMENT_READ_ONLY = "builtin_instrument_read_only"
    DIMENSION_NEEDS_ITEM = "dimension_needs_item"
    TIPS_COUNT = "tips_count"
    WEIGHT_OUT_OF_RANGE = "weight_out_of_range"
    UNKNOWN_SIGN = "unknown_sign"
    # Campaigns
    UNBALANCED_BRACES = "unbalanced_braces"
    PLACEHOLDER_FORMAT = "placeholder_format"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    CLOSE_DATE_NOT_IN_FUTURE = "close_date_not_in_future"
    OPENS_AFTER_CLOSES = "opens_after_closes"
    CLIENT_ARCHIVED = "client_archived"
    CAMPAIGN_CLOSED = "campaign_closed"
    VERSION_FIXED = "version_fixed"
    CAMPAIGN_NOT_LAUNCHABLE = "campaign_not_launchable"
    CLOSE_DATE_PASSED = "close_date_passed"
    CAMPAIGN_ALREADY_CLOSED = "campaign_already_closed"
    CAMPAIGN_NOT_OPEN = "campaign_not_open"
    NOBODY_TO_REMIND = "nobody_to_remind"
    REMINDER_INTERVAL_OUT_OF_RANGE = "reminder_interval_out_of_range"
    MAX_REMINDERS_OUT_OF_RANGE = "max_reminders_out_of_range"
    ANONYMITY_FIXED = "anonymity_fixed"
    # The API
    CAMPAIGN_ANONYMOUS = "campaign_anonymous"
    INVALID_DATETIME = "invalid_datetime"
    INVALID_ID = "invalid_id"
    CAMPAIGN_NOT_DRAFT = "campaign_not_draft"
    # Respondents and the CSV import
    RESPONDENT_COMPLETED = "respondent_completed"
    INVALID_EMAIL = "invalid_email"
    INVALID_LANGUAGE = "invalid_language"
    INVALID_ROLE_LEVEL = "invalid_role_level"
    NAME_TOO_LONG = "name_too_long"
    DEPARTMENT_TOO_LONG = "department_too_long"
    CSV_TOO_LARGE = "csv_too_large"
    CSV_NOT_UTF8 = "csv_not_utf8"
    CSV_NO_EMAIL_COLUMN = "csv_no_email_column"
    CSV_UNREADABLE = "csv_unreadable"
    CSV_EMPTY = "csv_empty"
    CSV_TOO_MANY_ROWS = "csv_too_many_rows"
    CSV_TOO_MANY_COLUMNS = "csv_too_many_columns"
    CSV_ROW_INVALID = "csv_row_invalid"
    IMPORT_RUNNING = "import_running"
    IMPORT_FAILED = "import_failed"
    CONTROL_CHARACTERS = "control_characters"
    # The campaign page's respondent list
    INVALID_PAGE = "invalid_page"
    INVISIBLE_CHARACTERS = "invisible_characters"
    # The survey, the open link and leads
    ALREADY_SUBMITTED = "already_submitted"
    ASSESSMENT_CLOSED = "assessment_closed"
    INVALID_ANSWER = "invalid_answer"
    ITEM_NOT_IN_ASSESSMENT = "item_not_in_assessment"
    ANSWERS_MISSING = "answers_missing"
    NOT_FINISHED = "not_finished"
    RESULTS_ALREADY_SENT = "results_already_sent"
    CONSENT_REQUIRED = "consent_required"
    EMAIL_ALREADY_USED = "email_already_used"
    # Privacy: export, erasure and retention
    NOTHING_TO_ERASE = "nothing_to_erase"
    RETENTION_OUT_OF_RANGE = "retention_out_of_range"
