"""Finding the key a request names, inside its firm's scope."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone

from ..models import ApiKey
from ..services.api_keys import hash_secret

LAST_USED_PRECISION = timedelta(minutes=1)


class KeyRefused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def key_for_secret(secret: str, prefix: str) -> ApiKey:
    """The usable key with this secret (the caller has entered the firm named in the key), or
    `KeyRefused` with `invalid_key`, `key_revoked` or `key_expired`."""
    key = ApiKey.objects.select_related("created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise KeyRefused("invalid_key")
    if key.is_revoked:
        raise KeyRefused("key_revoked")
    if key.is_expired:
        raise KeyRefused("key_expired")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
