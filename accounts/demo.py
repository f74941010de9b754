"""Demo data of the accounts app: two branded firms with owners, consultants, clients and a
client executive. Idempotent; runs inside each firm's scope. `manage.py seed_demo` (in the top
layer, `reports`) seeds every app in turn; see docs/architecture.md."""

from __future__ import annotations

import io

from allauth.account.models import EmailAddress
from PIL import Image, ImageDraw, ImageFont

from . import services
from .models import (
    SUBSCRIBABLE_EVENTS,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Membership,
    Role,
    User,
    WebhookEndpoint,
)

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


def seed_firm(spec: dict) -> Firm:
    """The firm of `spec` with its owner (created through sign-up when missing)."""
    owner = ensure_user(*spec["owner"], language=spec["language"])
    firm = Firm.objects.filter(slug=spec["slug"]).first()
    if firm is None:
        firm = services.firm_signup(owner=owner, firm_name=spec["name"], language=spec["language"])
        if firm.slug != spec["slug"]:
            Firm.objects.filter(pk=firm.pk).update(slug=spec["slug"])
            firm.refresh_from_db()
    return firm


def seed_people(*, firm: Firm, spec: dict) -> tuple[User, dict[str, ClientOrganisation]]:
    """Inside the firm's scope: branding with a logo, consultants and clients. Returns the owner
    and the clients by name."""
    owner = User.objects.get(email=spec["owner"][0])
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
        Membership.objects.get_or_create(firm=firm, user=user, defaults={"role": Role.CONSULTANT})
    clients = {}
    for name, industry, size, country in spec["clients"]:
        clients[name] = ensure_client(firm, owner, name, industry, size, country)
    return owner, clients


def seed_executive(*, firm: Firm, owner: User, spec: dict, clients: dict) -> None:
    email, name, client_name = spec["executive"]
    executive = ensure_user(email, name, language=spec["language"])
    ClientExecutive.objects.get_or_create(
        firm=firm, client=clients[client_name], user=executive, defaults={"granted_by": owner}
    )


def seed_operator() -> None:
    ensure_user(*OPERATOR, is_staff=True, is_superuser=True)


# A fixed, published demo key, like the demo password: demo data is for local development only.
DEMO_API_KEY_TOKEN = "demo-key-for-local-development-only-0000000"


def seed_api_key(*, firm: Firm, owner: User) -> str:
    """The demo firm's API key with every scope; returns its secret (docs/api.md uses it)."""
    from .api.scopes import SCOPES
    from .models import ApiKey
    from .services.api_keys import hash_secret, split_key

    secret = f"pmo_{firm.pk}_{DEMO_API_KEY_TOKEN}"
    prefix = split_key(secret)[1]
    if not ApiKey.objects.filter(prefix=prefix).exists():
        key, _random = services.api_key_create(
            firm=firm, actor=owner, name="Demo integration", scopes=list(SCOPES), expires_at=None
        )
        ApiKey.objects.filter(pk=key.pk).update(prefix=prefix, secret_hash=hash_secret(secret))
    return secret


DEMO_WEBHOOK_URL = "https://webhooks.example.com/pmo"


def seed_webhook(*, firm: Firm, owner: User, spec: dict) -> None:
    """One webhook endpoint for the first demo firm, disabled: example.com receives nothing.
    Point it at your own receiver and enable it on the Webhooks page (docs/api.md)."""
    if spec is not FIRMS[0] or WebhookEndpoint.objects.exists():
        return
    services.webhook_endpoint_create(
        firm=firm,
        actor=owner,
        url=DEMO_WEBHOOK_URL,
        description="Demo endpoint (disabled): point it at your receiver, then enable it",
        events=list(SUBSCRIBABLE_EVENTS),
        enabled=False,
    )
