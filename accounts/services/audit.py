"""The audit trail: every service writes who changed what, in the same transaction."""

from __future__ import annotations

from ..api.context import current_api_key
from ..models import AuditEntry, Firm, User


def audit(*, firm: Firm, actor: User | None, action: str, target=None, **data) -> AuditEntry:
    key = current_api_key.get()
    if key is not None:  # a change made through the API names the key it was made with
        data.setdefault("api_key", key.prefix)
    return AuditEntry.objects.create(
        firm=firm,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        data=data,
    )
