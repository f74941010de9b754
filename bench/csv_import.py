"""Benchmark: the campaign page's CSV import of 100,000 respondents
(services/respondent_imports.py).

In its own database `pmo_bench_csv` (`BENCH_DATABASE`; created and migrated on first run), firm
"bench-csv", a fresh draft campaign per run. In this one process run it prints:

- the web request (`POST .../respondents/import/` through Django's test Client, full middleware,
  firm scope and RLS): its time and its peak Python memory (tracemalloc) — it stores the file
  and queues the task, nothing more;
- the worker's part (`respondent_import_process`, what the `assessments.import_respondents` task
  runs): time, rows per second and peak Python memory (a second run, with tracemalloc);
- the floor: the same rows written with `bulk_create` into another campaign with no checking,
  no progress reports and no merge (what writing alone costs), and the ratio import / floor.

Run: .venv/bin/python bench/csv_import.py [rows]     (after bin/setup; default 100,000 rows)
Target: 100,000 rows well under a minute in the worker; the web request's memory a small multiple
of the file, never per-row objects.
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "pmo_bench_csv")
from pmo_platform.env import service_url  # noqa: E402

for _name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_OPERATOR_URL"):
    os.environ[_name] = service_url(_name).rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # the bench sends no tasks anywhere


def prepare_database() -> None:
    import subprocess

    import psycopg

    with psycopg.connect(service_url("DATABASE_ADMIN_URL"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" OWNER pmo_owner')
    env = dict(os.environ, PMO_DB_ROLE="owner")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def csv_content(rows: int) -> bytes:
    lines = ["email,name,language,role_level,department"]
    lines += [
        f"person{n}@client{n % 97}.example,Person Number {n},{'sv' if n % 3 else 'en'},"
        f"team_member,Department {n % 40}"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def setup(stamp: str):
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Firm, User
    from assessments import services
    from assessments.models import InstrumentVersion
    from pmo_platform.tenancy import firm_context

    firm = Firm.objects.filter(slug="bench-csv").first()
    if firm is None:
        owner = User.objects.create_user("bench-csv@pmo.example", "bench")
        firm = account_services.firm_signup(owner=owner, firm_name="bench-csv")
        Firm.objects.filter(pk=firm.pk).update(slug="bench-csv")
        firm.refresh_from_db()
    owner = User.objects.get(email="bench-csv@pmo.example")
    with firm_context(firm):
        client = account_services.client_create(
            firm=firm, actor=owner, name=f"Bench {stamp}", industry="finance",
            size_band="250-999", country="SE",
        )  # fmt: skip

        def campaign(name):
            return services.campaign_create(
                firm=firm, actor=owner, client=client, version=InstrumentVersion.objects.get(),
                name=f"{name} {stamp}", closes_at=timezone.now() + timedelta(days=30),
                default_language="en", **services.default_invitation_texts(),
            )  # fmt: skip

        return firm, owner, [campaign(n) for n in ("web", "traced", "floor")]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    prepare_database()
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from assessments import services
    from assessments.models import Respondent, RespondentImport
    from assessments.services.respondents import new_respondent
    from pmo_platform.tenancy import firm_context

    firm, owner, (web, traced, floor) = setup(str(int(time.time())))
    content = csv_content(rows)
    print(f"rows: {rows:,}, file: {len(content) / 1e6:.1f} MB")

    client = Client(SERVER_NAME="localhost")
    client.force_login(owner)
    url = reverse("assessments:respondents_import", args=[firm.slug, web.pk])
    tracemalloc.start()
    started = time.perf_counter()
    response = client.post(url, {"file": SimpleUploadedFile("people.csv", content)})
    web_s = time.perf_counter() - started
    web_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.status_code == 302, response.status_code
    print(f"web request: {web_s:.2f} s, peak Python memory {web_peak / 1e6:.1f} MB")

    def run(campaign):
        with firm_context(firm):
            if campaign is web:  # the one the web request queued
                job = RespondentImport.objects.get(campaign=campaign)
            else:
                job = services.respondent_import_start(
                    firm=firm, actor=owner, campaign=campaign, file_name="p.csv", content=content
                )
        started = time.perf_counter()
        status = services.respondent_import_process(firm=firm, import_id=job.pk)
        assert status == "done", status
        return time.perf_counter() - started

    worker_s = run(web)
    print(f"worker: {worker_s:.2f} s, {rows / worker_s:,.0f} rows/s")
    tracemalloc.start()
    run(traced)
    worker_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"worker peak Python memory (traced run): {worker_peak / 1e6:.1f} MB")

    import csv
    import io

    started = time.perf_counter()
    with firm_context(firm):
        reader = csv.DictReader(io.StringIO(content.decode()))
        batch = []
        for row in reader:
            batch.append(new_respondent(firm=firm, campaign=floor, **row))
            if len(batch) >= 5000:
                Respondent.objects.bulk_create(batch)
                batch = []
        Respondent.objects.bulk_create(batch)
    floor_s = time.perf_counter() - started
    print(f"floor (bulk_create, no checks): {floor_s:.2f} s, {rows / floor_s:,.0f} rows/s")
    print(f"ratio import / floor: {worker_s / floor_s:.2f}")


if __name__ == "__main__":
    main()
