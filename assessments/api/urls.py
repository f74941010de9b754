"""The assessments resources of the REST API (docs/api.md)."""

from django.urls import path

from . import campaign_actions, campaigns, instruments, respondents

CAMPAIGN = "campaigns/<str:campaign_id>/"
RESPONDENT = CAMPAIGN + "respondents/<str:respondent_id>/"

urlpatterns = [
    path(
        "instrument-versions/",
        instruments.VersionListView.as_view(),
        name="api_instrument_versions",
    ),
    path(
        "instrument-versions/<str:version_id>/",
        instruments.VersionDetailView.as_view(),
        name="api_instrument_version",
    ),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="api_campaigns"),
    path(CAMPAIGN, campaigns.CampaignDetailView.as_view(), name="api_campaign"),
    path(
        CAMPAIGN + "launch/",
        campaign_actions.CampaignLaunchView.as_view(),
        name="api_campaign_launch",
    ),
    path(
        CAMPAIGN + "close/", campaign_actions.CampaignCloseView.as_view(), name="api_campaign_close"
    ),
    path(
        CAMPAIGN + "reminders/",
        campaign_actions.CampaignRemindView.as_view(),
        name="api_campaign_remind",
    ),
    path(
        CAMPAIGN + "stats/", campaign_actions.CampaignStatsView.as_view(), name="api_campaign_stats"
    ),
    path(
        CAMPAIGN + "respondents/",
        respondents.RespondentListView.as_view(),
        name="api_campaign_respondents",
    ),
    path(RESPONDENT, respondents.RespondentDetailView.as_view(), name="api_campaign_respondent"),
    path(
        RESPONDENT + "resend/",
        respondents.RespondentResendView.as_view(),
        name="api_campaign_respondent_resend",
    ),
]
