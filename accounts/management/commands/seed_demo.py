"""Load demo data: two branded firms with owners, consultants, clients and a client executive.

Idempotent: running it again changes nothing that is already there. Every write to tenant data
happens inside that firm's scope, as in any other entry point."""

import io
import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts import services
from accounts.models import (
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Membership,
    Role,
    User,
)
from pmo_platform.tenancy import firm_context

DEMO_PASSWORD = "demo-pass-2026"

FIRMS = [
    {
        "slug": "northwind",
        "name": "Northwind Advisory",
        "language": "en",
        "primary": "#1F4E79",
        "accent": "#B45309",
        "footer": "Northwind Advisory Ltd · 12 King Street, London",
        "owner": ("anna@northwind.example", "Anna Whitfield"),
        "consultants": [("oliver@northwind.example", "Oliver Grant")],
        "clients": [
            ("Contoso Bank", "finance", "1000-4999", "GB"),
            ("Fabrikam Health", "healthcare", "250-999", "IE"),
        ],
        "executive": ("cfo@contoso.example", "Claire Donovan", "Contoso Bank"),
        "campaign_client": "Contoso Bank",
        "campaign": "Contoso Bank PMO check, autumn 2026",
        "people": [
            ("Grace Hopper", "leadership", "Executive board"),
            ("Alan Turing", "leadership", "Executive board"),
            ("Ada Lovelace", "leadership", "Finance"),
            ("Linus Pauling", "pmo", "Transformation office"),
            ("Marie Curie", "pmo", "Transformation office"),
            ("Niels Bohr", "project_manager", "IT"),
            ("Lise Meitner", "project_manager", "Retail banking"),
            ("Emmy Noether", "project_manager", "IT"),
            ("Carl Gauss", "team_member", "IT"),
            ("Rosalind Franklin", "team_member", "Retail banking"),
            ("Edwin Hubble", "team_member", "IT"),
            ("Katherine Johnson", "team_member", "Operations"),
        ],
    },
    {
        "slug": "fjallvag",
        "name": "Fjällväg Konsult AB",
        "language": "sv",
        "primary": "#1C6B3A",
        "accent": "#8A5A00",
        "footer": "Fjällväg Konsult AB · Storgatan 1, Umeå",
        "owner": ("karin@fjallvag.example", "Karin Lindqvist"),
        "consultants": [("erik@fjallvag.example", "Erik Sandberg")],
        "clients": [
            ("Norrlands Energi", "energy", "1000-4999", "SE"),
            ("Kommunförbundet Väst", "public", "250-999", "SE"),
        ],
        "executive": ("it-chef@norrlandsenergi.example", "Maria Holm", "Norrlands Energi"),
        "campaign_client": "Norrlands Energi",
        "campaign": "PMO-test Norrlands Energi hösten 2026",
        "people": [
            ("Astrid Lindgren", "leadership", "Ledningsgrupp"),
            ("Olof Palme", "leadership", "Ledningsgrupp"),
            ("Greta Garbo", "pmo", "PMO"),
            ("Anders Celsius", "project_manager", "Elnät"),
            ("Carl Linnaeus", "project_manager", "Produktion"),
            ("Selma Lagerlöf", "team_member", "IT"),
            ("Alfred Nobel", "team_member", "Elnät"),
            ("Ingrid Bergman", "team_member", "IT"),
        ],
    },
]

OPERATOR = ("operator@pmo.example", "Platform Operator")


