"""Webhook endpoints and events: register, change, rotate the secret, delete; emit an event in
the caller's transaction; replay deliveries and send a test event. Sending is in
`webhook_delivery.py`. Pages and API views call these with keyword arguments; see docs/api.md,
"Webhooks"."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pmo_platform import outbound
from pmo_platform.errors import field_error
from pmo_platform.tasks import enqueue
from pmo_platform.text import check_single_line

from .. import selectors_webhooks as selectors
from ..error_codes import AccountsErrorCode as Code
from ..models import (
    SUBSCRIBABLE_EVENTS,
    Firm,
    User,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookDisabledReason,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from .audit import audit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
REPLAY_ALL_LIMIT = 1000


def generate_secret() -> str:
    """`whsec_` and the base64 of 32 random bytes: the form `standardwebhooks.Webhook` takes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_msg_id() -> str:
    return "msg_" + secrets.token_hex(12)


def validate_endpoint_url(url: str) -> str:
    """The URL as stored, or a ValidationError on `url`: https (http only where private targets
    are allowed), a host, no credentials, at most WEBHOOK_URL_MAX_LENGTH characters, and no
    IP literal or `localhost` outside the public internet. Names are resolved and checked
    again at every delivery (pmo_platform.outbound)."""
    url = (url or "").strip()
    try:
        outbound.check_url(
            url,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
            max_length=settings.WEBHOOK_URL_MAX_LENGTH,
        )
    except outbound.Refused as exc:
        if exc.code == outbound.ADDRESS_REFUSED:
            raise field_error(
                "url",
                _("This address is on a private or local network; use a public address."),
                Code.WEBHOOK_URL_NOT_ALLOWED,
            ) from None
        raise field_error(
            "url",
            _("Enter an https:// address without a user name or password."),
            Code.WEBHOOK_URL_INVALID,
        ) from None
    return url


def validate_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise field_error("events", _("Choose at least one event."), Code.WEBHOOK_EVENTS_REQUIRED)
    unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise field_error("events", _("Choose events from the list."), Code.WEBHOOK_EVENT_UNKNOWN)
    return [e for e in SUBSCRIBABLE_EVENTS if e in events]  # de-duplicated, in list order


def _check(*, url: str, description: str, events) -> tuple[str, str, list[str]]:
    errors = {}
    values = {}
    for field, check in (
        ("url", lambda: validate_endpoint_url(url)),
        ("description", lambda: check_single_line("description", description, max_length=200)),
        ("events", lambda: validate_events(events)),
    ):
        try:
            values[field] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return values["url"], values["description"], values["events"]


