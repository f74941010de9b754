"""Validation errors with codes. Every app keeps its codes in `<app>/error_codes.py` (Saleor's
layout); services raise with a code so that pages, the API and tests can tell errors apart
without reading the English or Swedish wording."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def field_error(field: str, message, code: str) -> ValidationError:
    """A `ValidationError` on one form field, carrying `code`."""
    return ValidationError({field: ValidationError(message, code=code)})
