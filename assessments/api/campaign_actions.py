"""What a consultant does to a campaign with a button: launch it, close it, send the reminders
now; and its live statistics (the same figures as the campaign page)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import FirmAPIView

from .. import selectors, services
from ..access import access_campaign
from ..models import CampaignStatus, RoleLevel
from .campaigns import CampaignSerializer
from .common import CAMPAIGN_ID, state_conflicts


class CampaignActionView(FirmAPIView):
    """A button on the campaign page: `service` on the campaign, the campaign back."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "campaigns"
    service = None

    def post(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        with state_conflicts():
            campaign = type(self).service(firm=self.firm, actor=self.actor, campaign=campaign)
        return Response(CampaignSerializer(campaign, context={"firm": self.firm}).data)


class CampaignLaunchView(CampaignActionView):
    """Launch a draft: it opens now and the invitations go out to everyone added, or, when
    `opens_at` is in the future, it is scheduled and opens then. A campaign that is not a draft
    or scheduled is a 409 `campaign_not_launchable`; a passed close date, `close_date_passed`."""

    service = services.campaign_launch

    @extend_schema(
        operation_id="campaigns_launch",
        parameters=[CAMPAIGN_ID],
        request=None,
        responses=CampaignSerializer,
    )
    def post(self, request, campaign_id: str):
        return super().post(request, campaign_id)


class CampaignCloseView(CampaignActionView):
    """Close the campaign: no more answers; the report is built. Closing a closed campaign is a
    409 `campaign_already_closed`."""

    service = services.campaign_close

    @extend_schema(
        operation_id="campaigns_close",
        parameters=[CAMPAIGN_ID],
        request=None,
        responses=CampaignSerializer,
    )
    def post(self, request, campaign_id: str):
        return super().post(request, campaign_id)


class RemindersSerializer(serializers.Serializer):
    reminded = serializers.IntegerField(help_text="How many people a reminder is on its way to.")


class CampaignRemindView(FirmAPIView):
    """Send a reminder now to everyone invited who has not finished (it counts towards the
    campaign's maximum). Only while the campaign is open (409 `campaign_not_open`); when nobody
    is waiting, a 409 `nobody_to_remind`. The emails go out in the background (202)."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "campaigns"

    @extend_schema(
        operation_id="campaigns_remind",
        parameters=[CAMPAIGN_ID],
        request=None,
        responses={202: RemindersSerializer},
    )
    def post(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        with state_conflicts():
            count = services.reminders_send_now(firm=self.firm, actor=self.actor, campaign=campaign)
        return Response({"reminded": count}, status=status.HTTP_202_ACCEPTED)


class SegmentSerializer(serializers.Serializer):
    role_level = serializers.ChoiceField(
        choices=[("", "—"), *RoleLevel.choices], help_text='"" for people without a role level.'
    )
    label = serializers.CharField(help_text="The role level's name in the request's language.")
    invited = serializers.IntegerField()
    completed = serializers.IntegerField()
    rate = serializers.IntegerField(help_text="Completed of invited, in percent (0 to 100).")


class DepartmentSegmentSerializer(serializers.Serializer):
    department = serializers.CharField(
        allow_null=True,
        help_text='The department as imported ("" for people without one); null for the row '
        "that sums every department after the ten largest.",
    )
    label = serializers.CharField(help_text="The department, or the summary row's name.")
    invited = serializers.IntegerField()
    completed = serializers.IntegerField()
    rate = serializers.IntegerField(help_text="Completed of invited, in percent (0 to 100).")


class CampaignStatsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    rate = serializers.IntegerField(help_text="Response rate of the invited, in percent.")
    invited = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="Invited people who have finished.")
    open_link = serializers.IntegerField(help_text="Completed responses through the open link.")
    queued = serializers.IntegerField(help_text="Invitation not sent yet.")
    sent = serializers.IntegerField(help_text="Invitation sent, not opened.")
    opened = serializers.IntegerField(help_text="Opened, not started.")
    started = serializers.IntegerField(help_text="Started, not finished.")
    bounced = serializers.IntegerField(help_text="Invitation bounced.")
    segments = SegmentSerializer(
        many=True,
        help_text="Response rates by role level, exactly as the campaign page shows them: a "
        "group the page does not show is absent.",
    )
    departments = DepartmentSegmentSerializer(
        many=True,
        help_text="Response rates of the ten largest departments, and one row for the rest, "
        "exactly as the campaign page shows them.",
    )


class CampaignStatsView(FirmAPIView):
    """Live statistics: the response rate overall and by role level, and how many invitations
    are in each state. The figures are the campaign page's own (the same selector), so the
    small-group rules of the pages hold here unchanged."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "campaigns"

    @extend_schema(
        operation_id="campaigns_stats", parameters=[CAMPAIGN_ID], responses=CampaignStatsSerializer
    )
    def get(self, request, campaign_id: str):
        campaign = access_campaign(self.access, campaign_id)
        stats = selectors.campaign_stats(campaign=campaign)
        return Response(CampaignStatsSerializer({**stats, "status": campaign.status}).data)
