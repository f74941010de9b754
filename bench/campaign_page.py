"""Benchmark: the campaign page, its live figures and the API's lists at 1,000 and at 100,000
respondents.

Data (generated once in database `pmo_bench_campaign`; `--fresh` regenerates): firm
"bench-campaign" with an open campaign of 1,000 invited respondents and one of 100,000, each
with a mix of invitation statuses (8 % queued, 36 % sent, 22 % opened, 2 % started, 30 %
completed, 2 % bounced), five role levels, 200 departments of very different sizes and
emails `person<n>@client<nn>.example` over 40 client domains. Respondents are written by
`INSERT ... SELECT` over `generate_series` (PostgreSQL refuses COPY under RLS) as the owner role
inside the firm (`pmo.firm_id` set), 10,000 per transaction, so the `respondent_sync` trigger
stamps them as for rows the product writes; then `ANALYZE` as the owner role (bench/api_data.py
creates the database and runs the migrations the same way), checked.

In this one process run it prints, best of RUNS, through Django's test Client with a logged-in
consultant (the whole middleware stack, firm scope and RLS, the template):

- the campaign page (`GET /f/<firm>/campaigns/<id>/`): the first page, a deep page (the one
  starting at the middle row: page 10 of 20 at 1,000, page 1,000 of 2,000 at 100,000), the last
  page, a common search (`client07`, 2.5 %), a rare one (`999@`, 0.1 %), a status filter
  (bounced, 2 %), a department filter (a small department), a role level with a search;
- the live figures endpoint (`.../stats/`, aggregates only);
- the API's respondents list and the campaign's responses feed (first, middle and last page,
  `limit=100`, with bench/api_lists.py's `time_pages`);

each with its time in ms at both sizes, the ratio 100k / 1k (flat is ~1 x) and the number of
SQL queries per request (the same at both sizes). Figures, not a test.

Run: .venv/bin/python bench/campaign_page.py     (after bin/setup; `--fresh` regenerates)
"""

import os
import sys
import time
from datetime import timedelta

os.environ.setdefault("BENCH_DATABASE", "pmo_bench_campaign")
import api_data  # first: points the database settings at the bench database
import api_lists

RUNS = 7
SIZES = {"1k": 1_000, "100k": 100_000}
BATCH = 10_000
SLUG = "bench-campaign"

_RESPONDENTS = """
INSERT INTO assessments_respondent
    (firm_id, campaign_id, email, name, language, role_level, department, source, token_salt,
     token_hash, created_at, sent_at, opened_at, started_at, completed_at, bounced_at,
     reminders_sent, followup_opt_in)
SELECT %(firm)s, %(campaign)s,
       'person' || lpad(g::text, 6, '0') || '@client' || lpad((g %% 40)::text, 2, '0')
           || '.example',
       'Person ' || g, CASE WHEN g %% 4 = 0 THEN 'sv' ELSE 'en' END,
       (ARRAY['leadership','pmo','project_manager','team_member','other'])[1 + g %% 5],
       'Dept ' || lpad(floor(200 * power(((g * 7919) %% 1000) / 1000.0, 3))::int::text, 3, '0'),
       'invited', md5(random()::text), md5(%(campaign)s || ':' || g), now() - interval '9 days',
       CASE WHEN g %% 100 >= 8 THEN now() - interval '8 days' END,
       CASE WHEN g %% 100 BETWEEN 8 AND 61 THEN now() - interval '7 days' END,
       CASE WHEN g %% 100 BETWEEN 8 AND 39 THEN now() - interval '6 days' END,
       CASE WHEN g %% 100 BETWEEN 8 AND 37 THEN now() - interval '5 days' END,
       CASE WHEN g %% 100 >= 98 THEN now() - interval '8 days' END,
       (g %% 3), false
FROM generate_series(%(first)s::int, %(last)s::int) AS g
"""


def _campaigns(firm):
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Membership, Role, User
    from assessments import services
    from assessments.models import Campaign, CampaignStatus, InstrumentVersion
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        found = {c.name: c for c in Campaign.objects.filter(name__in=list(SIZES))}
        if len(found) == len(SIZES):
            return found
        if found:
            raise SystemExit("the bench database is half generated: run with --fresh")
        owner = User.objects.get(email=f"{SLUG}@pmo.example")
        consultant = User.objects.create_user(f"consultant@{SLUG}.example", "bench")
        Membership.objects.create(firm=firm, user=consultant, role=Role.CONSULTANT)
        client = account_services.client_create(
            firm=firm, actor=owner, name="Bench client", industry="finance",
            size_band="5000+", country="SE",
        )  # fmt: skip
        for name in SIZES:
            found[name] = services.campaign_create(
                firm=firm, actor=owner, client=client, version=InstrumentVersion.objects.get(),
                name=name, closes_at=timezone.now() + timedelta(days=30),
                default_language="en", anonymous=False, **services.default_invitation_texts(),
            )  # fmt: skip
        # Open, without sending anything (the rows are written below, already "sent").
        Campaign.objects.filter(pk__in=[c.pk for c in found.values()]).update(
            status=CampaignStatus.OPEN, opened_at=timezone.now() - timedelta(days=9)
        )
        return {c.name: c for c in Campaign.objects.filter(name__in=list(SIZES))}


