"""Completed responses with their scores, as an incremental feed (docs/api.md).

Only non-anonymous campaigns' responses leave the platform one by one: asking for an anonymous
campaign's responses is a 403 `campaign_anonymous`, and the list across campaigns leaves
anonymous campaigns out. The scores are the respondent's personal result, computed by
`assessments.scoring` when they submitted (the result page shows the same)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from accounts.api.base import FirmAPIView

from .. import selectors
from ..models import Source
from ..results import ordered_scores
from .feed import (
    UPDATED_SINCE,
    FeedPagination,
    campaign_filter,
    feed_description,
    non_anonymous_campaign,
    since,
    since_parameter,
)


class IdentitySerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    language = serializers.CharField(help_text="en or sv")


class SegmentsSerializer(serializers.Serializer):
    role_level = serializers.CharField(
        allow_blank=True,
        help_text="leadership, pmo, project_manager, team_member, other, or empty",
    )
    department = serializers.CharField(allow_blank=True)


class DimensionScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="0-100; null when not scored")
    band = serializers.CharField(allow_null=True)
    answered = serializers.IntegerField(help_text="Statements answered (not “don't know”)")
    items = serializers.IntegerField(help_text="Statements in the dimension")


class ScoresSerializer(serializers.Serializer):
    overall = serializers.FloatField(allow_null=True, help_text="0-100; null when not scored")
    band = serializers.CharField(allow_null=True)
    dimensions = DimensionScoreSerializer(many=True, help_text="In the instrument's order")


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    client = serializers.IntegerField()
    instrument_version = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Source.choices)
    completed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="When a served field last changed")
    erased = serializers.BooleanField(
        help_text="The respondent's identity and result were erased (privacy): delete your copy"
    )
    respondent = IdentitySerializer(
        allow_null=True,
        help_text="Null when erased, or for an open-link respondent who gave no email",
    )
    segments = SegmentsSerializer(allow_null=True, help_text="Null when erased")
    scores = ScoresSerializer(allow_null=True, help_text="Null when erased")


def identity(respondent) -> dict | None:
    """Who answered, when they may be named: invited respondents of a non-anonymous campaign,
    open-link respondents only once they left their email with consent; never once erased."""
    if respondent.erased_at is not None or not respondent.email:
        return None
    if respondent.source != Source.INVITED and respondent.consent_at is None:
        return None
    return {"email": respondent.email, "name": respondent.name, "language": respondent.language}


def scores(respondent, order: dict[int, list[str]]) -> dict | None:
    if respondent.erased_at is not None or not respondent.result:
        return None
    return ordered_scores(respondent.result, order.get(respondent.campaign.version_id, []))


def response_row(respondent, order: dict[int, list[str]]) -> dict:
    erased = respondent.erased_at is not None
    return {
        "id": respondent.pk,
        "campaign": respondent.campaign_id,
        "client": respondent.campaign.client_id,
        "instrument_version": respondent.campaign.version_id,
        "source": respondent.source,
        "completed_at": respondent.completed_at,
        "updated_at": respondent.updated_at,
        "erased": erased,
        "respondent": identity(respondent),
        "segments": None
        if erased
        else {"role_level": respondent.role_level, "department": respondent.department},
        "scores": scores(respondent, order),
    }


CAMPAIGN = OpenApiParameter(
    "campaign",
    OpenApiTypes.INT64,
    description="Only this campaign's responses (403 `campaign_anonymous` if it is anonymous).",
)
COMPLETED_SINCE = since_parameter("completed_since", "Only responses completed at or after this.")


class FeedView(FirmAPIView):
    cursor_ordering = selectors.FEED_ORDER
    pagination_class = FeedPagination

    def feed_page(self, queryset, row):
        page = self.paginate_queryset(queryset)
        order = selectors.dimension_order(version_ids=[r.campaign.version_id for r in page])
        data = self.get_serializer_class()([row(r, order) for r in page], many=True).data
        return self.get_paginated_response(data)


class ResponseListView(FeedView):
    """Completed responses of the firm's non-anonymous campaigns, with identity, segments and
    scores per dimension and overall. Anonymous campaigns (the default) are left out: their
    respondents were promised that nobody sees their answers one by one, so only aggregates
    (statistics and reports) leave the platform. A launched campaign cannot stop being
    anonymous; one made anonymous later leaves this list."""

    read_scope, schema_tag = "responses:read", "responses"
    serializer_class = ResponseSerializer

    @extend_schema(
        description=feed_description(__doc__),
        parameters=[CAMPAIGN, COMPLETED_SINCE, UPDATED_SINCE],
        responses=ResponseSerializer(many=True),
    )
    def get(self, request):
        completed_since = since(request, "completed_since")
        updated_since = since(request, "updated_since")
        campaign = campaign_filter(request, self.access)
        queryset = selectors.response_feed(
            firm=self.firm,
            campaign=campaign,
            completed_since=completed_since,
            updated_since=updated_since,
        )
        return self.feed_page(queryset, response_row)


class CampaignResponseListView(FeedView):
    """One campaign's completed responses (see `GET /responses/`). An anonymous campaign's are
    refused with 403 `campaign_anonymous`: its individual responses never leave the platform."""

    read_scope, schema_tag = "responses:read", "responses"
    serializer_class = ResponseSerializer

    @extend_schema(
        description=feed_description(__doc__),
        parameters=[COMPLETED_SINCE, UPDATED_SINCE],
        responses=ResponseSerializer(many=True),
    )
    def get(self, request, campaign_id: str):
        completed_since = since(request, "completed_since")
        updated_since = since(request, "updated_since")
        campaign = non_anonymous_campaign(self.access, campaign_id)
        queryset = selectors.response_feed(
            firm=self.firm,
            campaign=campaign,
            completed_since=completed_since,
            updated_since=updated_since,
        )
        return self.feed_page(queryset, response_row)
