"""Writes for instruments, campaigns, respondents and answers (see accounts/services.py for the
conventions: keyword-only arguments, one transaction, an audit entry, side effects on commit).

One module per concern: `instrument` (and `instrument_rules`), `campaigns` (and
`campaign_rules`), `respondents`, `survey` (and `autosave`, its fast path), `emails` (what each
email says), `email_delivery` (sending each at most once, and the sweep), `privacy`. Every
public name is importable from `assessments.services` too, including the reads and pure helpers
that lived here before (`personal_result`, `result_view`, `parse_respondent_csv`, ...)."""

from ..links import respondent_token, survey_url
from ..respondent_csv import (
    CSV_MAX_BYTES,
    CSV_MAX_ROWS,
    CsvImportError,
    clean_respondent_row,
    clean_respondent_rows,
    parse_respondent_csv,
)
from ..selectors import (
    FOLLOWUP_DAYS,
    advice_for,
    followups_due,
    personal_result,
    reminder_candidates,
    result_view,
)
from .autosave import answer_save_by_link
from .campaign_rules import (
    CAMPAIGN_FIELDS,
    MAX_REMINDERS,
    PLACEHOLDERS,
    REMINDER_INTERVAL_DAYS,
    validate_campaign,
    validate_placeholders,
)
from .campaigns import (
    campaign_close,
    campaign_create,
    campaign_housekeeping,
    campaign_launch,
    campaign_launch_lapse,
    campaign_mark_reported,
    campaign_update,
    campaign_update_draft,
    default_invitation_texts,
    reminders_send_now,
)
from .email_batch import respondent_emails_send_batch
from .email_delivery import (
    emails_queue,
    emails_resume,
    respondent_email_deliver,
    respondent_email_send,
)
from .emails import (
    EMAIL_KINDS,
    campaign_emails_fan_out,
    format_deadline,
    invitation_text,
    respondent_bounced,
)
from .instrument import (
    INSTRUMENT_DIR,
    advice_update,
    builtin_instrument_files,
    dimension_update,
    editable_counterpart,
    editable_version,
    install_builtin_instruments,
    instrument_copy,
    instrument_install,
    item_add,
    item_remove,
    item_update,
)
from .privacy import (
    campaign_identities_erase,
    person_erase,
    person_export,
    privacy_settings_update,
    respondent_erase,
)
from .respondent_imports import respondent_import_process, respondent_import_start
from .respondents import (
    respondent_remove,
    respondent_resend,
    respondents_add,
    respondents_import_csv,
)
from .survey import (
    answer_save,
    lead_capture,
    open_link_start,
    respondent_opened,
    respondent_set_language,
    respondent_submit,
    respondent_unsubscribe,
    survey_post,
)

__all__ = [
    "CAMPAIGN_FIELDS",
    "CSV_MAX_BYTES",
    "CSV_MAX_ROWS",
    "EMAIL_KINDS",
    "FOLLOWUP_DAYS",
    "INSTRUMENT_DIR",
    "MAX_REMINDERS",
    "PLACEHOLDERS",
    "REMINDER_INTERVAL_DAYS",
    "CsvImportError",
    "advice_for",
    "advice_update",
    "answer_save",
    "answer_save_by_link",
    "builtin_instrument_files",
    "campaign_close",
    "campaign_create",
    "campaign_emails_fan_out",
    "campaign_housekeeping",
    "campaign_identities_erase",
    "campaign_launch",
    "campaign_launch_lapse",
    "campaign_mark_reported",
    "campaign_update",
    "campaign_update_draft",
    "clean_respondent_row",
    "clean_respondent_rows",
    "default_invitation_texts",
    "dimension_update",
    "editable_counterpart",
    "editable_version",
    "emails_queue",
    "emails_resume",
    "followups_due",
    "format_deadline",
    "install_builtin_instruments",
    "instrument_copy",
    "instrument_install",
    "invitation_text",
    "item_add",
    "item_remove",
    "item_update",
    "lead_capture",
    "open_link_start",
    "parse_respondent_csv",
    "person_erase",
    "person_export",
    "personal_result",
    "privacy_settings_update",
    "reminder_candidates",
    "reminders_send_now",
    "respondent_bounced",
    "respondent_email_deliver",
    "respondent_email_send",
    "respondent_emails_send_batch",
    "respondent_erase",
    "respondent_import_process",
    "respondent_import_start",
    "respondent_opened",
    "respondent_remove",
    "respondent_resend",
    "respondent_set_language",
    "respondent_submit",
    "respondent_token",
    "respondent_unsubscribe",
    "respondents_add",
    "respondents_import_csv",
    "result_view",
    "survey_post",
    "survey_url",
    "validate_campaign",
    "validate_placeholders",
]
