from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Report snapshots, benchmarks and exports built by Celery workers."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from assessments.signals import campaign_closed, response_completed

        from . import services
        from .models import ReportTrigger

        def on_closed(sender, firm, campaign, **kwargs):
            services.report_request(firm=firm, campaign=campaign, trigger=ReportTrigger.CLOSED)

        def on_response(sender, firm, campaign, **kwargs):
            services.report_request(firm=firm, campaign=campaign, trigger=ReportTrigger.ANSWERS)

        campaign_closed.connect(on_closed, weak=False, dispatch_uid="reports_on_closed")
        response_completed.connect(on_response, weak=False, dispatch_uid="reports_on_response")
