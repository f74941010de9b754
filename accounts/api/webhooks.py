"""Webhook endpoints through the API (`webhooks:manage`): register, change, rotate the secret,
delete, send a test event, read the delivery log, replay one delivery or all failed ones.
The same services as the settings pages (accounts/services/webhooks.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from pmo_platform.api.errors import state_conflicts

from .. import selectors_webhooks
from ..access import access_webhook_delivery, access_webhook_endpoint
from ..error_codes import AccountsErrorCode as Code
from ..models import WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from ..services import webhooks as webhook_services
from ..webhook_models import SUBSCRIBABLE_EVENTS
from .base import FirmAPIView, valid_data

SCOPE = "webhooks:manage"
# Refusals because of the endpoint's or delivery's state: 409s with the service's code.
STATE_CODES = frozenset(
    {
        Code.WEBHOOK_ENDPOINT_DISABLED,
        Code.WEBHOOK_DELIVERY_IN_FLIGHT,
        Code.WEBHOOK_NOTHING_TO_REPLAY,
    }
)


class EndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "created_at",
        ]
        read_only_fields = fields


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        help_text="Shown only in this response: store it to verify signatures."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS), max_length=20
    )
    enabled = serializers.BooleanField(required=False, default=True)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "attempted_at",
            "status_code",
            "duration_ms",
            "response_excerpt",
            "error_code",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type")
    webhook_id = serializers.CharField(source="event.msg_id")
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error_code",
            "succeeded_at",
            "created_at",
            "attempts",
        ]
        read_only_fields = fields


class EndpointListView(FirmAPIView):
    """The firm's webhook endpoints; POST registers one and returns its secret, once."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(responses=EndpointSerializer(many=True))
    def get(self, request):
        return self.paginated(
            selectors_webhooks.webhook_endpoints(firm=self.firm), EndpointSerializer
        )

    @extend_schema(request=EndpointWriteSerializer, responses={201: EndpointWithSecretSerializer})
    def post(self, request):
        data = valid_data(EndpointWriteSerializer, request.data)
        endpoint = webhook_services.webhook_endpoint_create(
            firm=self.firm, actor=self.actor, **data
        )
        return Response(EndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(FirmAPIView):
    """One endpoint: read, change (any field; enabling clears a disabled state), delete."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(responses=EndpointSerializer)
    def get(self, request, endpoint_id: int):
        return Response(EndpointSerializer(access_webhook_endpoint(self.access, endpoint_id)).data)

    @extend_schema(request=EndpointWriteSerializer(partial=True), responses=EndpointSerializer)
    def patch(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        data = valid_data(EndpointWriteSerializer, request.data, partial=True)
        current = {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "enabled": endpoint.enabled,
        }
        endpoint = webhook_services.webhook_endpoint_update(
            firm=self.firm, actor=self.actor, endpoint=endpoint, **{**current, **data}
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        webhook_services.webhook_endpoint_delete(
            firm=self.firm, actor=self.actor, endpoint=endpoint
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateView(FirmAPIView):
    """A new signing secret, returned once; the old one also signs for a day."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(request=None, responses=EndpointWithSecretSerializer)
    def post(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        endpoint = webhook_services.webhook_endpoint_rotate_secret(
            firm=self.firm, actor=self.actor, endpoint=endpoint
        )
        return Response(EndpointWithSecretSerializer(endpoint).data)


class EndpointTestView(FirmAPIView):
    """Send a `webhook.test` event to this endpoint now."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        with state_conflicts(STATE_CODES):
            delivery = webhook_services.webhook_send_test(
                firm=self.firm, actor=self.actor, endpoint=endpoint
            )
        delivery = selectors_webhooks.webhook_delivery_get(
            firm=self.firm, endpoint=endpoint, pk=delivery.pk
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


STATUS = OpenApiParameter(
    "status", str, enum=list(WebhookDeliveryStatus.values), description="Only deliveries in it."
)


class DeliveryListView(FirmAPIView):
    """The endpoint's deliveries, newest first, each with its attempt log (time, status code,
    duration, response excerpt)."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"
    cursor_ordering = ("-id",)

    @extend_schema(parameters=[STATUS], responses=DeliverySerializer(many=True))
    def get(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in WebhookDeliveryStatus.values:
            raise serializers.ValidationError(
                {"status": ["Unknown status."]}, code="invalid_choice"
            )
        queryset = selectors_webhooks.webhook_deliveries(
            firm=self.firm, endpoint=endpoint, status=wanted, limit=None
        )
        return self.paginated(queryset, DeliverySerializer)


class DeliveryReplayView(FirmAPIView):
    """Send one delivery again: the same event, payload and `webhook-id`."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request, endpoint_id: int, delivery_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        delivery = access_webhook_delivery(self.access, endpoint, delivery_id)
        webhook_services.webhook_delivery_replay(
            firm=self.firm, actor=self.actor, delivery=delivery
        )
        delivery = selectors_webhooks.webhook_delivery_get(
            firm=self.firm, endpoint=endpoint, pk=delivery.pk
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class ReplayCountSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()


class ReplayFailedView(FirmAPIView):
    """Send every failed or given-up delivery of the endpoint again."""

    read_scope = write_scope = SCOPE
    schema_tag = "webhooks"

    @extend_schema(request=None, responses={202: ReplayCountSerializer})
    def post(self, request, endpoint_id: int):
        endpoint = access_webhook_endpoint(self.access, endpoint_id)
        with state_conflicts(STATE_CODES):
            count = webhook_services.webhook_replay_failed(
                firm=self.firm, actor=self.actor, endpoint=endpoint
            )
        return Response({"replayed": count}, status=status.HTTP_202_ACCEPTED)
