from django.urls import path

from .views import campaigns, portal, settings

app_name = "reports"

urlpatterns = [
    path("campaigns/<int:campaign_id>/report/", campaigns.campaign_report, name="campaign_report"),
    path(
        "campaigns/<int:campaign_id>/report/request/",
        campaigns.report_request,
        name="report_request",
    ),
    path("settings/reports/", settings.report_settings, name="settings"),
    path("portal/<int:client_id>/", portal.portal, name="portal"),
    path(
        "portal/<int:client_id>/campaigns/<int:campaign_id>/",
        portal.portal_campaign,
        name="portal_campaign",
    ),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/",
        portal.portal_report,
        name="portal_report",
    ),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/csv/",
        portal.report_csv,
        name="report_csv",
    ),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/pdf/",
        portal.report_pdf,
        name="report_pdf",
    ),
]
