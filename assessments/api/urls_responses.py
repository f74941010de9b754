"""Routes of the responses and leads feeds (included under /api/v1/)."""

from django.urls import path

from . import leads, responses

urlpatterns = [
    path("responses/", responses.ResponseListView.as_view(), name="api_responses"),
    path(
        "campaigns/<str:campaign_id>/responses/",
        responses.CampaignResponseListView.as_view(),
        name="api_campaign_responses",
    ),
    path("leads/", leads.LeadListView.as_view(), name="api_leads"),
]
