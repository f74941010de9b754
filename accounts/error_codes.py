"""Error codes of the accounts app (Saleor's `error_codes.py`). Every `ValidationError` that a
service or form of this app raises carries one; tests and API clients match codes, never the
English or Swedish wording."""

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    INVALID_LANGUAGE = "invalid_language"
    FIRM_NAME_REQUIRED = "firm_name_required"
    INVALID_ROLE = "invalid_role"
    EXECUTIVE_NEEDS_CLIENT = "executive_needs_client"
    CLIENT_ARCHIVED = "client_archived"
    ALREADY_MEMBER = "already_member"
    ALREADY_EXECUTIVE = "already_executive"
    INVITATION_PENDING = "invitation_pending"
    INVITATION_NOT_PENDING = "invitation_not_pending"
    INVITATION_WRONG_EMAIL = "invitation_wrong_email"
    INVITATION_UNUSABLE = "invitation_unusable"
    ACCOUNT_EXISTS = "account_exists"
    OWNER_ROLE_FIXED = "owner_role_fixed"
    OWNER_NOT_REMOVABLE = "owner_not_removable"
    CANNOT_REMOVE_SELF = "cannot_remove_self"
    CLIENT_NAME_TAKEN = "client_name_taken"
    CLIENT_NAME_REQUIRED = "client_name_required"
    TWO_FACTOR_NOT_ENROLLED = "two_factor_not_enrolled"
    EMAIL_RATE_OUT_OF_RANGE = "email_rate_out_of_range"
    # Branding form
    INVALID_COLOR = "invalid_color"
    LOW_CONTRAST = "low_contrast"
    SENDER_NAME_INVALID = "sender_name_invalid"
    LOGO_TOO_LARGE = "too_large"
    LOGO_NOT_IMAGE = "not_image"
    LOGO_BAD_FORMAT = "bad_format"
    LOGO_TOO_MANY_PIXELS = "too_many_pixels"
    API_KEY_NAME_REQUIRED = "api_key_name_required"
    INVALID_SCOPE = "invalid_scope"
    EXPIRY_IN_PAST = "expiry_in_past"
    # Webhooks
    WEBHOOK_URL_INVALID = "webhook_url_invalid"
    WEBHOOK_URL_NOT_ALLOWED = "webhook_url_not_allowed"
    WEBHOOK_EVENTS_REQUIRED = "webhook_events_required"
    WEBHOOK_EVENT_UNKNOWN = "webhook_event_unknown"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled"
    WEBHOOK_DELIVERY_IN_FLIGHT = "webhook_delivery_in_flight"
    WEBHOOK_NOTHING_TO_REPLAY = "webhook_nothing_to_replay"
    WEBHOOK_DESCRIPTION_INVALID = "webhook_description_invalid"
