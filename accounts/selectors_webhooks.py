"""Reads of the firm's webhooks: endpoints, deliveries and their attempt log (pages and API),
and the ids the sweep needs across firms. Each list is a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import (
    Firm,
    Membership,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

# Deliveries that may still be sent again (by the schedule, or by a replay).
RETRYABLE = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
REPLAYABLE = (WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.GAVE_UP)


def webhook_endpoints(*, firm: Firm) -> QuerySet[WebhookEndpoint]:
    """The firm's endpoints with their delivery counts by status (one query)."""
    return (
        WebhookEndpoint.objects.filter(firm=firm)
        .annotate(
            pending_count=Count(
                "deliveries", filter=Q(deliveries__status__in=RETRYABLE), distinct=True
            ),
            gave_up_count=Count(
                "deliveries",
                filter=Q(deliveries__status=WebhookDeliveryStatus.GAVE_UP),
                distinct=True,
            ),
        )
        .order_by("created_at", "id")
    )


def webhook_endpoint_get(*, firm: Firm, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(firm=firm, pk=pk).first()


def webhook_deliveries(
    *, firm: Firm, endpoint: WebhookEndpoint, status: str | None = None, limit: int | None = 50
) -> QuerySet[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, each with its event and its attempts
    (newest first): two queries whatever the number of rows. `limit=None`: all of them (for a
    paginating caller such as the API)."""
    qs = WebhookDelivery.objects.filter(firm=firm, endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    qs = (
        qs.select_related("event")
        .prefetch_related(
            Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-id"))
        )
        .order_by("-created_at", "-id")
    )
    return qs[:limit] if limit is not None else qs


def webhook_delivery_get(
    *, firm: Firm, endpoint: WebhookEndpoint, pk: int
) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(firm=firm, endpoint=endpoint, pk=pk)
        .select_related("event", "endpoint")
        .first()
    )


def webhook_attempts(*, firm: Firm, delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(firm=firm, delivery=delivery).order_by(
        "-attempted_at", "-id"
    )


def webhook_replayable_ids(*, firm: Firm, endpoint: WebhookEndpoint, limit: int) -> list[int]:
    """Failed and given-up deliveries of the endpoint that no worker holds, oldest first."""
    return list(
        WebhookDelivery.objects.filter(
            firm=firm, endpoint=endpoint, status__in=REPLAYABLE, claimed_at__isnull=True
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def webhook_notice_recipients(*, firm: Firm) -> list[int]:
    """The firm's owners and admins (who hear that an endpoint was disabled)."""
    return list(
        Membership.objects.filter(
            firm=firm, role__in=(Role.OWNER, Role.ADMIN), user__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def firms_with_due_webhooks(*, now: datetime, stale_after: timedelta) -> list[int]:
    """Across firms (inside `all_firms()`): the firms with a delivery that is due or whose claim
    is older than `stale_after` (its worker died)."""
    return list(
        WebhookDelivery.objects.filter(status__in=RETRYABLE)
        .filter(
            Q(claimed_at__isnull=True, next_attempt_at__lte=now)
            | Q(claimed_at__lt=now - stale_after)
        )
        .order_by()
        .values_list("firm_id", flat=True)
        .distinct()
    )


def firms_with_old_webhook_events(*, before: datetime) -> list[int]:
    """Across firms (inside `all_firms()`): the firms with events older than `before`."""
    return list(
        WebhookEvent.objects.filter(created_at__lt=before)
        .order_by()
        .values_list("firm_id", flat=True)
        .distinct()
    )
