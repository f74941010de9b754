"""The API key a request runs under, for the audit trail (set by the API middleware)."""

from contextvars import ContextVar

current_api_key: ContextVar = ContextVar("current_api_key", default=None)