def generate():
    """(firm, consultant, {size: campaign}); rows inserted only when missing."""
    import psycopg

    from accounts.models import User
    from assessments.models import Respondent
    from pmo_platform.tenancy import firm_context

    firm = api_data._firm(SLUG)
    campaigns = _campaigns(firm)
    with firm_context(firm):
        have = Respondent.objects.count()
    want = sum(SIZES.values())
    if have == 0:
        print(f"generating {want} respondents (one time)...", flush=True)
        began = time.perf_counter()
        with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
            for name, count in SIZES.items():
                for first in range(1, count + 1, BATCH):
                    with conn.transaction():
                        conn.execute("SELECT set_config('pmo.firm_id', %s, true)", [str(firm.pk)])
                        conn.execute(
                            _RESPONDENTS,
                            {"firm": firm.pk, "campaign": campaigns[name].pk, "first": first,
                             "last": min(first + BATCH - 1, count)},
                        )  # fmt: skip
        print(f"  inserted in {time.perf_counter() - began:.1f} s", flush=True)
    elif have != want:
        raise SystemExit(f"{SLUG} has {have} respondents, not {want}: run with --fresh")
    return firm, User.objects.get(email=f"consultant@{SLUG}.example"), campaigns


def _middle_key(firm, campaign):
    """The (email, id) of the row before the middle of the list: where the deep page starts."""
    from assessments.models import Respondent, Source
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        qs = Respondent.objects.filter(campaign=campaign, source=Source.INVITED)
        middle = qs.count() // 2
        return tuple(qs.order_by("email", "id").values_list("email", "id")[middle - 1])


def _small_department(firm, campaign):
    from django.db.models import Count

    from assessments.models import Respondent
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        rows = (
            Respondent.objects.filter(campaign=campaign)
            .values("department")
            .annotate(n=Count("id"))
            .order_by("n", "department")
        )
        return rows[len(rows) // 4]["department"]


def _timed(client, path, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(path, params)
        assert response.status_code == 200, (path, params, response.status_code)
        return response

    get()  # warm
    with CaptureQueriesContext(connection) as captured:
        rows = get().content.count(b'<td data-label="Email"')  # rows of the respondent list
    queries = sum(
        1 for q in captured.captured_queries if not (q["sql"] or "").startswith(api_lists.CONTROL)
    )
    return api_lists.best_of(RUNS, get), queries, rows


def page_cases(firm, campaign) -> dict:
    from assessments.respondent_list import encode_key

    return {
        "first page": {},
        "deep page (middle)": {"after": encode_key(_middle_key(firm, campaign))},
        "last page": {"last": "1"},
        "search client07": {"q": "client07"},
        "search 999@ (rare)": {"q": "999@"},
        "status bounced": {"status": "bounced"},
        "small department": {"department": _small_department(firm, campaign)},
        "role pmo + search": {"role_level": "pmo", "q": "client1"},
    }


def api_cases(firm, campaign) -> dict:
    """{list: (url, cursors)} for the API's respondents list and the campaign's feed."""
    from assessments.models import Respondent, Source
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        ids = list(
            Respondent.objects.filter(campaign=campaign, source=Source.INVITED)
            .order_by("id")
            .values_list("id")
        )
    feed = api_lists.feed_keys(firm, campaign)
    return {
        "API respondents": (f"/api/v1/campaigns/{campaign.pk}/respondents/", ids),
        "API responses feed": (f"/api/v1/campaigns/{campaign.pk}/responses/", feed),
    }


def main():
    api_data.prepare_database("--fresh" in sys.argv)
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.services import api_key_create
    from pmo_platform.tenancy import firm_context

    firm, consultant, campaigns = generate()
    for row in api_data.analyze():
        print(f"ANALYZE (as the owner role): {row[0]}, {row[1]} rows, last_analyze {row[2]}")
        assert row[2] is not None, "ANALYZE did not analyse the table"
    with firm_context(firm):
        _key, secret = api_key_create(
            firm=firm, actor=None, name=f"bench {time.time():.0f}",
            scopes=["respondents:read", "responses:read"], expires_at=None,
        )  # fmt: skip
    completed = {"1k": 300, "100k": 30_000}
    for size, campaign in campaigns.items():
        served = api_data.wait_settled(firm, campaign, completed[size])
        assert served == completed[size], f"only {served} responses settled in {size}"

    browser = Client(SERVER_NAME="localhost")
    browser.force_login(consultant)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", SERVER_NAME="localhost")
    results = {}  # (label, size) -> (seconds, queries, rows)
    for size, campaign in campaigns.items():
        page = reverse("assessments:campaign_detail", args=[firm.slug, campaign.pk])
        for label, params in page_cases(firm, campaign).items():
            results[(label, size)] = _timed(browser, page, params)
        stats = reverse("assessments:campaign_stats", args=[firm.slug, campaign.pk])
        results[("live figures (JSON)", size)] = _timed(browser, stats, {})
        for label, (url, keys) in api_cases(firm, campaign).items():
            timed = api_lists.time_pages(api, url, api_lists.page_cursors(keys))
            for position, figures in timed.items():
                results[(f"{label}, {position}", size)] = figures

    print()
    print(f"time per request, best of {RUNS} (Django test Client, in process, consultant)")
    print(f"{'request':32} {'1k ms':>8} {'100k ms':>8} {'ratio':>7} {'queries':>9} {'rows':>9}")
    flat = True
    for label in dict.fromkeys(label for label, _size in results):
        small, large = results[(label, "1k")], results[(label, "100k")]
        same = small[1] == large[1]
        flat &= same
        print(
            f"{label:32} {small[0] * 1000:8.1f} {large[0] * 1000:8.1f} "
            f"{large[0] / small[0]:6.2f}x {small[1]:>4}/{large[1]:<4} {small[2]:>4}/{large[2]:<4}"
        )
    print(f"queries per request the same at both sizes: {'yes' if flat else 'NO'}")


if __name__ == "__main__":
    main()
