"""A campaign's invited respondents: bulk add (the CSV import's rules), the list with each
person's invitation status, one person, an invitation again, removal before the launch.

What a respondent row shows is what the campaign page shows a consultant, for anonymous and
named campaigns alike: who was invited (email, name, role level, department, language), the
invitation's status and the reminders sent. Never answers, scores or results, nor the moments
of opening and finishing (those, next to the reports, could single out one person's answers).
An erased person's identity is blank, as on the page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import FirmAPIView, valid_data
from accounts.models import Language

from .. import selectors, services
from ..access import access_campaign, access_respondent
from ..models import RoleLevel
from .common import CAMPAIGN_ID, RESPONDENT_ID, choice_filter, state_conflicts

MAX_ROWS = 1000
STATUSES = ["queued", "sent", "opened", "started", "completed", "bounced"]
STATUS_CHOICES = [(name, name) for name in STATUSES]  # the schema's RespondentStatusEnum


class RespondentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    language = serializers.ChoiceField(choices=Language.choices)
    role_level = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES,
        help_text="The invitation's progress: queued, sent, opened, started, completed; or "
        "bounced.",
    )
    reminders_sent = serializers.IntegerField()
    erased = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(help_text="When the person was added.")

    def _identity(self, respondent, field: str) -> str:
        return "" if respondent.erased_at else getattr(respondent, field)

    def get_email(self, respondent) -> str:
        return self._identity(respondent, "email")

    def get_name(self, respondent) -> str:
        return self._identity(respondent, "name")

    def get_role_level(self, respondent) -> str:
        return self._identity(respondent, "role_level")

    def get_department(self, respondent) -> str:
        return self._identity(respondent, "department")

    def get_erased(self, respondent) -> bool:
        return respondent.erased_at is not None


class RespondentRowSerializer(serializers.Serializer):
    # Strings only here; what they must contain is the CSV import's check (a 400 naming the
    # row, the field and the code, such as `rows.3.email` / `invalid_email`).
    email = serializers.CharField(max_length=1000, trim_whitespace=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="en or sv (default: the campaign's language).",
    )
    role_level = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="One of: " + ", ".join(RoleLevel.values) + " (or empty).",
    )
    department = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class BulkAddSerializer(serializers.Serializer):
    rows = RespondentRowSerializer(many=True, min_length=1, max_length=MAX_ROWS)


class BulkAddResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="People added.")
    updated = serializers.IntegerField(
        help_text="People already there, with their details updated (matched by email)."
    )


STATUS_FILTER = OpenApiParameter(
    "status", str, enum=STATUSES, description="Only people whose invitation is in this state."
)


class RespondentListView(FirmAPIView):
    """The people invited to a campaign, in the order they were added, with the invitation's
    status (`?status=` for one state). POST adds up to 1,000 people in one call with the CSV
    import's rules: every row is checked and one bad row adds nobody; the 400 names every bad
    row as `rows.<index>.<field>` with a code. A person already there (same email) is updated;
    in an open campaign the new people get their invitation at once."""

    read_scope, write_scope, schema_tag = "respondents:read", "respondents:write", "respondents"

    @extend_schema(
        operation_id="respondents_list",
        parameters=[CAMPAIGN_ID, STATUS_FILTER],
        responses=RespondentSerializer(many=True),
    )
    def get(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        wanted = choice_filter(request, "status", STATUSES)
        people = selectors.campaign_respondents(campaign=campaign, status=wanted)
        return self.paginated(people, RespondentSerializer)

    @extend_schema(
        operation_id="respondents_bulk_add",
        parameters=[CAMPAIGN_ID],
        request=BulkAddSerializer,
        responses={200: BulkAddResultSerializer},
    )
    def post(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        data = valid_data(BulkAddSerializer, request.data)
        rows = [dict(row) for row in data["rows"]]
        with state_conflicts():
            result = services.respondents_add(
                firm=self.firm, actor=self.actor, campaign=campaign, rows=rows
            )
        return Response(BulkAddResultSerializer(result).data)


class RespondentDetailView(FirmAPIView):
    """One invited person. DELETE takes them off a campaign that has not been launched yet;
    after the launch it is a 409 `campaign_not_draft` (their invitation may have gone out)."""

    read_scope, write_scope, schema_tag = "respondents:read", "respondents:write", "respondents"

    @extend_schema(
        operation_id="respondents_retrieve",
        parameters=[CAMPAIGN_ID, RESPONDENT_ID],
        responses=RespondentSerializer,
    )
    def get(self, request, campaign_id: str, respondent_id: str):
        campaign = access_campaign(self.access, campaign_id)
        respondent = access_respondent(self.access, campaign, respondent_id)
        return Response(RespondentSerializer(respondent).data)

    @extend_schema(
        operation_id="respondents_remove",
        parameters=[CAMPAIGN_ID, RESPONDENT_ID],
        request=None,
        responses={204: None},
    )
    def delete(self, request, campaign_id: str, respondent_id: str):
        campaign = access_campaign(self.access, campaign_id)
        respondent = access_respondent(self.access, campaign, respondent_id)
        with state_conflicts():
            services.respondent_remove(firm=self.firm, actor=self.actor, respondent=respondent)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RespondentResendView(FirmAPIView):
    """Send the person's invitation again (and clear a bounce), while the campaign is open
    (409 `campaign_not_open`); not to someone who has finished (409 `respondent_completed`).
    The email goes out in the background (202)."""

    read_scope, write_scope, schema_tag = "respondents:read", "respondents:write", "respondents"

    @extend_schema(
        operation_id="respondents_resend",
        parameters=[CAMPAIGN_ID, RESPONDENT_ID],
        request=None,
        responses={202: RespondentSerializer},
    )
    def post(self, request, campaign_id: str, respondent_id: str):
        campaign = access_campaign(self.access, campaign_id)
        respondent = access_respondent(self.access, campaign, respondent_id)
        with state_conflicts():
            services.respondent_resend(firm=self.firm, actor=self.actor, respondent=respondent)
        respondent = access_respondent(self.access, campaign, respondent_id)  # bounce cleared
        return Response(RespondentSerializer(respondent).data, status=status.HTTP_202_ACCEPTED)
