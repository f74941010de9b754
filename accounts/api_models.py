"""API keys and idempotency records: a firm's credentials for integrations (docs/api.md).

Both are tenant-owned like the rest of the app (firm key, scoped manager, forced RLS). A key is
stored only as the SHA-256 hash of its secret; the prefix (`pmo_<firm>_<8 characters>`) is kept
in clear to recognise it in lists and logs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import TenantModel

__all__ = ["ApiKey", "IdempotencyRecord"]


class ApiKey(TenantModel):
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=40)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint("firm", "prefix", name="api_key_unique_prefix"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(TenantModel):
    """The first response to a write sent with an `Idempotency-Key` header, kept for a day.

    Written in the request's own transaction, so a request that fails leaves no record and a
    request that succeeds cannot be applied twice (a concurrent repeat waits on the unique key)."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("firm", "api_key", "key", name="idempotency_unique_key"),
        ]
