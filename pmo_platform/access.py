"""The shared part of every app's access helpers (`<app>/access.py`, Zulip's `access_*`).

An access helper fetches one object for a viewer or raises `Http404`: the same answer for an id
that is malformed, missing, in another firm (invisible under the firm scope and RLS) or forbidden
to this viewer, so a probe learns nothing. Views and API views call access helpers; they never
query the ORM or test for `None` themselves."""

from __future__ import annotations

import re

from django.http import Http404

# Primary keys are PostgreSQL bigints (DEFAULT_AUTO_FIELD): a larger number would be a
# database error, not a missing object.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²"


def parse_id(value) -> int:
    """A positive bigint id from a URL, a form or a query string; anything else is a 404."""
    if isinstance(value, bool):
        raise Http404
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise Http404
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def id_or_none(value) -> int | None:
    """The id in `value`, or None when it is not a well-formed id (optional filters such as
    `?client=`, keys of posted forms)."""
    try:
        return parse_id(value)
    except Http404:
        return None


def is_id(value) -> bool:
    """True when `value` is a well-formed id."""
    return id_or_none(value) is not None


def found_or_404(obj):
    """`obj`, or the 404 that a missing or forbidden object gets."""
    if obj is None:
        raise Http404
    return obj
