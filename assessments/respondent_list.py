"""Page links of the campaign page's respondent list (pure): a page starts after or before a
row's (email, id), carried in the URL as an opaque, URL-safe string."""

from __future__ import annotations

import base64
import binascii
import json

MAX_EMAIL = 254


def encode_key(key: tuple) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key(value: str) -> tuple | None:
    """The (email, id) in `value`, or None for anything that is not one."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(key, list) and len(key) == 2):
        return None
    email, pk = key
    if not isinstance(email, str) or len(email) > MAX_EMAIL or "\x00" in email:
        return None
    try:
        email.encode()  # no lone surrogates ("\ud800" is valid JSON, not valid UTF-8)
    except UnicodeEncodeError:
        return None
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk < 2**63:
        return None
    return (email, pk)
