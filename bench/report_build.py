"""Benchmark: build the report of a 10,000-response campaign, against the SQL floor.

Generates realistic data once in its own database (default `pmo_bench`): one firm, 200 client
organisations, 50,000 completed responses over all of them, one campaign with 10,000 of them.
Then, in this one process run, it prints:

- the report build time for the large campaign (best of 3),
- the time of a single hand-written SQL aggregate over the same rows (the floor, best of 3),
- their ratio,
- the peak memory the build allocates (tracemalloc), for the large and for a small campaign,
  so one can see it does not grow with the response count.

Run: .venv/bin/python bench/report_build.py     (after bin/setup; `--fresh` regenerates)
Targets: under 2 s and within 5x the SQL floor; memory flat in the response count.
"""

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "pmo_bench")
from pmo_platform.env import service_url  # noqa: E402

APP_URL = service_url("DATABASE_URL")
OWNER_URL = service_url("DATABASE_OWNER_URL")
os.environ["DATABASE_URL"] = APP_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ["DATABASE_OWNER_URL"] = OWNER_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
OPERATOR_URL = service_url("DATABASE_OPERATOR_URL")
os.environ["DATABASE_OPERATOR_URL"] = OPERATOR_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # the bench sends no tasks anywhere

CLIENTS = 200
TOTAL = 50_000
LARGE = 10_000


def prepare_database(fresh: bool) -> None:
    import psycopg

    admin = service_url("DATABASE_ADMIN_URL")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" OWNER pmo_owner')
    env = dict(os.environ, PMO_DB_ROLE="owner")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def generate() -> tuple:
    from django.db import connection
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Firm, User
    from assessments import services
    from assessments.models import Campaign, InstrumentVersion
    from pmo_platform.tenancy import firm_context

    firm = Firm.objects.filter(slug="bench").first()
    if firm is None:
        owner = User.objects.create_user("bench@pmo.example", "bench")
        firm = account_services.firm_signup(owner=owner, firm_name="Bench")
        Firm.objects.filter(pk=firm.pk).update(slug="bench")
        firm.refresh_from_db()
    with firm_context(firm):
        if Campaign.objects.count() >= CLIENTS:
            large = Campaign.objects.get(name="large")
            small = Campaign.objects.exclude(pk=large.pk).order_by("pk").first()
            return firm, large, small
        print("generating data (one time)...", flush=True)
        owner = User.objects.get(email="bench@pmo.example")
        version = InstrumentVersion.objects.get()
        industries = ["finance", "public", "energy", "retail", "manufacturing", "technology"]
        sizes = ["50-249", "250-999", "1000-4999", "5000+"]
        per_other = (TOTAL - LARGE) // (CLIENTS - 1)
        texts = services.default_invitation_texts()
        for n in range(CLIENTS):
            client = account_services.client_create(
                firm=firm,
                actor=owner,
                name=f"Client {n:03d}",
                industry=industries[n % 6],
                size_band=sizes[n % 4],
                country="SE",
            )
            from datetime import timedelta

            from django.utils import timezone

            campaign = services.campaign_create(
                firm=firm,
                actor=owner,
                client=client,
                version=version,
                name="large" if n == 0 else f"campaign {n}",
                closes_at=timezone.now() + timedelta(days=30),
                default_language="en",
                **texts,
            )
            count = LARGE if n == 0 else per_other
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO assessments_respondent
                        (firm_id, campaign_id, email, name, language, role_level, department,
                         source, token_salt, token_hash, created_at, completed_at,
                         reminders_sent, followup_opt_in)
                    SELECT %(firm)s, %(campaign)s,
                           'r' || g || '@c' || %(campaign)s || '.example', '',
                           'en', (ARRAY['leadership','pmo','project_manager','team_member',
                                        'team_member'])[1 + g %% 5],
                           (ARRAY['IT','Finance','Operations','Sales'])[1 + g %% 4],
                           'invited', md5(random()::text), md5(%(campaign)s || ':' || g),
                           now(), now(), 0, false
                    FROM generate_series(1, %(count)s) AS g
                    """,
                    {"firm": firm.pk, "campaign": campaign.pk, "count": count},
                )
                cursor.execute(
                    """
                    INSERT INTO assessments_answer
                        (firm_id, respondent_id, item_id, value, updated_at)
                    SELECT %(firm)s, r.id, i.id,
                           CASE WHEN random() < 0.04 THEN NULL
                                ELSE 1 + floor(random() * 5)::int END,
                           now()
                    FROM assessments_respondent r CROSS JOIN assessments_item i
                    WHERE r.campaign_id = %(campaign)s AND i.version_id = %(version)s
                    """,
                    {"firm": firm.pk, "campaign": campaign.pk, "version": version.pk},
                )
        connection.cursor().execute("ANALYZE")
        large = Campaign.objects.get(name="large")
        small = Campaign.objects.exclude(pk=large.pk).order_by("pk").first()
        return firm, large, small


FLOOR_SQL = """
SELECT i.dimension_id, count(DISTINCT a.respondent_id),
       avg(CASE WHEN i.reverse THEN 5 - a.value ELSE a.value - 1 END * 25.0)
FROM assessments_answer a
JOIN assessments_item i ON i.id = a.item_id
JOIN assessments_respondent r ON r.id = a.respondent_id
WHERE r.campaign_id = %s AND r.completed_at IS NOT NULL AND a.value IS NOT NULL
GROUP BY i.dimension_id
"""


def best_of(runs, fn):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    fresh = "--fresh" in sys.argv
    prepare_database(fresh)
    import django

    django.setup()
    from django.db import connection

    from pmo_platform.tenancy import firm_context
    from reports import services
    from reports.models import Report

    firm, large, small = generate()

    def build(campaign):
        with firm_context(firm):
            Report.objects.filter(campaign=campaign, status__in=["queued", "building"]).delete()
            report = services.report_request(firm=firm, campaign=campaign, trigger="requested")
            services.report_build(firm=firm, report_id=report.pk)

    def floor():
        with firm_context(firm), connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [large.pk])
            cursor.fetchall()

    with firm_context(firm):
        responses = large.respondents.count()
        total = Report.objects.model._meta.apps.get_model(
            "assessments", "Respondent"
        ).objects.count()
    build(large)  # warm caches
    build_time = best_of(3, lambda: build(large))
    floor_time = best_of(3, floor)

    def peak(campaign):
        tracemalloc.start()
        build(campaign)
        _current, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak_bytes

    with firm_context(firm):
        small_count = small.respondents.count()
    peak_large, peak_small = peak(large), peak(small)

    print()
    print(f"data: {CLIENTS} client organisations, {total} responses; large campaign {responses}")
    print(f"report build (large campaign):     {build_time * 1000:8.1f} ms   (target < 2000 ms)")
    print(f"SQL floor (one hand-written query): {floor_time * 1000:8.1f} ms")
    print(f"ratio build / floor:               {build_time / floor_time:8.2f} x   (target <= 5 x)")
    print(f"peak memory of a build, {responses:>6} responses: {peak_large / 1024:8.0f} KiB")
    print(f"peak memory of a build, {small_count:>6} responses: {peak_small / 1024:8.0f} KiB")
    print(f"memory ratio large / small:        {peak_large / peak_small:8.2f} x   (flat is ~1 x)")


if __name__ == "__main__":
    main()
