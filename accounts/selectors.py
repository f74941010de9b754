"""Reads. Tenant selectors take the firm and run inside its scope; they never write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import router, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pmo_platform.prepared import prepared_cursor
from pmo_platform.tenancy import RLS_SET_FIRM, firm_context, user_context

from .models import (
    ApiKey,
    AuditEntry,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Invitation,
    Membership,
    Role,
    User,
)

# Every request under /f/<firm_slug>/ starts here (FirmScopeMiddleware): a prepared statement
# (pmo_platform/prepared.py) rather than an ORM query compiled and planned every time.
_FIRM_FIELDS = tuple(f.attname for f in Firm._meta.concrete_fields)
_FIRM_COLUMNS = ", ".join(_FIRM_FIELDS)
# The model's own column and table names: no input reaches the SQL text.
_FIRM_BY_SLUG = f"SELECT {_FIRM_COLUMNS} FROM {Firm._meta.db_table} WHERE slug = %s::varchar AND is_active LIMIT 1"  # noqa: E501, S608


# The same, also setting the firm for the RLS policies in the caller's transaction.
_ENTER_FIRM_BY_SLUG = _FIRM_BY_SLUG.replace(
    " FROM ", f", {RLS_SET_FIRM.format(column='id')} FROM ", 1
)


def _firm_by_slug(sql: str, slug: str) -> Firm | None:
    using = router.db_for_read(Firm)
    with prepared_cursor(using) as cursor:
        cursor.execute(sql, [slug])
        row = cursor.fetchone()
    return Firm.from_db(using, _FIRM_FIELDS, row[: len(_FIRM_FIELDS)]) if row else None


def firm_by_slug(slug: str) -> Firm | None:
    return _firm_by_slug(_FIRM_BY_SLUG, slug)


def enter_firm_by_slug(slug: str) -> Firm | None:
    """The active firm with this slug, set for the RLS policies in the current transaction in
    the same statement; the caller then runs the firm's work in `firm_context(firm,
    rls_set=True)` and ends the transaction after it. None (nothing set) when there is none."""
    if not transaction.get_connection(router.db_for_read(Firm)).in_atomic_block:
        raise ValueError("enter_firm_by_slug needs a transaction")
    return _firm_by_slug(_ENTER_FIRM_BY_SLUG, slug)


def firm_by_id(firm_id: int) -> Firm | None:
    return Firm.objects.filter(pk=firm_id, is_active=True).first()


@dataclass(frozen=True)
class FirmAccess:
    """What the current user may do in the current firm (access helpers take this)."""

    firm: Firm | None = None
    membership: Membership | None = None
    executive_client_ids: frozenset[int] = field(default_factory=frozenset)
    # An API request: the key acts as staff of its firm, limited by its scopes (docs/api.md).
    api_key: object | None = None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None or self.api_key is not None

    @property
    def can_manage_firm(self) -> bool:
        # An API key reaches only what its scopes allow (e.g. webhooks:manage), never the
        # team or settings pages, which take a logged-in owner or admin.
        return self.role in (Role.OWNER, Role.ADMIN) or self.api_key is not None

    @property
    def can_enter(self) -> bool:
        return self.is_member or bool(self.executive_client_ids)

    def can_view_client(self, client_id: int) -> bool:
        return self.is_member or client_id in self.executive_client_ids


def firm_access(*, user, firm: Firm) -> FirmAccess:
    """Resolve the user's membership and client-executive grants in `firm` (inside its scope)."""
    if not user.is_authenticated or not user.is_active:
        return FirmAccess(firm=firm)
    membership = Membership.objects.filter(user=user).first()
    if membership is not None:
        return FirmAccess(firm=firm, membership=membership)
    client_ids = frozenset(
        ClientExecutive.objects.filter(user=user, client__archived_at__isnull=True).values_list(
            "client_id", flat=True
        )
    )
    return FirmAccess(firm=firm, executive_client_ids=client_ids)


@dataclass(frozen=True)
class Workspace:
    """One place the user can go after logging in."""

    firm: Firm
    role: str
    role_label: str
    client: ClientOrganisation | None = None


def workspaces_for_user(user: User) -> list[Workspace]:
    """Every firm the user belongs to and every client they are an executive of."""
    with user_context(user):
        memberships = list(
            Membership.objects.filter(user=user, firm__is_active=True).select_related("firm")
        )
        grants = list(
            ClientExecutive.objects.filter(user=user, firm__is_active=True).select_related("firm")
        )
    places = [
        Workspace(firm=m.firm, role=m.role, role_label=m.get_role_display()) for m in memberships
    ]
    member_firms = {m.firm_id for m in memberships}
    by_firm: dict[int, tuple[Firm, list[int]]] = {}
    for grant in grants:
        if grant.firm_id not in member_firms:
            by_firm.setdefault(grant.firm_id, (grant.firm, []))[1].append(grant.client_id)
    for firm, client_ids in by_firm.values():
        # Client rows are readable only inside their firm's scope.
        with firm_context(firm):
            clients = ClientOrganisation.objects.filter(pk__in=client_ids, archived_at__isnull=True)
            places += [
                Workspace(firm=firm, role="executive", role_label="", client=c) for c in clients
            ]
    return sorted(places, key=lambda w: (w.firm.name, w.client.name if w.client else ""))


def branding_for_firm(*, firm: Firm) -> Branding:
    branding = Branding.objects.filter(firm=firm).defer("logo").first()
    if branding is None:  # every firm gets one at signup; this keeps pages working regardless
        branding = Branding(firm=firm, sender_name=firm.name)
    return branding


def firm_email_rate(*, firm: Firm) -> int:
    """The firm's campaign-email send rate per minute: its own, else the platform's default."""
    rate = Firm.objects.filter(pk=firm.pk).values_list("email_rate_per_minute", flat=True).first()
    return rate or settings.PMO_EMAIL_RATE_PER_MINUTE


def client_list(*, firm: Firm, archived: bool | None = False) -> QuerySet[ClientOrganisation]:
    """Active clients, archived ones (`archived=True`) or all (`None`)."""
    queryset = ClientOrganisation.objects.all()
    if archived is not None:
        queryset = queryset.filter(archived_at__isnull=not archived)
    return queryset.annotate(executive_count=Count("executives", distinct=True)).order_by("name")


def client_get(*, firm: Firm, pk: int) -> ClientOrganisation | None:
    return ClientOrganisation.objects.filter(pk=pk).first()


def client_executives(*, firm: Firm, client: ClientOrganisation) -> QuerySet[ClientExecutive]:
    return ClientExecutive.objects.filter(client=client).select_related("user").order_by("id")


def client_executive_get(
    *, firm: Firm, client: ClientOrganisation, pk: int
) -> ClientExecutive | None:
    return client_executives(firm=firm, client=client).filter(pk=pk).first()


def user_exists(*, email: str) -> bool:
    """Whether an account uses this address (users are global)."""
    return User.objects.filter(email__iexact=email).exists()


def pending_invitations(
    *, firm: Firm, client: ClientOrganisation | None = None
) -> QuerySet[Invitation]:
    qs = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    qs = qs.filter(client=client) if client else qs.filter(client__isnull=True)
    return qs.select_related("invited_by").order_by("-created_at")


def members_list(*, firm: Firm) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__name", "user__email")


def member_get(*, firm: Firm, pk: int) -> Membership | None:
    return Membership.objects.select_related("user").filter(pk=pk).first()


def invitation_get(*, firm: Firm, pk: int) -> Invitation | None:
    return Invitation.objects.filter(pk=pk).first()


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def invitation_by_token(*, firm: Firm, raw_token: str) -> Invitation | None:
    if not raw_token or len(raw_token) > 128:
        return None
    return (
        Invitation.objects.select_related("client")
        .filter(token_hash=hash_token(raw_token))
        .exclude(token_hash="")
        .first()
    )


def audit_entries(*, firm: Firm, limit: int = 200) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")[:limit]


def firm_dashboard_counts(*, firm: Firm) -> dict[str, int]:
    return ClientOrganisation.objects.aggregate(
        active_clients=Count("id", filter=Q(archived_at__isnull=True)),
        archived_clients=Count("id", filter=Q(archived_at__isnull=False)),
    ) | {
        "members": Membership.objects.count(),
        "pending_invitations": Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
    }


def invitations_unsent(*, older_than) -> list[tuple[int, int]]:
    """(firm id, invitation id) of pending, unexpired invitations whose email has not gone out
    although it was asked for more than `older_than` ago (its task was lost with a worker).
    Platform-level: the caller runs it inside `all_firms()` (the sweep); ids only."""
    now = timezone.now()
    return list(
        Invitation.objects.filter(
            email_sent_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_at__lte=now - older_than,
        ).values_list("firm_id", "id")[:1000]
    )


def api_keys_list(*, firm: Firm) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


def api_key_get(*, firm: Firm, pk: int) -> ApiKey | None:
    return ApiKey.objects.filter(pk=pk).first()
