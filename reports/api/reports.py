"""Report snapshots: list, read one as JSON, download its PDF and CSV, ask for a rebuild."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.access import access_client
from accounts.api.base import FirmAPIView
from pmo_platform.access import parse_id
from pmo_platform.api.errors import CONTENT_TYPE
from pmo_platform.downloads import streamed_csv

from .. import exports, selectors, services
from ..access import access_campaign_report, access_report
from ..error_codes import ReportsErrorCode as Code
from ..models import Report, ReportStatus, ReportTrigger
from ..presenters import current_language
from .content import report_json
from .renderers import CsvRenderer, PdfRenderer

LANGUAGES = ("en", "sv")
NOT_READY = OpenApiResponse(
    {"$ref": "#/components/schemas/Problem"}, description="The report is not ready"
)


class ReportSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="campaign.client_id")
    status = serializers.ChoiceField(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = [
            "id",
            "campaign",
            "client",
            "number",
            "status",
            "trigger",
            "requested_at",
            "started_at",
            "finished_at",
            "response_count",
        ]
        read_only_fields = fields


def _json(help_text: str, **kwargs):
    return serializers.JSONField(required=False, help_text=help_text, **kwargs)


class ReportContentSerializer(serializers.Serializer):
    """What the report page shows. A group below the minimum group size is absent from its
    list, and a value the page leaves blank is absent, never null."""

    language = serializers.CharField()
    generated_at = serializers.CharField()
    min_group_size = serializers.IntegerField()
    response = _json("invited, completed, completed_invited, rate (%)")
    suppressed = serializers.BooleanField(
        help_text="Fewer responses than the minimum group size: only `response` is given"
    )
    overall = _json("score, band, band_label, respondents (n, mean, sd, quartiles, histogram)")
    dimensions = _json("Per dimension: key, name, n, mean, sd, quartiles, histogram, band")
    segments = _json("Shown groups per attribute (role_level, department)")
    hidden_segments = _json("How many groups of each attribute are not shown")
    gap = _json("Where leadership and team members differ")
    signs = _json("The nine signs' scores")
    weakest = serializers.ListField(child=serializers.CharField(), required=False)
    strongest = serializers.ListField(child=serializers.CharField(), required=False)
    next_steps = _json("Recommended next steps for the weakest dimensions")
    trend = _json("Earlier campaigns of the same client")
    benchmarks = _json("Comparisons shown where enough organisations contribute")


class ReportDetailSerializer(ReportSerializer):
    content = ReportContentSerializer(
        allow_null=True, help_text="The report as the page shows it; null until it is ready"
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "content"]
        read_only_fields = fields


class ReportNotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = Code.REPORT_NOT_READY

    def __init__(self, report: Report):
        super().__init__(
            _("Report %(id)s is not ready (%(status)s).")
            % {"id": report.pk, "status": report.get_status_display()}
        )


def _id_filter(request, name: str):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        parse_id(raw)
    except Http404:
        raise serializers.ValidationError(
            {name: [_("Give an id.")]}, code=Code.INVALID_ID
        ) from None
    return raw


def _language(request) -> str:
    raw = request.query_params.get("language")
    if raw is None:
        return current_language() if current_language() in LANGUAGES else "en"
    if raw not in LANGUAGES:
        raise serializers.ValidationError(
            {"language": [_("Choose en or sv.")]}, code=Code.INVALID_LANGUAGE
        )
    return raw


LANGUAGE = OpenApiParameter(
    "language",
    str,
    enum=list(LANGUAGES),
    description="The language of names and labels (default: the request's language).",
)


class ReportListView(FirmAPIView):
    """The firm's report snapshots, oldest first, without their content (read one for it). A
    campaign gets a new snapshot at each rebuild; clients see only the newest ready one of each
    closed campaign in their portal."""

    read_scope, schema_tag = "reports:read", "reports"

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.INT64, description="Only this campaign's"),
            OpenApiParameter("client", OpenApiTypes.INT64, description="Only this client's"),
        ],
        responses=ReportSerializer(many=True),
    )
    def get(self, request):
        campaign_id, client_id = _id_filter(request, "campaign"), _id_filter(request, "client")
        campaign = None if campaign_id is None else access_campaign_report(self.access, campaign_id)
        client = None if client_id is None else access_client(self.access, client_id)
        queryset = selectors.report_list(firm=self.firm, campaign=campaign, client=client)
        return self.paginated(queryset, ReportSerializer)


class ReportDetailView(FirmAPIView):
    """One snapshot with its content as JSON, exactly as the report page shows it: groups below
    the firm's minimum group size are absent (and whatever else the page leaves out)."""

    read_scope, schema_tag = "reports:read", "reports"

    @extend_schema(parameters=[LANGUAGE], responses=ReportDetailSerializer)
    def get(self, request, report_id: str):
        language = _language(request)
        report = access_report(self.access, report_id)
        report.content = None
        if report.status == ReportStatus.READY:
            with translation.override(language):
                report.content = report_json(report=report, language=language)
        return Response(ReportDetailSerializer(report).data)


