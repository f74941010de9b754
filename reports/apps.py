from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Report snapshots, benchmarks and exports built by Celery workers (issue 4)."""

    name = "reports"
    verbose_name = _("Reports")
