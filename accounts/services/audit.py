"""The audit trail: every service writes who changed what, in the same transaction."""

from __future__ import annotations

from ..models import AuditEntry, Firm, User


def audit(*, firm: Firm, actor: User | None, action: str, target=None, **data) -> AuditEntry:
    return AuditEntry.objects.create(
        firm=firm,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        data=data,
    )
