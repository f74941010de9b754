"""Permission table over every firm URL (after pretix's test_permissions.py).

Each URL pattern under /f/<firm_slug>/ must appear in URLS below, so a new page cannot be added
without deciding who may open it. Refusals are 404s, the same as a missing object."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

from accounts import services
from accounts.models import (
    ApiKey,
    AuditEntry,
    ClientOrganisation,
    Firm,
    Invitation,
    Membership,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from assessments.models import Campaign, InstrumentVersion, Item, Respondent, RespondentImport
from assessments.respondent_list import encode_key
from pmo_platform.tenancy import firm_context
from reports import services as report_services
from reports.models import Report
from tests.helpers import add_people, brand, new_campaign, person

pytestmark = pytest.mark.django_db

PUBLIC = "public"
MANAGERS = "managers"  # owner and admin
STAFF = "staff"  # owner, admin, consultant
PORTAL = "portal"  # staff, and executives of that client

# url name -> (who may open it, ids it needs, whether GET renders a page)
URLS = {
    "accounts:dashboard": (STAFF, [], True),
    "accounts:client_list": (STAFF, [], True),
    "accounts:client_create": (STAFF, [], True),
    "accounts:client_detail": (STAFF, ["client_id"], True),
    "accounts:client_edit": (STAFF, ["client_id"], True),
    "accounts:client_archive": (STAFF, ["client_id"], False),
    "accounts:executive_invite": (STAFF, ["client_id"], False),
    "accounts:executive_revoke": (STAFF, ["client_id", "grant_id"], False),
    "accounts:team": (STAFF, [], True),
    "accounts:team_invite": (MANAGERS, [], False),
    "accounts:member_role": (MANAGERS, ["member_id"], False),
    "accounts:member_remove": (MANAGERS, ["member_id"], False),
    "accounts:invitation_resend": (STAFF, ["invitation_id"], False),
    "accounts:invitation_revoke": (STAFF, ["invitation_id"], False),
    "accounts:branding": (MANAGERS, [], True),
    "accounts:security": (MANAGERS, [], True),
    "accounts:email_sending": (MANAGERS, [], True),
    "accounts:audit": (MANAGERS, [], True),
    "accounts:api_keys": (MANAGERS, [], True),
    "accounts:api_key_revoke": (MANAGERS, ["key_id"], False),
    # Webhook endpoints, their delivery log and actions (accounts/test_webhooks.py).
    "accounts:webhook_list": (MANAGERS, [], True),
    "accounts:webhook_create": (MANAGERS, [], True),
    "accounts:webhook_detail": (MANAGERS, ["endpoint_id"], True),
    "accounts:webhook_edit": (MANAGERS, ["endpoint_id"], True),
    "accounts:webhook_rotate": (MANAGERS, ["endpoint_id"], False),
    "accounts:webhook_delete": (MANAGERS, ["endpoint_id"], False),
    "accounts:webhook_test": (MANAGERS, ["endpoint_id"], False),
    "accounts:webhook_replay_failed": (MANAGERS, ["endpoint_id"], False),
    "accounts:webhook_replay": (MANAGERS, ["endpoint_id", "delivery_id"], False),
    "accounts:logo": (PUBLIC, ["digest"], True),
    "accounts:invitation": (PUBLIC, ["token"], True),
    "assessments:campaign_list": (STAFF, [], True),
    "assessments:campaign_create": (STAFF, [], True),
    "assessments:campaign_detail": (STAFF, ["campaign_id"], True),
    "assessments:campaign_edit": (STAFF, ["campaign_id"], True),
    "assessments:campaign_stats": (STAFF, ["campaign_id"], True),
    "assessments:campaign_launch": (STAFF, ["campaign_id"], False),
    "assessments:campaign_close": (STAFF, ["campaign_id"], False),
    "assessments:campaign_remind": (STAFF, ["campaign_id"], False),
    "assessments:respondent_add": (STAFF, ["campaign_id"], False),
    "assessments:respondents_import": (STAFF, ["campaign_id"], False),
    "assessments:import_status": (STAFF, ["campaign_id", "import_id"], True),
    "assessments:respondent_resend": (STAFF, ["campaign_id", "respondent_id"], False),
    "assessments:leads": (STAFF, [], True),
    # A person's data by email: export, erasure and retention (assessments/test_privacy.py).
    "assessments:privacy": (MANAGERS, [], True),
    "assessments:privacy_export": (MANAGERS, [], False),
    "assessments:privacy_erase": (MANAGERS, [], False),
    "assessments:privacy_settings": (MANAGERS, [], True),
    "assessments:instrument_list": (STAFF, [], True),
    "assessments:version_detail": (STAFF, ["version_id"], True),
    "assessments:version_copy": (STAFF, ["version_id"], False),
    "assessments:item_edit": (STAFF, ["item_id"], True),
    "assessments:item_remove": (STAFF, ["item_id"], False),
    "assessments:item_add": (STAFF, ["dimension_id"], True),
    "assessments:dimension_edit": (STAFF, ["dimension_id"], True),
    "assessments:advice_edit": (STAFF, ["advice_id"], True),
    # The respondent's pages: the personal token is the credential (assessments/test_survey.py).
    "assessments:survey": (PUBLIC, ["token"], True),
    "assessments:survey_answer": (PUBLIC, ["token"], False),
    "assessments:survey_language": (PUBLIC, ["token"], False),
    "assessments:survey_result": (PUBLIC, ["token"], True),
    "assessments:unsubscribe": (PUBLIC, ["token"], True),
    "assessments:survey_erase": (PUBLIC, ["token"], True),
    "assessments:open_link": (PUBLIC, ["token"], True),
    "reports:campaign_report": (STAFF, ["campaign_id"], True),
    "reports:settings": (MANAGERS, [], True),
    "reports:report_request": (STAFF, ["campaign_id"], False),
    "reports:portal": (PORTAL, ["client_id"], True),
    "reports:portal_campaign": (PORTAL, ["client_id", "campaign_id"], True),
    "reports:portal_report": (PORTAL, ["client_id", "report_id"], True),
    "reports:report_csv": (PORTAL, ["client_id", "report_id"], True),
    "reports:report_pdf": (PORTAL, ["client_id", "report_id"], True),
}


# The query parameters a page reads: every test below opens the page with them, so a filter
# cannot open a way around the checks. (The campaign page's respondent list: search, filters,
# a page link; tests/assessments/test_campaign_page.py has the rest.)
GET_PARAMS = {
    "assessments:campaign_detail": {
        "q": "example",
        "status": "queued",
        "role_level": "pmo",
        "department": "IT",
        "after": encode_key(("a@example.com", 1)),
    },
}


def firm_url_names():
    """Every named URL whose pattern takes a firm_slug."""
    names = set()

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, pattern, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and "<slug:firm_slug>" in pattern:
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_firm_url_is_in_the_permission_table():
    assert firm_url_names() == set(URLS)


@pytest.fixture
def objects(firm_a, firm_b):
    """Ids of one object of each kind per firm, including a pending colleague invitation."""

    def ids(world):
        with firm_context(world.firm):
            invitation = Invitation.objects.create(
                firm=world.firm,
                email=f"pending@{world.firm.slug}.example",
                role="consultant",
                language="en",
                expires_at="2099-01-01T00:00:00Z",
                invited_by=world.owner,
                token_hash="0" * 64,
            )
            version = InstrumentVersion.objects.get()
            campaign = new_campaign(
                world, version=version, name=f"{world.firm.name} campaign", days=9, open_link=True
            )
            add_people(world, campaign, [person("r@example.com", "R", role_level="pmo")])
            item = version.items.first()
            # Clients see closed campaigns' reports only.
            Campaign.objects.filter(pk=campaign.pk).update(status="closed")
            report = report_services.report_request(
                firm=world.firm, campaign=campaign, trigger="requested"
            )
            report_services.report_build(firm=world.firm, report_id=report.pk)
            api_key, _secret = services.api_key_create(
                firm=world.firm,
                actor=world.owner,
                name="Integration",
                scopes=["clients:read"],
                expires_at=None,
            )
            endpoint = services.webhook_endpoint_create(
                firm=world.firm,
                actor=world.owner,
                url=f"https://hooks.{world.firm.slug}.example.com/",
                events=["report.ready"],
            )
            delivery = services.webhook_send_test(
                firm=world.firm, actor=world.owner, endpoint=endpoint
            )
            respondent_import = RespondentImport.objects.create(
                firm=world.firm, campaign=campaign, status="done", created_by=world.consultant
            )
            return {
                "import_id": respondent_import.pk,
                "key_id": api_key.pk,
                "endpoint_id": endpoint.pk,
                "delivery_id": delivery.pk,
                "report_id": report.pk,
                "campaign_id": campaign.pk,
                "respondent_id": campaign.respondents.get().pk,
                "version_id": version.pk,
                "item_id": item.pk,
                "dimension_id": item.dimension_id,
                "advice_id": item.dimension.advice.first().pk,
                "client_id": world.client.pk,
                "grant_id": world.client.executives.get().pk,
                "member_id": Membership.objects.get(user=world.consultant).pk,
                "invitation_id": invitation.pk,
                "digest": "0" * 64,
                "token": "not-a-real-token",
            }

    return {"a": ids(firm_a), "b": ids(firm_b)}


def url(name, slug, ids):
    _who, needs, _get = URLS[name]
    path = reverse(name, kwargs={"firm_slug": slug, **{k: ids[k] for k in needs}})
    return path + ("?" + urlencode(GET_PARAMS[name]) if name in GET_PARAMS else "")


def refused(name, method):
    """A refusal is a 404. GET on an action that only takes POST is a 405 whatever the ids are,
    so it reveals nothing either."""
    return 405 if method == "get" and not URLS[name][2] else 404


def snapshot():
    """Every firm's rows, read in each firm's scope (the test's rows are not committed, so the
    operator role's connection of `all_firms()` would not see them)."""
    state = []
    for firm in Firm.objects.order_by("pk"):
        with firm_context(firm):
            state.append(
                (
                    sorted(ClientOrganisation.objects.values_list("id", "name", "archived_at")),
                    sorted(Membership.objects.values_list("id", "role")),
                    sorted(Invitation.objects.values_list("id", "revoked_at", "token_hash")),
                    sorted(Campaign.objects.values_list("id", "status", "name", "open_link_token")),
                    sorted(Respondent.objects.values_list("id", "email", "sent_at")),
                    sorted(Item.objects.values_list("id", "text_en", "version_id")),
                    InstrumentVersion.objects.count(),
                    sorted(Report.objects.values_list("id", "status")),
                    sorted(
                        WebhookEndpoint.objects.values_list(
                            "id", "url", "enabled", "secret", "events", "description"
                        )
                    ),
                    sorted(WebhookDelivery.objects.values_list("id", "status", "failures")),
                    WebhookEvent.objects.count(),
                    AuditEntry.objects.count(),
                    sorted(ApiKey.objects.values_list("id", "revoked_at")),
                )
            )
    return state


PRIVATE = sorted(name for name, (who, _n, _g) in URLS.items() if who != PUBLIC)


@pytest.mark.parametrize("name", PRIVATE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_firms_consultant_gets_404_on_that_firm(
    client, firm_a, firm_b, objects, name, method
):
    client.force_login(firm_a.owner)
    before = snapshot()
    response = getattr(client, method)(url(name, firm_b.firm.slug, objects["b"]))
    assert response.status_code == 404  # the membership check comes before anything else
    assert firm_b.firm.name.encode() not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(n for n, (_w, needs, _g) in URLS.items() if needs))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_firms_objects_under_own_firm_are_404(client, firm_a, firm_b, objects, name, method):
    """Firm A's owner, in firm A's own URL space, naming firm B's object ids."""
    client.force_login(firm_a.owner)
    before = snapshot()
    response = getattr(client, method)(url(name, firm_a.firm.slug, objects["b"]))
    assert response.status_code == refused(name, method)
    assert b"Beta" not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("name", PRIVATE)
def test_missing_firm_looks_like_forbidden_firm(client, firm_a, objects, name):
    client.force_login(firm_a.owner)
    missing = client.get(url(name, "no-such-firm", objects["a"]))
    assert missing.status_code == 404


@pytest.mark.parametrize("name", PRIVATE)
def test_anonymous_is_sent_to_login(client, firm_a, objects, name):
    response = client.get(url(name, firm_a.firm.slug, objects["a"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def names(level):
    return sorted(n for n, (who, _n, _g) in URLS.items() if who == level)


# Who is below which level: consultants below managers; executives below staff and managers.
BELOW = [("consultant", name) for name in names(MANAGERS)] + [
    ("executive", name) for name in names(STAFF) + names(MANAGERS)
]


@pytest.mark.parametrize(("person", "name"), BELOW)
@pytest.mark.parametrize("method", ["get", "post"])
def test_roles_below_a_page_get_404_and_change_nothing(
    client, firm_a, objects, person, name, method
):
    client.force_login(getattr(firm_a, person))
    before = snapshot()
    response = getattr(client, method)(url(name, firm_a.firm.slug, objects["a"]))
    assert response.status_code == refused(name, method)
    assert snapshot() == before


def test_consultant_cannot_touch_colleague_invitations(client, firm_a, objects):
    client.force_login(firm_a.consultant)
    for name in ("accounts:invitation_resend", "accounts:invitation_revoke"):
        assert client.post(url(name, firm_a.firm.slug, objects["a"])).status_code == 404


def test_client_executive_sees_only_their_own_client(client, firm_a, firm_b):
    client.force_login(firm_a.executive)
    own = reverse("reports:portal", args=[firm_a.firm.slug, firm_a.client.pk])
    same_firm_other = reverse("reports:portal", args=[firm_a.firm.slug, firm_a.other_client.pk])
    other_firm = reverse("reports:portal", args=[firm_b.firm.slug, firm_b.client.pk])
    cross = reverse("reports:portal", args=[firm_a.firm.slug, firm_b.client.pk])
    response = client.get(own)
    assert response.status_code == 200
    assert firm_a.client.name.encode() in response.content
    assert firm_a.other_client.name.encode() not in response.content
    for path in (same_firm_other, other_firm, cross):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Other Client" not in response.content


def test_executive_of_archived_client_loses_access(client, firm_a):
    with firm_context(firm_a.firm):
        services.client_set_archived(
            firm=firm_a.firm, actor=firm_a.owner, client=firm_a.client, archived=True
        )
    client.force_login(firm_a.executive)
    path = reverse("reports:portal", args=[firm_a.firm.slug, firm_a.client.pk])
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, (_w, _n, get) in URLS.items() if get))
def test_owner_can_open_every_page_of_own_firm(client, firm_a, objects, name):
    """The refusals above are not broken pages: the right person gets them."""
    branding = brand(firm_a)
    ids = dict(objects["a"], digest=branding.logo_sha256)
    client.force_login(firm_a.owner)
    response = client.get(url(name, firm_a.firm.slug, ids))
    # An unknown invitation token gets a friendly "link not valid" page with a 404 status.
    expected = 404 if URLS[name][0] == PUBLIC and name != "accounts:logo" else 200
    assert response.status_code == expected
    if name not in (
        "accounts:logo",
        "assessments:campaign_stats",
        "assessments:import_status",
        "reports:report_csv",
        "reports:report_pdf",
    ):
        assert b"<html" in response.content


def test_workspace_list_shows_only_own_places(client, firm_a, firm_b):
    with firm_context(firm_b.firm):
        Membership.objects.create(firm=firm_b.firm, user=firm_a.consultant, role="consultant")
    client.force_login(firm_a.consultant)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert firm_a.firm.name in body and firm_b.firm.name in body
    client.force_login(firm_a.owner)
    response = client.get("/")
    # One workspace: straight to it.
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard", args=[firm_a.firm.slug])


def test_executive_lands_on_their_portal(client, firm_a):
    client.force_login(firm_a.executive)
    response = client.get("/")
    assert response["Location"] == reverse(
        "reports:portal", args=[firm_a.firm.slug, firm_a.client.pk]
    )
