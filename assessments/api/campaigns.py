"""Campaigns: the list (by client and status), create, read, and update while a draft. Launch,
close, reminders and the live statistics are in `campaign_actions`."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import access_client
from accounts.api.base import FirmAPIView, valid_data
from accounts.emails import absolute_url
from accounts.models import Language
from accounts.selectors import branding_for_firm

from .. import selectors, services
from ..access import access_campaign, access_version
from ..models import Campaign, CampaignStatus
from .common import CAMPAIGN_ID, choice_filter, id_filter, referenced, state_conflicts


class CampaignSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id", read_only=True)
    version = serializers.IntegerField(source="version_id", read_only=True)
    open_link = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "client",
            "version",
            "status",
            "anonymous",
            "default_language",
            "opens_at",
            "closes_at",
            "opened_at",
            "closed_at",
            "created_at",
            "invitation_subject_en",
            "invitation_body_en",
            "invitation_subject_sv",
            "invitation_body_sv",
            "reminder_interval_days",
            "max_reminders",
            "open_link",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": ["string", "null"],
            "format": "uri",
            "description": "The public “take the test” link, or null when the campaign has none.",
        }
    )
    def get_open_link(self, campaign) -> str | None:
        if not campaign.open_link_token:
            return None
        path = reverse(
            "assessments:open_link",
            kwargs={"firm_slug": self.context["firm"].slug, "token": campaign.open_link_token},
        )
        return absolute_url(path)


class CampaignFieldsSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="An instrument version's id (see /instrument-versions/)."
    )
    name = serializers.CharField(max_length=160)
    opens_at = serializers.DateTimeField(
        allow_null=True, help_text="Null: opens when launched. Later: launching schedules it."
    )
    closes_at = serializers.DateTimeField()
    default_language = serializers.ChoiceField(choices=Language.choices)
    invitation_subject_en = serializers.CharField(max_length=200)
    invitation_body_en = serializers.CharField(
        max_length=4000,
        trim_whitespace=False,
        help_text="May use {name}, {client}, {firm} and {deadline}.",
    )
    invitation_subject_sv = serializers.CharField(max_length=200)
    invitation_body_sv = serializers.CharField(max_length=4000, trim_whitespace=False)
    reminder_interval_days = serializers.IntegerField(min_value=1, max_value=30)
    max_reminders = serializers.IntegerField(min_value=0, max_value=5)
    anonymous = serializers.BooleanField(
        help_text="Anonymous towards the client (the default): no individual response leaves "
        "the platform, only aggregates."
    )
    open_link = serializers.BooleanField(help_text="Whether the campaign has a public link.")


class CampaignUpdateSerializer(CampaignFieldsSerializer):
    def validate(self, data):
        if isinstance(self.initial_data, dict) and "client" in self.initial_data:
            raise serializers.ValidationError(
                {"client": [_("A campaign's client cannot change.")]}, code="read_only"
            )
        return data


class CampaignCreateSerializer(CampaignFieldsSerializer):
    client = serializers.IntegerField(min_value=1, help_text="The client organisation's id.")
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    default_language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text="Default: the firm's language."
    )
    invitation_subject_en = serializers.CharField(max_length=200, required=False)
    invitation_body_en = serializers.CharField(
        max_length=4000, trim_whitespace=False, required=False
    )
    invitation_subject_sv = serializers.CharField(max_length=200, required=False)
    invitation_body_sv = serializers.CharField(
        max_length=4000, trim_whitespace=False, required=False
    )
    reminder_interval_days = serializers.IntegerField(min_value=1, max_value=30, default=4)
    max_reminders = serializers.IntegerField(min_value=0, max_value=5, default=2)
    anonymous = serializers.BooleanField(default=True)
    open_link = serializers.BooleanField(default=False)


CLIENT_FILTER = OpenApiParameter(
    "client", OpenApiTypes.INT64, description="Only this client organisation's campaigns."
)
STATUS_FILTER = OpenApiParameter(
    "status", str, enum=CampaignStatus.values, description="Only campaigns in this status."
)


class CampaignListView(FirmAPIView):
    """The firm's campaigns, oldest first, optionally of one client (`?client=`) and in one
    status (`?status=`). POST creates a draft: add respondents, then launch it."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "campaigns"

    @extend_schema(
        operation_id="campaigns_list",
        parameters=[CLIENT_FILTER, STATUS_FILTER],
        responses=CampaignSerializer(many=True),
    )
    def get(self, request):
        client_id = id_filter(request, "client")
        wanted = choice_filter(request, "status", CampaignStatus.values)
        client = None
        if client_id is not None:
            client = referenced("client", client_id, access_client, self.access)
        campaigns = selectors.campaign_list(
            firm=self.firm, client=client, status=wanted, counts=False
        )
        return self.paginated(campaigns, CampaignSerializer, firm=self.firm)

    @extend_schema(
        operation_id="campaigns_create",
        request=CampaignCreateSerializer,
        responses={201: CampaignSerializer},
    )
    def post(self, request):
        data = valid_data(CampaignCreateSerializer, request.data)
        client = referenced("client", data.pop("client"), access_client, self.access)
        version = referenced("version", data.pop("version"), access_version, self.access)
        defaults = {
            "default_language": branding_for_firm(firm=self.firm).default_language,
            **services.default_invitation_texts(),
        }
        campaign = services.campaign_create(
            firm=self.firm,
            actor=self.actor,
            client=client,
            version=version,
            **{**defaults, **data},
        )
        body = CampaignSerializer(campaign, context={"firm": self.firm}).data
        return Response(body, status=status.HTTP_201_CREATED)


class CampaignDetailView(FirmAPIView):
    """One campaign. PATCH changes a draft (any of the fields, the client excepted); once the
    campaign is launched it is a 409 `campaign_not_draft`."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "campaigns"

    @extend_schema(
        operation_id="campaigns_retrieve", parameters=[CAMPAIGN_ID], responses=CampaignSerializer
    )
    def get(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        return Response(CampaignSerializer(campaign, context={"firm": self.firm}).data)

    @extend_schema(
        operation_id="campaigns_partial_update",
        parameters=[CAMPAIGN_ID],
        request=CampaignUpdateSerializer(partial=True),
        responses=CampaignSerializer,
    )
    def patch(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        data = valid_data(CampaignUpdateSerializer, request.data, partial=True)
        current = {field: getattr(campaign, field) for field in services.CAMPAIGN_FIELDS}
        current["open_link"] = bool(campaign.open_link_token)
        version = None
        if "version" in data:
            version = referenced("version", data.pop("version"), access_version, self.access)
        with state_conflicts():
            campaign = services.campaign_update_draft(
                firm=self.firm,
                actor=self.actor,
                campaign=campaign,
                version=version,
                **{**current, **data},
            )
        return Response(CampaignSerializer(campaign, context={"firm": self.firm}).data)
