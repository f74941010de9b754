"""Data of the API benchmark (bench/api_lists.py), generated once in its own database.

Firm "bench-api": a non-anonymous campaign of 1,000 completed responses and one of 100,000,
their completions interleaved in commit order as in real life. Firm "bench-api-small": one
campaign of 1,000 (the cross-campaign feed at 1,000). Respondents are written with multi-row
INSERTs (PostgreSQL refuses COPY under RLS) as the owner role inside their firm (`pmo.firm_id`
set: RLS and the same-firm keys are checked), in transactions of `BATCH` rows, so the
`respondent_sync` trigger (assessments migration 0007) stamps `sync_xid` and `updated_at`
exactly as for rows the product writes. The stored `result` is what `assessments.scoring.score`
gives for random answers, as the survey stores it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "pmo_bench_api")
from pmo_platform.env import service_url  # noqa: E402

for _name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_OPERATOR_URL"):
    os.environ[_name] = service_url(_name).rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # the bench sends no tasks anywhere
# Counted in Redis on every request as usual, but never refusing the benchmark's requests.
os.environ.setdefault("API_RATE_LIMIT", "1000000000")

SMALL, LARGE, BATCH = 1_000, 100_000, 1_000
FIRMS = {"bench-api": ("small", "large"), "bench-api-small": ("small",)}
SIZES = {"small": SMALL, "large": LARGE}
COLUMNS = (
    "firm_id, campaign_id, email, name, language, role_level, department, source, token_salt, "
    "token_hash, created_at, started_at, completed_at, reminders_sent, result, followup_opt_in"
)


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


def _firm(slug: str):
    from accounts import services as account_services
    from accounts.models import Firm, User

    firm = Firm.objects.filter(slug=slug).first()
    if firm is None:
        owner = User.objects.create_user(f"{slug}@pmo.example", "bench")
        firm = account_services.firm_signup(owner=owner, firm_name=slug)
        Firm.objects.filter(pk=firm.pk).update(slug=slug)
        firm.refresh_from_db()
    return firm


def _campaigns(firm, names) -> dict:
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import User
    from assessments import services
    from assessments.models import Campaign, InstrumentVersion
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        found = {c.name: c for c in Campaign.objects.filter(name__in=names)}
        if len(found) == len(names):
            return found
        owner = User.objects.get(email=f"{firm.slug}@pmo.example")
        client = account_services.client_create(
            firm=firm, actor=owner, name="Bench client", industry="finance",
            size_band="250-999", country="SE",
        )  # fmt: skip
        for name in names:
            found[name] = services.campaign_create(
                firm=firm,
                actor=owner,
                client=client,
                version=InstrumentVersion.objects.get(),
                name=name,
                closes_at=timezone.now() + timedelta(days=30),
                default_language="en",
                anonymous=False,
                **services.default_invitation_texts(),
            )
        return found


def _results(version, count: int) -> list[str]:
    """`count` stored results for random answers (the survey's `scoring.score`)."""
    from assessments import scoring

    rules = [
        scoring.ItemRule(
            item_id=i.pk, dimension_key=i.dimension.key, reverse=i.reverse, weight=float(i.weight)
        )
        for i in version.items.select_related("dimension")
    ]
    order = list(version.dimensions.values_list("key", flat=True))
    rng = random.Random(7)
    pool = []
    for _ in range(count):
        answers = {r.item_id: (None if rng.random() < 0.05 else rng.randint(1, 5)) for r in rules}
        result = scoring.score(
            rules, answers, dimension_order=order, bands=version.bands,
            min_answered_share=version.min_answered_share,
        )  # fmt: skip
        pool.append(json.dumps(result))
    return pool


def _insert(firm, campaigns: dict) -> None:
    """Insert the respondents as the owner role, inside the firm, BATCH rows per transaction."""
    import psycopg
    from django.utils import timezone

    from assessments.models import RoleLevel
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        pool = _results(next(iter(campaigns.values())).version, 2_000)
    order = [name for name, c in campaigns.items() for _ in range(SIZES[name])]
    random.Random(11).shuffle(order)
    counters = dict.fromkeys(campaigns, 0)
    roles = [r.value for r in RoleLevel]
    start = timezone.now() - timedelta(days=20)
    step = timedelta(days=19) / len(order)
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        for first in range(0, len(order), BATCH):
            with conn.transaction():
                conn.execute("SELECT set_config('pmo.firm_id', %s, true)", [str(firm.pk)])
                rows = []
                for position in range(first, min(first + BATCH, len(order))):
                    name = order[position]
                    n = counters[name] = counters[name] + 1
                    cid = campaigns[name].pk
                    done = start + step * position
                    rows.append((
                        firm.pk, cid, f"r{n}@c{cid}.example", f"Respondent {n}",
                        "sv" if n % 4 == 0 else "en", roles[n % len(roles)],
                        ("IT", "Finance", "Operations", "Sales")[n % 4], "invited",
                        hashlib.sha256(f"s{cid}:{n}".encode()).hexdigest()[:32],
                        hashlib.sha256(f"t{cid}:{n}".encode()).hexdigest(),
                        done - timedelta(days=1), done - timedelta(minutes=9), done, 0,
                        pool[position % len(pool)], n % 3 == 0,
                    ))  # fmt: skip
                values = ", ".join([f"({', '.join(['%s'] * len(rows[0]))})"] * len(rows))
                conn.execute(  # only placeholders are formatted in
                    f"INSERT INTO assessments_respondent ({COLUMNS}) VALUES {values}",  # noqa: S608
                    [value for row in rows for value in row],
                )


def analyze() -> list[tuple]:
    """ANALYZE as the owner role (the application role owns no table: PostgreSQL would skip
    them); the tables' `last_analyze` afterwards."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")
        return conn.execute(
            "SELECT relname, n_live_tup, last_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('assessments_respondent', 'assessments_campaign') ORDER BY relname"
        ).fetchall()


def generate() -> dict:
    """{firm slug: (firm, {campaign name: campaign})}; rows inserted only when missing."""
    from assessments.models import Respondent
    from pmo_platform.tenancy import firm_context

    data = {}
    for slug, names in FIRMS.items():
        firm = _firm(slug)
        campaigns = _campaigns(firm, names)
        with firm_context(firm):
            have = Respondent.objects.filter(completed_at__isnull=False).count()
        want = sum(SIZES[name] for name in names)
        if have == 0:
            print(f"generating {want} responses in {slug} (one time)...", flush=True)
            began = time.perf_counter()
            _insert(firm, campaigns)
            print(f"  inserted in {time.perf_counter() - began:.1f} s", flush=True)
        elif have != want:
            raise SystemExit(f"{slug} has {have} responses, not {want}: run with --fresh")
        data[slug] = (firm, campaigns)
    return data


def wait_settled(firm, campaign, expected: int, timeout: float = 60) -> int:
    """The feed serves a row once every older transaction has ended: wait for all of them."""
    from assessments import selectors
    from pmo_platform.tenancy import firm_context

    deadline = time.monotonic() + timeout
    while True:
        with firm_context(firm):
            served = selectors.response_feed(firm=firm, campaign=campaign).count()
        if served == expected or time.monotonic() > deadline:
            return served
        time.sleep(0.5)
