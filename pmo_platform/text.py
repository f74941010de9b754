"""Text from people: what a stored value may contain, and making stored text safe to use in an
email header whatever it holds.

Single-line values (names, subjects) may not contain control characters (C0, DEL, C1), line or
paragraph separators or lone surrogates; multi-line values (email texts, descriptions) may
contain line breaks and tabs, nothing else of those. No text may contain bidirectional
overrides, embeddings or isolates, and single-line values no characters shown as nothing
(zero-width space and the like): each has its own error code. A carriage return in a name
would break every email header built from it; a NUL cannot be stored by PostgreSQL at all."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .error_codes import PlatformErrorCode as Code

_MULTILINE_ALLOWED = {"\n", "\t"}
_REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_SPACES = re.compile(r"\s+")

# Invisible characters that change how text around them is shown: the bidirectional embeddings,
# overrides and isolates (a name that reads one way and sorts, matches or is stored another:
# "Trojan Source"), refused in every text. Zero-width joiners and non-joiners and the
# left-to-right and right-to-left marks stay allowed (scripts and emoji need them).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Also refused in single-line values (names, subjects): characters that show as nothing at all,
# so two names that look the same differ (zero-width space, word joiner and the invisible
# operators, the byte order mark, the Mongolian vowel separator, interlinear annotation marks,
# the Hangul fillers).
INVISIBLE_IN_NAMES = frozenset(
    "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\ufff9\ufffa\ufffb\u115f\u1160\u3164\uffa0"
)


def _refused(ch: str, *, multiline: bool) -> bool:
    if multiline and ch in _MULTILINE_ALLOWED:
        return False
    return unicodedata.category(ch) in _REFUSED_CATEGORIES


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return any(_refused(ch, multiline=multiline) for ch in value)


def has_invisible_characters(value: str, *, multiline: bool = False) -> bool:
    """Bidirectional controls anywhere; in a single-line value, characters shown as nothing."""
    refused = BIDI_CONTROLS if multiline else BIDI_CONTROLS | INVISIBLE_IN_NAMES
    return any(ch in refused for ch in value)


def normalize_newlines(value: str) -> str:
    """Browsers send a textarea's line breaks as CR LF; store LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def control_characters_error() -> ValidationError:
    return ValidationError(
        _("Remove the control characters (such as line breaks or NUL) from this text."),
        code=Code.CONTROL_CHARACTERS,
    )


def invisible_characters_error() -> ValidationError:
    return ValidationError(
        _(
            "Remove the invisible formatting characters (such as text direction overrides or "
            "zero-width spaces) from this text."
        ),
        code=Code.INVISIBLE_CHARACTERS,
    )


def text_error(value: str, *, multiline: bool = False) -> ValidationError | None:
    """What is wrong with `value` as stored text (control or invisible characters), if anything."""
    if has_control_characters(value, multiline=multiline):
        return control_characters_error()
    if has_invisible_characters(value, multiline=multiline):
        return invisible_characters_error()
    return None


def validate_single_line(value: str) -> None:
    error = text_error(value)
    if error is not None:
        raise error


def validate_multi_line(value: str) -> None:
    error = text_error(value, multiline=True)
    if error is not None:
        raise error


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
