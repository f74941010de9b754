"""Text from people: what a stored value may contain, and making stored text safe to use in an
email header whatever it holds.

Single-line values (names, subjects) may not contain control characters (C0, DEL, C1), line or
paragraph separators or lone surrogates; multi-line values (email texts, descriptions) may
contain line breaks and tabs, nothing else of those. A carriage return in a name would break
every email header built from it; a NUL cannot be stored by PostgreSQL at all."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .error_codes import PlatformErrorCode as Code

_MULTILINE_ALLOWED = {"\n", "\t"}
_REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_SPACES = re.compile(r"\s+")


def _refused(ch: str, *, multiline: bool) -> bool:
    if multiline and ch in _MULTILINE_ALLOWED:
        return False
    return unicodedata.category(ch) in _REFUSED_CATEGORIES


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return any(_refused(ch, multiline=multiline) for ch in value)


def normalize_newlines(value: str) -> str:
    """Browsers send a textarea's line breaks as CR LF; store LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def control_characters_error() -> ValidationError:
    return ValidationError(
        _("Remove the control characters (such as line breaks or NUL) from this text."),
        code=Code.CONTROL_CHARACTERS,
    )


def validate_single_line(value: str) -> None:
    if has_control_characters(value):
        raise control_characters_error()


def validate_multi_line(value: str) -> None:
    if has_control_characters(value, multiline=True):
        raise control_characters_error()


def check_single_line(field: str, value: str, *, max_length: int | None = None) -> str:
    """A service's check of one single-line value: the stripped value, or a ValidationError on
    `field` carrying a code."""
    value = value.strip()
    try:
        validate_single_line(value)
    except ValidationError as exc:
        raise ValidationError({field: exc}) from None
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Use at most %(max)s characters."),
                    code=Code.TEXT_TOO_LONG,
                    params={"max": max_length},
                )
            }
        )
    return value


def header_safe(value) -> str:
    """`value` as one line fit for an email header: control characters and line breaks of any
    kind become spaces, runs of white space one space. Old rows stored before the checks above
    can then never make a message unsendable (Django refuses a header with a line break)."""
    text = "".join(" " if _refused(ch, multiline=False) else ch for ch in str(value))
    return _SPACES.sub(" ", text).strip()
