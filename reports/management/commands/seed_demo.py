"""Load demo data: two branded firms with owners, consultants, clients, a client executive, an
open campaign with answers coming in, and earlier closed rounds with their reports.

Each app seeds its own part (`accounts/demo.py`, `assessments/demo.py`, `reports/demo.py`); the
command lives in `reports`, the top layer, because it is the one place that may use all three.
Idempotent: running it again changes nothing that is already there. Every write to tenant data
happens inside that firm's scope, as in any other entry point."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from assessments import demo as assessments_demo
from pmo_platform.tenancy import firm_context
from reports import demo as reports_demo


class Command(BaseCommand):
    help = "Load demo firms, people, clients, campaigns and reports (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options):
        accounts_demo.seed_operator()
        api_keys = []
        for spec in accounts_demo.FIRMS:
            firm = accounts_demo.seed_firm(spec)
            with firm_context(firm):
                owner, clients = accounts_demo.seed_people(firm=firm, spec=spec)
                reports_demo.seed_reports(firm=firm, owner=owner, spec=spec, clients=clients)
                assessments_demo.seed_campaign(
                    firm=firm, owner=owner, client=clients[spec["campaign_client"]], spec=spec
                )
                accounts_demo.seed_executive(firm=firm, owner=owner, spec=spec, clients=clients)
                accounts_demo.seed_webhook(firm=firm, owner=owner, spec=spec)
                if spec is accounts_demo.FIRMS[0]:
                    api_keys.append((firm, accounts_demo.seed_api_key(firm=firm, owner=owner)))
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        for firm, secret in api_keys:
            # bin/run shows it; docs/api.md's curl examples read it from $PMO_API_KEY.
            self.stdout.write(f"Demo API key ({firm.name}): {secret}")
