"""Give every firm its rows of each built-in instrument version in assessments/instruments/
(idempotent; run after deploying a new instrument file). Each firm is written in its own scope."""

from django.core.management.base import BaseCommand

from accounts.models import Firm
from assessments import services
from pmo_platform.tenancy import firm_context


class Command(BaseCommand):
    help = "Install the built-in instrument versions for every firm (safe to repeat)."

    def handle(self, *args, **options):
        count = 0
        for firm in Firm.objects.filter(is_active=True).order_by("pk"):
            with firm_context(firm):
                count += len(services.install_builtin_instruments(firm=firm))
        if options["verbosity"]:
            self.stdout.write(f"Built-in instruments checked for {count} firm versions.")