@transaction.atomic
def webhook_endpoint_create(
    *,
    firm: Firm,
    actor: User | None,
    url: str,
    events: list[str],
    description: str = "",
    enabled: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint. Its `secret` is generated here; show it to the user now, once."""
    url, description, events = _check(url=url, description=description, events=events)
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        firm=firm,
        url=url,
        description=description,
        events=events,
        enabled=enabled,
        disabled_reason="" if enabled else WebhookDisabledReason.MANUAL,
        disabled_at=None if enabled else now,
        secret=generate_secret(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit(
        firm=firm,
        actor=actor,
        action="webhook.created",
        target=endpoint,
        url=url,
        events=events,
        enabled=enabled,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    firm: Firm,
    actor: User | None,
    endpoint: WebhookEndpoint,
    url: str,
    events: list[str],
    description: str = "",
    enabled: bool = True,
) -> WebhookEndpoint:
    """Change an endpoint. Enabling one (again) clears why it was disabled and its failure run;
    disabling one by hand leaves its deliveries to be replayed later."""
    url, description, events = _check(url=url, description=description, events=events)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    was_enabled = endpoint.enabled
    endpoint.url, endpoint.description, endpoint.events = url, description, events
    if enabled and not was_enabled:
        endpoint.enabled = True
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    elif not enabled and was_enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = WebhookDisabledReason.MANUAL
        endpoint.disabled_at = timezone.now()
    endpoint.save()
    audit(
        firm=firm,
        actor=actor,
        action="webhook.updated",
        target=endpoint,
        url=url,
        events=events,
        enabled=endpoint.enabled,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, firm: Firm, actor: User | None, endpoint: WebhookEndpoint
) -> WebhookEndpoint:
    """A new secret (show it once). The old one keeps signing, as a second signature, for
    WEBHOOK_PREVIOUS_SECRET_GRACE, so receivers can switch without losing a delivery."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOK_PREVIOUS_SECRET_GRACE
    endpoint.secret = generate_secret()
    endpoint.save(
        update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"]
    )
    audit(firm=firm, actor=actor, action="webhook.secret_rotated", target=endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, firm: Firm, actor: User | None, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their log (events stay for other endpoints)."""
    # The endpoint's lock first, then its deliveries (the order every writer uses).
    WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).values_list("id").first()
    audit(firm=firm, actor=actor, action="webhook.deleted", target=endpoint, url=endpoint.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def _publish(*, firm: Firm, deliveries: list[WebhookDelivery]) -> None:
    from ..tasks import deliver_webhook

    for delivery in deliveries:
        enqueue(
            deliver_webhook,
            firm_id=firm.pk,
            delivery_id=delivery.pk,
            attempt=delivery.attempt_count,
        )


def _event(*, firm: Firm, event_type: str, payload: dict) -> WebhookEvent:
    json.dumps(payload)  # plain JSON only (ids, strings, numbers, ISO timestamps)
    return WebhookEvent.objects.create(
        firm=firm, msg_id=new_msg_id(), type=event_type, payload=payload
    )


def emit_event(
    *, firm: Firm, event_type: str, payload: dict | Callable[[], dict]
) -> WebhookEvent | None:
    """Record `event_type` with its payload (snapshotted now) and one delivery per enabled
    endpoint that subscribes to it, in the caller's transaction; the deliveries are published
    after commit (outbox). None when no endpoint wants it (nothing is written). `payload` may
    be a function that builds it: it is called only when some endpoint wants the event."""
    if event_type not in SUBSCRIBABLE_EVENTS:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit_event() must be called inside the change's transaction")
    endpoints = list(
        WebhookEndpoint.objects.filter(
            firm=firm, enabled=True, events__contains=[event_type]
        ).values_list("id", flat=True)
    )
    if not endpoints:
        return None
    if callable(payload):
        payload = payload()
    event = _event(firm=firm, event_type=event_type, payload=payload)
    grace = timezone.now() + settings.WEBHOOK_CLAIM_STALE_AFTER
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(firm=firm, event=event, endpoint_id=pk, next_attempt_at=grace)
            for pk in endpoints
        ]
    )
    _publish(firm=firm, deliveries=deliveries)
    return event


def _require_enabled(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The endpoint as it is now (locked for the caller's transaction), or an error when it is
    disabled."""
    endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).get(pk=endpoint.pk)
    if not endpoint.enabled:
        raise ValidationError(
            _("This endpoint is disabled. Enable it first."), code=Code.WEBHOOK_ENDPOINT_DISABLED
        )
    return endpoint


@transaction.atomic
def webhook_send_test(
    *, firm: Firm, actor: User | None, endpoint: WebhookEndpoint
) -> WebhookDelivery:
    """Send a `webhook.test` event to this one endpoint (whatever events it subscribes to)."""
    endpoint = _require_enabled(endpoint)
    event = _event(
        firm=firm,
        event_type=WebhookEventType.TEST,
        payload={"endpoint_id": endpoint.pk, "message": "This is a test event from PMO Platform."},
    )
    delivery = WebhookDelivery.objects.create(
        firm=firm,
        event=event,
        endpoint=endpoint,
        next_attempt_at=timezone.now() + settings.WEBHOOK_CLAIM_STALE_AFTER,
    )
    audit(firm=firm, actor=actor, action="webhook.test_sent", target=endpoint, msg_id=event.msg_id)
    _publish(firm=firm, deliveries=[delivery])
    return delivery


def _reset_for_replay(ids: list[int]) -> list[WebhookDelivery]:
    """Make deliveries due again with a fresh retry schedule (same event, same webhook-id)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk__in=ids, claimed_at__isnull=True).update(
        status=WebhookDeliveryStatus.PENDING,
        failures=0,
        next_attempt_at=now + settings.WEBHOOK_CLAIM_STALE_AFTER,
    )
    return list(WebhookDelivery.objects.filter(pk__in=ids, claimed_at__isnull=True))


@transaction.atomic
def webhook_delivery_replay(
    *, firm: Firm, actor: User | None, delivery: WebhookDelivery
) -> WebhookDelivery:
    """Send one delivery again, whatever became of it before (a delivered one too): the same
    event, the same `webhook-id`, the payload as it was."""
    endpoint = _require_enabled(WebhookEndpoint(pk=delivery.endpoint_id))
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.claimed_at is not None:
        raise ValidationError(
            _("This delivery is being sent right now."), code=Code.WEBHOOK_DELIVERY_IN_FLIGHT
        )
    (replayed,) = _reset_for_replay([locked.pk])
    audit(
        firm=firm,
        actor=actor,
        action="webhook.replayed",
        target=endpoint,
        delivery_id=delivery.pk,
        msg_id=delivery.event.msg_id,
    )
    _publish(firm=firm, deliveries=[replayed])
    return replayed


@transaction.atomic
def webhook_replay_failed(*, firm: Firm, actor: User | None, endpoint: WebhookEndpoint) -> int:
    """Replay every failed or given-up delivery of the endpoint (at most REPLAY_ALL_LIMIT, the
    oldest first, per call). Returns how many."""
    endpoint = _require_enabled(endpoint)
    ids = selectors.webhook_replayable_ids(firm=firm, endpoint=endpoint, limit=REPLAY_ALL_LIMIT)
    if not ids:
        raise ValidationError(
            _("No failed deliveries to send again."), code=Code.WEBHOOK_NOTHING_TO_REPLAY
        )
    list(WebhookDelivery.objects.select_for_update().filter(pk__in=ids).values_list("id"))
    replayed = _reset_for_replay(ids)
    audit(
        firm=firm,
        actor=actor,
        action="webhook.replayed_failed",
        target=endpoint,
        deliveries=len(replayed),
    )
    _publish(firm=firm, deliveries=replayed)
    return len(replayed)


PERSONAL_KEYS = ("respondent", "lead")


def webhook_events_forget(*, firm: Firm, respondent_ids: list[int]) -> int:
    """Erase what stored events say about these respondents (a privacy erasure, in its
    transaction): their identity becomes `{"id", "erased": true}` and their scores go. A later
    replay sends the erased payload. Returns how many events changed."""
    if not respondent_ids:
        return 0
    matches = Q()
    for key in PERSONAL_KEYS:
        matches |= Q(**{f"payload__{key}__id__in": respondent_ids})
    changed = 0
    for event in WebhookEvent.objects.filter(firm=firm).filter(matches).select_for_update():
        payload = dict(event.payload)
        for key in PERSONAL_KEYS:
            if isinstance(payload.get(key), dict) and "id" in payload[key]:
                payload[key] = {"id": payload[key]["id"], "erased": True}
        payload.pop("scores", None)
        payload.pop("completed_at", None)
        WebhookEvent.objects.filter(pk=event.pk).update(payload=payload)
        changed += 1
    return changed
