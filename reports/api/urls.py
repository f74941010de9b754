"""The reports resources of the REST API (docs/api.md)."""

from django.urls import path

from . import reports

urlpatterns = [
    path("reports/", reports.ReportListView.as_view(), name="api_reports"),
    path("reports/<str:report_id>/", reports.ReportDetailView.as_view(), name="api_report"),
    path("reports/<str:report_id>/pdf/", reports.ReportPdfView.as_view(), name="api_report_pdf"),
    path("reports/<str:report_id>/csv/", reports.ReportCsvView.as_view(), name="api_report_csv"),
    path(
        "campaigns/<str:campaign_id>/report/rebuild/",
        reports.ReportRebuildView.as_view(),
        name="api_report_rebuild",
    ),
]
