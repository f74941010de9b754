"""Creating and revoking a firm's API keys. The secret is returned once and stored only as a
SHA-256 hash (a key has 256 random bits, so a fast hash is safe, as for GitHub's tokens)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmo_platform.errors import field_error
from pmo_platform.text import check_single_line

from ..api.scopes import SCOPES
from ..error_codes import AccountsErrorCode
from ..models import ApiKey, Firm, User
from .audit import audit

KEY_PREFIX = "pmo"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(secret: str) -> tuple[int, str] | None:
    """(firm id, display prefix) of a well-formed key `pmo_<firm id>_<43 characters>`."""
    if not secret.isascii() or len(secret) > 100:
        return None
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1].isdigit() or len(parts[2]) < 40:
        return None
    if len(parts[1]) > 18:
        return None
    return int(parts[1]), f"{KEY_PREFIX}_{parts[1]}_{parts[2][:8]}"


@transaction.atomic
def api_key_create(
    *, firm: Firm, actor: User | None, name: str, scopes: list[str], expires_at: datetime | None
) -> tuple[ApiKey, str]:
    """The new key and its secret (shown once)."""
    name = check_single_line("name", name)
    if not name:
        raise field_error(
            "name", _("Give the key a name."), AccountsErrorCode.API_KEY_NAME_REQUIRED
        )
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise field_error(
            "scopes", _("Choose one or more of the listed scopes."), AccountsErrorCode.INVALID_SCOPE
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error(
            "expires_at", _("The expiry must be in the future."), AccountsErrorCode.EXPIRY_IN_PAST
        )
    secret = f"{KEY_PREFIX}_{firm.pk}_{secrets.token_urlsafe(32)}"
    prefix = split_key(secret)[1]
    key = ApiKey.objects.create(
        firm=firm,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes), key=list(SCOPES).index),
        created_by=actor,
        expires_at=expires_at,
    )
    audit(
        firm=firm,
        actor=actor,
        action="api_key.created",
        target=key,
        prefix=prefix,
        scopes=key.scopes,
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, firm: Firm, actor: User | None, key: ApiKey) -> ApiKey:
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit(firm=firm, actor=actor, action="api_key.revoked", target=key, prefix=key.prefix)
    return key