def demo_logo(initials: str, color: str) -> bytes:
    image = Image.new("RGB", (200, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, 72, 72), radius=12, fill=color)
    draw.text((40, 40), initials, fill="white", font=ImageFont.load_default(size=30), anchor="mm")
    draw.text((84, 40), "PMO", fill=color, font=ImageFont.load_default(size=34), anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ensure_client(firm, owner, name, industry, size, country) -> ClientOrganisation:
    """The firm's client of that name, created through the service when missing."""
    client = ClientOrganisation.objects.filter(name=name).first()
    if client is None:
        client = services.client_create(
            firm=firm, actor=owner, name=name, industry=industry, size_band=size, country=country
        )
    return client


def ensure_user(email: str, name: str, language: str = "en", **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, name=name, language=language, **extra)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_campaign(*, firm, owner, client, spec):
    """An open campaign with invitations out and about two thirds of the answers in."""
    from assessments import services as assessment_services
    from assessments.models import Campaign, CampaignStatus, EmailKind, EmailLog, Respondent

    if Campaign.objects.filter(name=spec["campaign"]).exists():
        return
    version = assessment_services.install_builtin_instruments(firm=firm)[0]
    campaign = assessment_services.campaign_create(
        firm=firm,
        actor=owner,
        client=client,
        version=version,
        name=spec["campaign"],
        closes_at=timezone.now() + timedelta(days=10),
        default_language=spec["language"],
        open_link=True,
        **assessment_services.default_invitation_texts(),
    )
    domain = client.name.lower().replace(" ", "") + ".example"
    rows = [
        {
            "email": name.lower().replace(" ", ".").replace("ö", "o") + "@" + domain,
            "name": name,
            "language": spec["language"],
            "role_level": role,
            "department": department,
        }
        for name, role, department in spec["people"]
    ]
    assessment_services.respondents_add(firm=firm, actor=owner, campaign=campaign, rows=rows)
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.OPEN, opened_at=now - timedelta(days=4)
    )
    campaign.refresh_from_db()
    rng = random.Random(spec["slug"])
    items = list(version.items.select_related("dimension"))
    for index, respondent in enumerate(Respondent.objects.filter(campaign=campaign).order_by("id")):
        Respondent.objects.filter(pk=respondent.pk).update(sent_at=now - timedelta(days=4))
        EmailLog.objects.create(firm=firm, respondent=respondent, kind=EmailKind.INVITATION)
        if index % 3 == 2:
            continue  # invited, not answered yet
        # Leaders see a more mature PMO than the teams do (the Swedish seed's sign 5).
        lean = (
            1
            if respondent.role_level == "leadership"
            else (-1 if respondent.role_level == "team_member" else 0)
        )
        for item in items:
            base = rng.choice([2, 3, 3, 4]) + lean
            value = max(1, min(5, 6 - base if item.reverse else base))
            value = None if rng.random() < 0.04 else value
            assessment_services.answer_save(
                firm=firm, respondent=respondent, item_id=item.pk, value=value
            )
        respondent.refresh_from_db()
        result = assessment_services.personal_result(respondent=respondent)
        Respondent.objects.filter(pk=respondent.pk).update(
            opened_at=now - timedelta(days=3), completed_at=now - timedelta(days=2), result=result
        )
        EmailLog.objects.create(firm=firm, respondent=respondent, kind=EmailKind.RESULT)


PEER_CLIENTS = [
    ("Adventure Works", "manufacturing", "1000-4999", "DE"),
    ("Tailspin Insurance", "insurance", "1000-4999", "NL"),
    ("Woodgrove Savings", "finance", "250-999", "GB"),
    ("Litware Public Services", "public", "5000+", "GB"),
    ("Proseware Logistics", "transport", "250-999", "DK"),
    ("Wide World Retail", "retail", "1000-4999", "SE"),
]


def seed_closed_campaign(*, firm, owner, client, name, months_ago, bias, people=8):
    """A closed campaign with answers in, and its report snapshot built."""
    from assessments import services as assessment_services
    from assessments.models import Answer, Campaign, CampaignStatus, Respondent
    from reports import services as report_services
    from reports.models import Report

    if Campaign.objects.filter(name=name).exists():
        return
    version = assessment_services.install_builtin_instruments(firm=firm)[0]
    campaign = assessment_services.campaign_create(
        firm=firm,
        actor=owner,
        client=client,
        version=version,
        name=name,
        closes_at=timezone.now() + timedelta(days=1),
        default_language="en",
        **assessment_services.default_invitation_texts(),
    )
    roles = ["leadership", "leadership", "pmo", "project_manager", "team_member", "team_member"]
    domain = client.name.lower().replace(" ", "") + ".example"
    rows = [
        {
            "email": f"person{n}.{campaign.pk}@{domain}",
            "name": "",
            "language": "en",
            "role_level": roles[n % len(roles)],
            "department": ["IT", "Finance"][n % 2],
        }
        for n in range(people)
    ]
    assessment_services.respondents_add(firm=firm, actor=owner, campaign=campaign, rows=rows)
    rng = random.Random(name)
    items = list(version.items.all())
    respondents = list(Respondent.objects.filter(campaign=campaign))
    answers = []
    for respondent in respondents:
        lean = 1 if respondent.role_level == "leadership" else 0
        for item in items:
            base = max(1, min(5, rng.choice([2, 3, 3, 4]) + bias + lean))
            answers.append(
                Answer(
                    firm=firm,
                    respondent=respondent,
                    item=item,
                    value=6 - base if item.reverse else base,
                )
            )
    Answer.objects.bulk_create(answers)
    then = timezone.now() - timedelta(days=30 * months_ago)
    for respondent in respondents:
        Respondent.objects.filter(pk=respondent.pk).update(
            sent_at=then,
            opened_at=then,
            started_at=then,
            completed_at=then,
            result=assessment_services.personal_result(respondent=respondent),
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.OPEN, opened_at=then - timedelta(days=14)
    )
    campaign.refresh_from_db()
    assessment_services.campaign_close(firm=firm, actor=owner, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        created_at=then - timedelta(days=14), closed_at=then
    )
    report = Report.objects.get(campaign=campaign)
    report_services.report_build(firm=firm, report_id=report.pk)


