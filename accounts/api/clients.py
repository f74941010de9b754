"""Client organisations: list, create, read, update, archive and restore."""

from __future__ import annotations

from django_countries import countries
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from .. import services
from ..access import access_client
from ..models import ClientOrganisation, Industry, SizeBand
from ..selectors import client_list
from .base import FirmAPIView, valid_data


class ClientSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    archived = serializers.BooleanField(source="is_archived")

    class Meta:
        model = ClientOrganisation
        fields = [
            "id",
            "name",
            "industry",
            "size_band",
            "country",
            "archived",
            "archived_at",
            "created_at",
        ]
        read_only_fields = fields


class ClientWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, trim_whitespace=True)
    industry = serializers.ChoiceField(choices=Industry.choices)
    size_band = serializers.ChoiceField(choices=SizeBand.choices)
    country = serializers.ChoiceField(choices=list(countries), help_text="ISO 3166-1 alpha-2")


ARCHIVED = OpenApiParameter(
    "archived",
    str,
    enum=["false", "true", "all"],
    description="Active clients (default), archived ones, or all.",
)


def _archived_filter(request):
    value = request.query_params.get("archived", "false")
    if value not in ("false", "true", "all"):
        raise serializers.ValidationError(
            {"archived": ["Use false, true or all."]}, code="invalid_choice"
        )
    return None if value == "all" else value == "true"


class ClientListView(FirmAPIView):
    read_scope, write_scope, schema_tag = "clients:read", "clients:write", "clients"

    @extend_schema(parameters=[ARCHIVED], responses=ClientSerializer(many=True))
    def get(self, request):
        queryset = client_list(firm=self.firm, archived=_archived_filter(request))
        return self.paginated(queryset, ClientSerializer)

    @extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer})
    def post(self, request):
        data = valid_data(ClientWriteSerializer, request.data)
        client = services.client_create(firm=self.firm, actor=self.actor, **data)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetailView(FirmAPIView):
    read_scope, write_scope, schema_tag = "clients:read", "clients:write", "clients"

    @extend_schema(responses=ClientSerializer)
    def get(self, request, client_id: int):
        return Response(ClientSerializer(access_client(self.access, client_id)).data)

    @extend_schema(request=ClientWriteSerializer(partial=True), responses=ClientSerializer)
    def patch(self, request, client_id: int):
        client = access_client(self.access, client_id)
        data = valid_data(ClientWriteSerializer, request.data, partial=True)
        current = {
            "name": client.name,
            "industry": client.industry,
            "size_band": client.size_band,
            "country": client.country.code,
        }
        client = services.client_update(
            firm=self.firm, actor=self.actor, client=client, **{**current, **data}
        )
        return Response(ClientSerializer(client).data)


class ClientArchiveView(FirmAPIView):
    """POST archives the client (its campaigns stay); `.../restore/` brings it back."""

    read_scope, write_scope, schema_tag = "clients:read", "clients:write", "clients"
    archive = True

    @extend_schema(request=None, responses=ClientSerializer)
    def post(self, request, client_id: int):
        client = access_client(self.access, client_id)
        services.client_set_archived(
            firm=self.firm, actor=self.actor, client=client, archived=self.archive
        )
        return Response(ClientSerializer(client).data)


class ClientRestoreView(ClientArchiveView):
    archive = False
