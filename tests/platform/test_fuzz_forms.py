"""Generated hostile input (hypothesis) at every URL that takes a POST: every firm URL of the
permission table, the survey's JSON autosave, allauth's sign-up, log-in and password reset
forms, and the language switch.

For each URL the right person is logged in (the role the permission table names; anonymous for
the public token pages, with real tokens), a valid form is the base, and some of its fields (or
arbitrary extra keys) get text with control characters, huge strings, odd unicode, numbers and
dates such as 0001-01-01 and 99999-12-31. The response is never a 5xx, and a refused post (any
answer but the redirect of a success) writes nothing: no row of any kind changes, no audit
entry appears. Examples are derandomized and no example database is kept, so CI is repeatable."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import (
    ApiKey,
    AuditEntry,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Firm,
    Invitation,
    Membership,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from assessments import services
from assessments.models import (
    Advice,
    Answer,
    Campaign,
    Dimension,
    InstrumentVersion,
    Item,
    Respondent,
)
from pmo_platform.models import OutboxTask
from pmo_platform.tenancy import firm_context
from reports.models import Report, ReportSettings
from tests.helpers import add_people, new_campaign, person

from .test_permissions import GET_PARAMS, MANAGERS, PORTAL, PUBLIC, STAFF, URLS

pytestmark = pytest.mark.django_db

ODD = [
    "",
    " ",
    "\x00",
    "a\r\nBcc: x@evil.example",
    "line\rbreak",
    "\u2028\u2029\x85",
    "\x1b[31m",
    "\ufeff",
    "\u202eevil",
    "😀" * 50,
    "x" * 100_000,
    "0001-01-01",
    "0001-01-01T00:00",
    "99999-12-31",
    "99999-12-31T23:59",
    "9999-12-31T23:59",
    "2026-02-30",
    "1e400",
    "NaN",
    "Infinity",
    "-1",
    "0",
    "99999999999999999999999",
    "{name",
    "{name.__class__}",
    "{0}",
    "%(firm)s %s",
    "<script>alert(1)</script>",
    "on",
    "dk",
]
HOSTILE = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Zl", "Zp", "Cf", "Co"]), max_size=8),
    st.integers().map(str),
)
FILES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"email,name\rcr@x.example,Cara\r",
            b"email,name\nnul@x.example,N\x00\n",
            b'"' + b"e" * 140_000 + b'"\n',
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            b"email\n" + b"a@x.example\n" * 100,
        ]
    ),
)
EXTRA_KEYS = ["submit", "x", "csrfmiddlewaretoken", "firm", "actor", "status", "id", "pk"]
# Who logs in and resets a password in the allauth forms (no firm: its rows are its own).
RESET_USER = "reset@x.example"
ALLAUTH_FORMS = ["account_login", "account_reset_password", "account_reset_password_from_key"]


def _valid_forms(world, ids, items):
    from tests.assessments.test_campaign_flow import campaign_form

    campaign = campaign_form(world, InstrumentVersion.objects.get())
    return {
        "accounts:client_create": {
            "name": "Globex",
            "industry": "retail",
            "size_band": "5000+",
            "country": "DK",
        },
        "accounts:client_edit": {
            "name": "Globex 2",
            "industry": "retail",
            "size_band": "5000+",
            "country": "DK",
        },
        "accounts:client_archive": {"archive": "1"},
        "accounts:executive_invite": {"email": "e@x.example", "name": "E", "language": "en"},
        "accounts:team_invite": {
            "email": "t@x.example",
            "name": "T",
            "role": "consultant",
            "language": "en",
        },
        "accounts:member_role": {"role": "admin"},
        "accounts:api_keys": {"name": "CRM sync", "scopes": ["clients:read"]},
        "accounts:email_sending": {"email_rate_per_minute": "600"},
        "accounts:branding": {
            "sender_name": "Alpha",
            "reply_to": "a@x.example",
            "primary_color": "#1F4E79",
            "accent_color": "#1F4E79",
            "email_footer": "Foot",
            "default_language": "en",
        },
        "accounts:invitation": {"name": "N", "password1": "pw-long-9876!", "password2": "x"},
        "assessments:campaign_create": campaign,
        "assessments:campaign_edit": {k: v for k, v in campaign.items() if k != "client"},
        "assessments:respondent_add": {"email": "r2@x.example", "name": "R", "language": "en"},
        "assessments:respondents_import": {"file": b"email,name\nf@x.example,F\n"},
        "assessments:item_edit": {"text_en": "A", "text_sv": "B", "weight": "1"},
        "assessments:item_add": {"text_en": "A", "text_sv": "B", "weight": "1", "sign": "1"},
        "assessments:dimension_edit": {
            "name_en": "D",
            "name_sv": "D",
            "description_en": "x",
            "description_sv": "y",
        },
        "assessments:advice_edit": {
            "step_en": "s",
            "step_sv": "s",
            "tips_en": "a\nb",
            "tips_sv": "a\nb",
        },
        "assessments:survey": {f"item-{item.pk}": "3" for item in items[:3]},
        "assessments:survey_language": {"language": "sv"},
        "assessments:survey_result": {"email": "l@x.example", "name": "L", "consent": "on"},
        "reports:settings": {"min_group_size": "5"},
        "accounts:webhook_create": {
            "url": "https://hooks.example.com/pmo",
            "description": "CRM",
            "events": ["response.completed", "report.ready"],
            "enabled": "on",
        },
        "accounts:webhook_edit": {
            "url": "https://hooks.example.com/pmo2",
            "description": "BI",
            "events": ["campaign.closed"],
            "enabled": "on",
        },
        "account_signup": {
            "name": "S",
            "firm_name": "Fuzz Firm",
            "email": "s@x.example",
            "password1": "a-long-secret-9876",
            "password2": "a-long-secret-9876",
        },
        "set_language": {"language": "sv", "next": "/"},
        # allauth's own forms: log in, ask for a reset link, set the new password from it.
        "account_login": {"login": RESET_USER, "password": "pw-reset-123!", "remember": "on"},
        "account_reset_password": {"email": RESET_USER},
        "account_reset_password_from_key": {
            "password1": "a-new-secret-9876",
            "password2": "a-new-secret-9876",
        },
    }


@pytest.fixture
def world(firm_a):
    """Firm A with an open campaign, a respondent who can answer, an open link and a pending
    colleague invitation; the ids and the real tokens of each."""
    with firm_context(firm_a.firm):
        version = InstrumentVersion.objects.get()
        campaign = new_campaign(firm_a, version=version, name="Fuzz", open_link=True, days=9)
        add_people(firm_a, campaign, [person("r@x.example", "R", role_level="pmo")])
        services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        campaign = Campaign.objects.get(pk=campaign.pk)
        respondent = Respondent.objects.get(campaign=campaign)
        invitation = account_services.invitation_create(
            firm=firm_a.firm, invited_by=firm_a.owner, email="i@x.example", role="consultant"
        )
        account_services.invitation_email_send(firm=firm_a.firm, invitation_id=invitation.pk)
        invitation_token = re.search(r"/join/([\w-]+)/", mail.outbox[-1].body).group(1)
        User.objects.create_user(RESET_USER, "pw-reset-123!", name="Reset Me")
        items = list(Item.objects.filter(version=version).order_by("order"))
        item = items[0]
        ids = {
            "campaign_id": campaign.pk,
            "respondent_id": respondent.pk,
            "version_id": version.pk,
            "item_id": item.pk,
            "dimension_id": item.dimension_id,
            "advice_id": Advice.objects.filter(dimension=item.dimension).first().pk,
            "client_id": firm_a.client.pk,
            "grant_id": ClientExecutive.objects.get(client=firm_a.client).pk,
            "member_id": Membership.objects.get(user=firm_a.consultant).pk,
            "invitation_id": invitation.pk,
            "report_id": 1,
            "digest": "0" * 64,
            "key_id": account_services.api_key_create(
                firm=firm_a.firm,
                actor=firm_a.owner,
                name="Fuzz key",
                scopes=["clients:read"],
                expires_at=None,
            )[0].pk,
        }
        tokens = {
            "accounts:invitation": invitation_token,
            "assessments:open_link": campaign.open_link_token,
        }
        endpoint, spare = (
            account_services.webhook_endpoint_create(
                firm=firm_a.firm, actor=firm_a.owner, url=url, events=["report.ready"]
            )
            for url in ("https://hooks.example.com/a", "https://hooks.example.com/b")
        )
        delivery = account_services.webhook_send_test(
            firm=firm_a.firm, actor=firm_a.owner, endpoint=endpoint
        )
        ids |= {"endpoint_id": endpoint.pk, "delivery_id": delivery.pk}
        # Deleting takes an endpoint of its own, so the other actions keep theirs.
        ids["accounts:webhook_delete"] = {"endpoint_id": spare.pk}
        respondent_token = services.respondent_token(respondent)
        forms = _valid_forms(firm_a, ids, items)
    return firm_a, ids, tokens, respondent_token, forms


SNAPSHOT_MODELS = [
    (Firm, ()),
    (User, ("last_login",)),
    (Membership, ()),
    (ClientOrganisation, ()),
    (ClientExecutive, ()),
    (Invitation, ()),
    (Branding, ()),
    (Campaign, ()),
    (Respondent, ("opened_at",)),  # a visit, not a post
    (Answer, ()),
    (InstrumentVersion, ()),
    (Item, ()),
    (Dimension, ()),
    (Advice, ()),
    (ReportSettings, ()),
    (Report, ()),
    (OutboxTask, ()),
    (AuditEntry, ()),
    (ApiKey, ("last_used_at",)),
    (WebhookEndpoint, ()),
    (WebhookEvent, ()),
    (WebhookDelivery, ()),
    (WebhookAttempt, ()),
]


def _table_digest_sql(model, exclude) -> str:
    columns = [
        connection.ops.quote_name(f.column)
        for f in model._meta.concrete_fields
        if f.attname not in exclude
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    row = "concat_ws('|', " + ", ".join(f"{c}::text" for c in columns) + ")"
    return f"(SELECT md5(coalesce(string_agg({row}, ',' ORDER BY {row}), '')) FROM {table})"


def snapshot():
    """A digest of every row that a post could write, firm by firm (one query per firm). Each
    firm is read inside its own scope: `all_firms()` reads through the operator role's own
    connection, which would not see this test's uncommitted rows."""
    from accounts.models import Firm

    sql = "SELECT " + ", ".join(_table_digest_sql(m, ex) for m, ex in SNAPSHOT_MODELS)
    names = [m.__name__ for m, _ex in SNAPSHOT_MODELS]
    digest = {}
    for firm in Firm.objects.order_by("pk"):
        with firm_context(firm), connection.cursor() as cursor:
            cursor.execute(sql)
            digest[firm.pk] = dict(zip(names, cursor.fetchone(), strict=True))
    return digest