def seed_reports(*, firm, owner, spec, clients):
    """Earlier rounds for the main client (a trend) and peers (benchmarks), with reports."""
    from reports.models import ReportSettings

    ReportSettings.objects.get_or_create(firm=firm, defaults={"contribute_to_benchmarks": True})
    main = clients[spec["campaign_client"]]
    peers = []
    for name, industry, size, country in PEER_CLIENTS:
        peers.append(ensure_client(firm, owner, name, industry, size, country))
    for n, peer in enumerate(peers):
        seed_closed_campaign(
            firm=firm,
            owner=owner,
            client=peer,
            name=f"{peer.name} PMO check 2026",
            months_ago=3 + n % 3,
            bias=(n % 3) - 1,
        )
    seed_closed_campaign(
        firm=firm,
        owner=owner,
        client=main,
        name=f"{main.name} PMO check 2025",
        months_ago=12,
        bias=-1,
        people=18,
    )
    seed_closed_campaign(
        firm=firm,
        owner=owner,
        client=main,
        name=f"{main.name} PMO check spring 2026",
        months_ago=6,
        bias=0,
        people=22,
    )


class Command(BaseCommand):
    help = "Load demo firms, people and clients (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options):
        ensure_user(*OPERATOR, is_staff=True, is_superuser=True)
        for spec in FIRMS:
            self.seed_firm(spec)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

    def seed_firm(self, spec):
        owner = ensure_user(*spec["owner"], language=spec["language"])
        firm = Firm.objects.filter(slug=spec["slug"]).first()
        if firm is None:
            firm = services.firm_signup(
                owner=owner, firm_name=spec["name"], language=spec["language"]
            )
            if firm.slug != spec["slug"]:
                Firm.objects.filter(pk=firm.pk).update(slug=spec["slug"])
                firm.refresh_from_db()
        with firm_context(firm):
            branding = Branding.objects.get(firm=firm)
            if not branding.has_logo:
                initials = "".join(word[0] for word in spec["name"].split()[:2])
                services.branding_update(
                    firm=firm,
                    actor=owner,
                    primary_color=spec["primary"],
                    accent_color=spec["accent"],
                    sender_name=spec["name"],
                    reply_to=spec["owner"][0],
                    email_footer=spec["footer"],
                    default_language=spec["language"],
                    logo=(demo_logo(initials, spec["primary"]), "image/png"),
                )
            for email, name in spec["consultants"]:
                user = ensure_user(email, name, language=spec["language"])
                Membership.objects.get_or_create(
                    firm=firm, user=user, defaults={"role": Role.CONSULTANT}
                )
            clients = {}
            for name, industry, size, country in spec["clients"]:
                clients[name] = ensure_client(firm, owner, name, industry, size, country)
            seed_reports(firm=firm, owner=owner, spec=spec, clients=clients)
            seed_campaign(
                firm=firm, owner=owner, client=clients[spec["campaign_client"]], spec=spec
            )
            email, name, client_name = spec["executive"]
            executive = ensure_user(email, name, language=spec["language"])
            ClientExecutive.objects.get_or_create(
                firm=firm,
                client=clients[client_name],
                user=executive,
                defaults={"granted_by": owner},
            )
