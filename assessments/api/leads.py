"""Leads from the open "take the test" link, as an incremental feed (docs/api.md): the same
people the Leads page lists, those who left their email with consent to get their results."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from .. import selectors
from .feed import UPDATED_SINCE, feed_description, since, since_parameter
from .responses import FeedView, ScoresSerializer, scores


class LeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    campaign_name = serializers.CharField()
    client = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    language = serializers.CharField(help_text="en or sv")
    consented_at = serializers.DateTimeField(help_text="When the lead left their email")
    completed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="When a served field last changed")
    followup_opt_in = serializers.BooleanField(help_text="Asked for follow-up tips by email")
    unsubscribed = serializers.BooleanField()
    scores = ScoresSerializer(allow_null=True)


def lead_row(respondent, order: dict[int, list[str]]) -> dict:
    return {
        "id": respondent.pk,
        "campaign": respondent.campaign_id,
        "campaign_name": respondent.campaign.name,
        "client": respondent.campaign.client_id,
        "email": respondent.email,
        "name": respondent.name,
        "language": respondent.language,
        "consented_at": respondent.consent_at,
        "completed_at": respondent.completed_at,
        "updated_at": respondent.updated_at,
        "followup_opt_in": respondent.followup_opt_in,
        "unsubscribed": respondent.unsubscribed_at is not None,
        "scores": scores(respondent, order),
    }


CREATED_SINCE = since_parameter(
    "created_since", "Only leads created (who left their email) at or after this moment."
)


class LeadListView(FeedView):
    """Leads: people who took the firm's open test and left their email with consent to get
    their results (the Leads page's list), with their scores. A lead whose data is erased
    leaves the list."""

    read_scope, schema_tag = "leads:read", "leads"
    serializer_class = LeadSerializer

    @extend_schema(
        description=feed_description(__doc__),
        parameters=[CREATED_SINCE, UPDATED_SINCE],
        responses=LeadSerializer(many=True),
    )
    def get(self, request):
        queryset = selectors.lead_feed(
            firm=self.firm,
            created_since=since(request, "created_since"),
            updated_since=since(request, "updated_since"),
        )
        return self.feed_page(queryset, lead_row)
