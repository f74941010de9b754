from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """The PMO instrument, campaigns, respondents and their answers."""

    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        from accounts.signals import firm_created

        from . import services

        def install_instrument(sender, firm, **kwargs):
            services.install_builtin_instruments(firm=firm)

        firm_created.connect(install_instrument, weak=False, dispatch_uid="assessments_install")

        from anymail.signals import tracking

        from .webhooks import email_event

        tracking.connect(email_event, weak=False, dispatch_uid="assessments_email_event")
