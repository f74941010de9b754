"""Data of the report benchmark (bench/report_build.py), generated once in its own database.

One firm, 200 client organisations with one campaign each: "large" has 10,000 completed
responses, the other 199 share 50,000 (the trend and benchmark inputs), and a 201st client has
"huge", one campaign of 100,000. Campaigns and clients are made by the services; respondents and
their answers are written by `INSERT ... SELECT` over `generate_series` (PostgreSQL refuses COPY
under RLS) as the owner role inside the firm (`pmo.firm_id` set: RLS and the same-firm keys are
checked), `BATCH` respondents per transaction so the deferred key checks stay small.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "pmo_bench_reports")
from pmo_platform.env import service_url  # noqa: E402

for _name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_OPERATOR_URL"):
    os.environ[_name] = service_url(_name).rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # the bench sends no tasks anywhere

CLIENTS, OTHERS_TOTAL, LARGE, HUGE, BATCH = 200, 50_000, 10_000, 100_000, 10_000
# The tables the build and the floor read, checked after ANALYZE.
MAIN_TABLES = ("assessments_answer", "assessments_respondent", "assessments_item")

_RESPONDENTS = """
WITH new AS (
    INSERT INTO assessments_respondent
        (firm_id, campaign_id, email, name, language, role_level, department, source,
         token_salt, token_hash, created_at, completed_at, reminders_sent, followup_opt_in)
    SELECT %(firm)s, %(campaign)s, 'r' || g || '@c' || %(campaign)s || '.example', '', 'en',
           (ARRAY['leadership','pmo','project_manager','team_member','team_member'])[1 + g %% 5],
           (ARRAY['IT','Finance','Operations','Sales'])[1 + g %% 4],
           'invited', md5(random()::text), md5(%(campaign)s || ':' || g), now(), now(), 0, false
    FROM generate_series(%(first)s::int, %(last)s::int) AS g
    RETURNING id
)
INSERT INTO assessments_answer (firm_id, respondent_id, item_id, value, updated_at)
SELECT %(firm)s, new.id, i.id,
       CASE WHEN random() < 0.04 THEN NULL ELSE 1 + floor(random() * 5)::int END, now()
FROM new CROSS JOIN assessments_item i WHERE i.version_id = %(version)s
"""


def prepare_database(fresh: bool) -> None:
    import psycopg

    with psycopg.connect(service_url("DATABASE_ADMIN_URL"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" OWNER pmo_owner')
    env = dict(os.environ, PMO_DB_ROLE="owner")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def _sizes() -> dict[str, int]:
    """{campaign name: completed responses}."""
    per_other = OTHERS_TOTAL // (CLIENTS - 1)
    sizes = {"large": LARGE}
    sizes.update({f"campaign {n}": per_other for n in range(1, CLIENTS)})
    sizes["huge"] = HUGE
    return sizes


def _campaigns(firm, sizes: dict[str, int]) -> dict:
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import User
    from assessments import services
    from assessments.models import Campaign, InstrumentVersion
    from pmo_platform.tenancy import firm_context

    industries = ["finance", "public", "energy", "retail", "manufacturing", "technology"]
    bands = ["50-249", "250-999", "1000-4999", "5000+"]
    with firm_context(firm):
        found = {c.name: c for c in Campaign.objects.filter(name__in=list(sizes))}
        if len(found) == len(sizes):
            return found
        if found:
            raise SystemExit("the bench database is half generated: run with --fresh")
        owner = User.objects.get(email="bench@pmo.example")
        version = InstrumentVersion.objects.get()
        texts = services.default_invitation_texts()
        for n, name in enumerate(sizes):
            client = account_services.client_create(
                firm=firm, actor=owner, name=f"Client {n:03d}", industry=industries[n % 6],
                size_band=bands[n % 4], country="SE",
            )  # fmt: skip
            found[name] = services.campaign_create(
                firm=firm, actor=owner, client=client, version=version, name=name,
                closes_at=timezone.now() + timedelta(days=30), default_language="en", **texts,
            )  # fmt: skip
        return found


def _insert(firm, campaigns: dict, sizes: dict[str, int]) -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        for name, count in sizes.items():
            campaign = campaigns[name]
            for first in range(1, count + 1, BATCH):
                with conn.transaction():
                    conn.execute("SELECT set_config('pmo.firm_id', %s, true)", [str(firm.pk)])
                    conn.execute(
                        _RESPONDENTS,
                        {
                            "firm": firm.pk, "campaign": campaign.pk,
                            "version": campaign.version_id,
                            "first": first, "last": min(first + BATCH - 1, count),
                        },
                    )  # fmt: skip


def generate() -> tuple:
    """(firm, {campaign name: campaign}); rows inserted only when missing."""
    from accounts import services as account_services
    from accounts.models import Firm, User
    from assessments.models import Respondent
    from pmo_platform.tenancy import firm_context

    firm = Firm.objects.filter(slug="bench").first()
    if firm is None:
        owner = User.objects.create_user("bench@pmo.example", "bench")
        firm = account_services.firm_signup(owner=owner, firm_name="Bench")
        Firm.objects.filter(pk=firm.pk).update(slug="bench")
        firm.refresh_from_db()
    sizes = _sizes()
    campaigns = _campaigns(firm, sizes)
    with firm_context(firm):
        have = Respondent.objects.count()
    want = sum(sizes.values())
    if have == 0:
        print(f"generating {want} responses with their answers (one time)...", flush=True)
        began = time.perf_counter()
        _insert(firm, campaigns, sizes)
        print(f"  inserted in {time.perf_counter() - began:.1f} s", flush=True)
    elif have != want:
        raise SystemExit(f"the bench firm has {have} responses, not {want}: run with --fresh")
    return firm, campaigns


def analyze() -> list[tuple]:
    """ANALYZE as the owner role (the application role owns no table, so PostgreSQL would skip
    every one with a warning); returns (table, live rows, last_analyze) of the main tables and
    stops the benchmark when one of them was not analysed just now."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        before = conn.execute("SELECT now()").fetchone()[0]
        conn.execute("ANALYZE")
        for _ in range(20):  # the statistics views may lag a moment behind
            conn.execute("SELECT pg_stat_clear_snapshot()")
            rows = conn.execute(
                "SELECT relname, n_live_tup, last_analyze FROM pg_stat_user_tables "
                "WHERE relname = ANY(%s) ORDER BY relname",
                [list(MAIN_TABLES)],
            ).fetchall()
            stale = [name for name, _n, when in rows if when is None or when < before]
            if not stale:
                break
            time.sleep(0.25)
    if len(rows) != len(MAIN_TABLES) or stale:
        raise SystemExit(f"ANALYZE did not analyse {stale or MAIN_TABLES}")
    return rows
