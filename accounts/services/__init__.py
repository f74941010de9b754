"""Writes of the accounts app, one module per concern. Each service takes keyword arguments, runs
in one transaction, writes an audit entry and enqueues side effects on commit. Tenant services
run inside the firm's scope (the caller's entry point entered it) and raise `ValidationError`
with field errors and an `AccountsErrorCode` for bad input.

Callers import the package (`from accounts import services`); the names below are its API."""

from .account_emails import (
    AccountEmailDeferred,
    account_email_enqueue,
    account_email_send,
    account_emails_resume,
)
from .api_keys import api_key_create, api_key_revoke
from .audit import audit
from .clients import (
    CLIENT_FIELDS,
    client_create,
    client_set_archived,
    client_update,
    executive_revoke,
)
from .firms import (
    branding_update,
    firm_set_email_rate,
    firm_set_two_factor_required,
    firm_signup,
    user_set_language,
)
from .invitations import (
    invitation_accept,
    invitation_create,
    invitation_email_send,
    invitation_resend,
    invitation_revoke,
    user_create_for_invitation,
)
from .team import member_remove, member_update_role
from .webhook_delivery import (
    endpoint_disable,
    webhook_deliver,
    webhook_disabled_notice_send,
    webhook_log_prune,
    webhook_publish_due,
)
from .webhooks import (
    emit_event,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_events_forget,
    webhook_replay_failed,
    webhook_send_test,
)

__all__ = [
    "CLIENT_FIELDS",
    "AccountEmailDeferred",
    "account_email_enqueue",
    "account_email_send",
    "account_emails_resume",
    "api_key_create",
    "api_key_revoke",
    "audit",
    "branding_update",
    "client_create",
    "client_set_archived",
    "client_update",
    "emit_event",
    "endpoint_disable",
    "executive_revoke",
    "firm_set_email_rate",
    "firm_set_two_factor_required",
    "firm_signup",
    "invitation_accept",
    "invitation_create",
    "invitation_email_send",
    "invitation_resend",
    "invitation_revoke",
    "member_remove",
    "member_update_role",
    "user_create_for_invitation",
    "user_set_language",
    "webhook_deliver",
    "webhook_delivery_replay",
    "webhook_disabled_notice_send",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
    "webhook_events_forget",
    "webhook_log_prune",
    "webhook_publish_due",
    "webhook_replay_failed",
    "webhook_send_test",
]