class _DownloadView(FirmAPIView):
    read_scope, schema_tag = "reports:read", "reports"
    renderer_classes = [JSONRenderer]
    extension = ""
    content_type = ""

    def get(self, request, report_id: str):
        language = _language(request)
        report = access_report(self.access, report_id)
        if report.status != ReportStatus.READY:
            raise ReportNotReady(report)
        filename = f"report-{report.pk}.{self.extension}"
        with translation.override(language):
            # Everything is read and translated here, also for a stream (sent after return).
            return self.file_response(report, filename)

    def file_response(self, report, filename: str):
        response = HttpResponse(self.render_file(report), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ReportPdfView(_DownloadView):
    """The report as the branded PDF the client portal offers (the same content and charts)."""

    renderer_classes = [JSONRenderer, PdfRenderer]
    extension, content_type = "pdf", "application/pdf"

    def render_file(self, report):
        return exports.report_pdf(
            firm=self.firm,
            client=report.campaign.client,
            report=report,
            request=self.request._request,
        )

    @extend_schema(
        parameters=[LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            (409, CONTENT_TYPE): NOT_READY,
        },
    )
    def get(self, request, report_id: str):
        return super().get(request, report_id)


class ReportCsvView(_DownloadView):
    """The report's aggregates as the CSV the client portal offers (never individual answers;
    hidden groups stay hidden)."""

    renderer_classes = [JSONRenderer, CsvRenderer]
    extension, content_type = "csv", "text/csv; charset=utf-8"

    def file_response(self, report, filename: str):
        """Streamed: lines are written as they are sent (`pmo_platform.downloads`)."""
        return streamed_csv(
            exports.report_csv_stream(firm=self.firm, report=report), filename=filename
        )

    @extend_schema(
        parameters=[LANGUAGE],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (409, CONTENT_TYPE): NOT_READY,
        },
    )
    def get(self, request, report_id: str):
        return super().get(request, report_id)


class ReportRebuildView(FirmAPIView):
    """Ask for a fresh snapshot of the campaign's report (the page's “Rebuild now”). It is built
    in the background: 202 with the report to poll (`GET /reports/{id}/`). A report already
    waiting for its build is reused, so repeated requests start one build."""

    read_scope, write_scope, schema_tag = "reports:read", "reports:write", "reports"

    @extend_schema(request=None, responses={202: ReportSerializer})
    def post(self, request, campaign_id: str):
        campaign = access_campaign_report(self.access, campaign_id)
        report = services.report_request(
            firm=self.firm, campaign=campaign, trigger=ReportTrigger.REQUESTED, actor=self.actor
        )
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api_report", kwargs={"report_id": report.pk})},
        )
