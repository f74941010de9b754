from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("campaigns/<int:campaign_id>/report/", views.campaign_report, name="campaign_report"),
    path(
        "campaigns/<int:campaign_id>/report/request/",
        views.report_request,
        name="report_request",
    ),
    path("settings/reports/", views.report_settings, name="settings"),
    path("portal/<int:client_id>/", views.portal, name="portal"),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/", views.portal_report, name="portal_report"
    ),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/csv/", views.report_csv, name="report_csv"
    ),
    path(
        "portal/<int:client_id>/reports/<int:report_id>/pdf/", views.report_pdf, name="report_pdf"
    ),
]