# Pages that only show something are left out (a POST there renders the page or is a 405);
# every form, every action and every public token page is in.
SHOW_ONLY = {
    "accounts:dashboard",
    "accounts:client_list",
    "accounts:client_detail",
    "accounts:team",
    "accounts:audit",
    "accounts:logo",
    "accounts:webhook_list",
    "accounts:webhook_detail",
    "assessments:campaign_list",
    "assessments:campaign_detail",
    "assessments:campaign_stats",
    "assessments:import_status",
    "assessments:leads",
    "assessments:instrument_list",
    "assessments:version_detail",
    "reports:campaign_report",
    "reports:portal",
    "reports:portal_report",
    "reports:report_csv",
    "reports:report_pdf",
}
POSTABLE = sorted(set(URLS) - SHOW_ONLY)
TOKEN_URLS = {n for n, (_w, needs, _g) in URLS.items() if "token" in needs}
# A success that answers 200 instead of redirecting (it may write).
WRITES_ON_200 = {
    "accounts:api_keys",  # the page that shows the new key's secret once
    "assessments:survey_answer",
    "assessments:unsubscribe",
    "assessments:survey_erase",  # the confirmation page after erasing
}


def _reset_from_key_path(client) -> str:
    """allauth's set-a-new-password page as the emailed link leads to it: the link's key goes
    into the session, and the form posts to the key-less address it redirects to."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = User.objects.get(email=RESET_USER)
    link = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    response = client.get(link)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _path(name, world_data, client=None):
    world, ids, tokens, respondent_token, _forms = world_data
    if name == "account_reset_password_from_key":
        return _reset_from_key_path(client)
    if name in ("account_signup", "set_language", *ALLAUTH_FORMS):
        return reverse(name)
    _who, needs, _get = URLS[name]
    kwargs = {k: ids.get(name, {}).get(k, ids[k]) for k in needs if k != "token"}
    if "token" in needs:
        kwargs["token"] = tokens.get(name, respondent_token)
    return reverse(name, kwargs={"firm_slug": world.firm.slug, **kwargs})


def _login(client, name, world):
    who = URLS[name][0] if name in URLS else PUBLIC
    person = {MANAGERS: world.owner, STAFF: world.consultant, PORTAL: world.executive}.get(who)
    if person is not None:
        client.force_login(person)


@st.composite
def hostile_form(draw, base: dict):
    data = dict(base)
    keys = sorted(set(base) | set(EXTRA_KEYS))
    for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)):
        data[key] = draw(FILES if key in ("file", "logo") else HOSTILE)
    if draw(st.booleans()):
        data[draw(HOSTILE)] = draw(HOSTILE)  # a key nobody expects
    return data


def _encode(data: dict) -> dict:
    return {
        key: SimpleUploadedFile("upload.csv", value) if isinstance(value, bytes) else value
        for key, value in data.items()
    }


def _check(client, name, path, post):
    before = snapshot()
    response = post()
    assert response.status_code < 500, (name, response.status_code)
    success = response.status_code == 302 or (name in WRITES_ON_200 and response.status_code == 200)
    if not success:
        assert snapshot() == before, name
    return response


FUZZ = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


NAMES = [*POSTABLE, "account_signup", "set_language", *ALLAUTH_FORMS]


def _fuzz_one(client, name, path, base):
    @FUZZ
    @given(form=hostile_form(base))
    def post_hostile(form):
        _check(client, name, path, lambda: client.post(path, _encode(form)))

    post_hostile()


def test_generated_form_input_never_breaks_a_page(client, world):
    """One world for all URLs (building a firm is the slow part); hypothesis runs per URL."""
    for name in NAMES:
        client.logout()
        _login(client, name, world[0])
        _fuzz_one(client, name, _path(name, world, client), world[4].get(name, {}))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | HOSTILE,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
RAW_JSON = [
    '{"item": 1e400, "value": 3}',
    '{"item": ITEM, "value": Infinity}',
    '{"item": ITEM, "value": NaN}',
    '{"item": ITEM, "value": -1e400}',
    "[" * 2000 + "]" * 2000,
    '{"item": ITEM, "value": ' + "[" * 1500 + "]" * 1500 + "}",
    '{"item": ITEM, "value": "\\ud800"}',
    '{"item": ' + "9" * 5000 + "}",
    '{"item": ITEM, "value": 3, "pad": "' + "x" * 10_000 + '"}',
    "\xff\xfe",
    "",
    "null",
]


def _with_examples(test):
    for body in RAW_JSON:  # each one always, whatever hypothesis draws besides
        test = example(body=body)(test)
    return test


@FUZZ
@_with_examples
@given(
    body=st.one_of(
        st.fixed_dictionaries({"item": JSON_VALUES, "value": JSON_VALUES}).map(json.dumps),
        st.fixed_dictionaries({"item": st.just("ITEM"), "value": JSON_VALUES}).map(json.dumps),
        JSON_VALUES.map(json.dumps),
    )
)
def test_generated_json_never_breaks_the_autosave(client, world, body):
    name = "assessments:survey_answer"
    path = _path(name, world)
    item = world[1]["item_id"]
    payload = body.replace('"ITEM"', str(item)).replace("ITEM", str(item))
    _check(
        client,
        name,
        path,
        lambda: client.post(
            path, data=payload.encode("utf-8", "surrogatepass"), content_type="application/json"
        ),
    )


# The query parameters of the pages that read them (the permission table's GET_PARAMS), and
# page links that decode to the wrong things (each is always tried).
def _raw_key(value) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ODD_KEYS = [
    _raw_key(v)
    for v in (
        ["a", 0], ["a", 2**70], [1, 1], ["a" * 300, 1], ["\ud800", 1], ["a\x00", 1],
        [None, 1], {"a": 1}, ["a", True], ["a", 1.5], ["a", 1, 2], "a",
    )
] + ["!!!", "e30", "=" * 10, "_" * 401]  # fmt: skip
QUERY_VALUES = st.one_of(HOSTILE, st.sampled_from(ODD_KEYS))


@FUZZ
@given(
    params=st.dictionaries(
        st.one_of(st.sampled_from(sorted({k for p in GET_PARAMS.values() for k in p}
                                         | {"before", "last"})), HOSTILE),
        QUERY_VALUES,
        max_size=6,
    )
)  # fmt: skip
def test_generated_query_strings_never_break_a_page(client, world, params):
    for name in GET_PARAMS:
        client.logout()
        _login(client, name, world[0])
        response = client.get(_path(name, world), params)
        assert response.status_code < 500, (name, params)


def test_every_odd_page_link_is_ignored_not_an_error(client, world):
    name = "assessments:campaign_detail"
    _login(client, name, world[0])
    for key in ODD_KEYS:
        for param in ("after", "before"):
            response = client.get(_path(name, world), {param: key})
            assert response.status_code == 200, (param, key)
