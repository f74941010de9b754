from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """The PMO instrument, campaigns, respondents and their answers (issue 3)."""

    name = "assessments"
    verbose_name = _("Assessments")
