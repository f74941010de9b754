"""Benchmark 2, "Answering": the survey autosave under 50 simulated respondents at once, next
to a bare view on the same server.

One process run starts one gunicorn on the loopback interface (`--workers`, sync worker class
by default; printed) with bench/autosave_settings.py (the product's settings plus a bench-only
URLconf, bench/autosave_urls.py) on its own database `pmo_bench_autosave` (`BENCH_DATABASE`
overrides the name; created and migrated as the owner role the first time, `--fresh` recreates
it), and runs locust headless against it
(bench/autosave_locustfile.py, FastHttpUser, 50 users, all started in the first second, no
think time): a warm-up, then a timed run, first of the real autosave
(`POST /f/<firm>/s/<token>/answer/`: token lookup, firm scope and RLS, CSRF, the Redis rate
limits per link and per address, the answer upsert) and then of the floor (`POST /bench/floor/`,
a bare Django view doing one INSERT in the request's one transaction, CSRF-checked, through the
same middleware). Each simulated respondent has its own personal link (fresh respondents each
run, so every POST writes a new (respondent, item)): it GETs its survey page (the CSRF cookie)
and autosaves all 24 statements once, then moves on to the next respondent.

It prints the requests per second of both, their ratio, p50/p95/p99 latency (locust's, in ms,
client side) of the POSTs after the first RAMP_SECONDS of each run (the load tool starting its
users), and checks that the answer rows (and floor rows) in the database equal every successful
POST, measured or not.
The rate limits are raised (SURVEY_ANSWER_RATE, SURVEY_ANSWER_IP_RATE) so they are still counted
in Redis on every request but never refuse (all users come from 127.0.0.1).

Then a paced run of both (`--pacing P`, 1 s by default, 0 leaves it out): each user one POST
per P seconds, so the same 50 respondents at ten times a real respondent's pace (24 statements
in about four minutes is one answer per 10 s), a load below saturation. Without think time the
latency is mostly queueing (Little's law: 50 users wait about 50 / (requests per second) each),
so the saturated p95 measures throughput again; the paced p95 is the latency a respondent sees.

Run: .venv/bin/python bench/autosave.py     (after bin/setup; `--fresh`, `--workers N`,
     `--seconds S`, `--users U`, `--pacing P`)
Targets: autosave >= 0.5 x the floor's requests per second; autosave p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "pmo_bench_autosave")
import api_data

ROOT = api_data.ROOT
os.environ.setdefault("SURVEY_ANSWER_RATE", "1000000000/m")
os.environ.setdefault("SURVEY_ANSWER_IP_RATE", "1000000000/m")
os.environ["PMO_ENV"] = "development"  # the development secret key (the links' HMAC) is fine
FIRM = "bench-autosave"
FLOOR_TABLE = """
CREATE TABLE IF NOT EXISTS bench_autosave_floor (
    id bigserial PRIMARY KEY, respondent integer NOT NULL, item integer NOT NULL,
    value smallint, created_at timestamptz NOT NULL DEFAULT now()
)
"""


def floor_table() -> None:
    """The floor's table: the bench's own, in no migration (created as the owner role)."""
    import psycopg

    app_user = api_data.service_url("DATABASE_URL").split("//", 1)[1].split(":", 1)[0]
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute(FLOOR_TABLE)
        conn.execute(f'GRANT SELECT, INSERT ON bench_autosave_floor TO "{app_user}"')
        conn.execute(f'GRANT USAGE ON SEQUENCE bench_autosave_floor_id_seq TO "{app_user}"')
        conn.execute("TRUNCATE bench_autosave_floor")


def floor_rows() -> int:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM bench_autosave_floor").fetchone()[0]


def campaign():
    """The firm's one open campaign (made and launched by the services the first time)."""
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import User
    from assessments import services
    from assessments.models import Campaign, InstrumentVersion
    from pmo_platform.tenancy import firm_context

    firm = api_data._firm(FIRM)
    with firm_context(firm):
        found = Campaign.objects.filter(name="autosave").first()
        if found is None:
            owner = User.objects.get(email=f"{FIRM}@pmo.example")
            client = account_services.client_create(
                firm=firm, actor=owner, name="Bench client", industry="finance",
                size_band="250-999", country="SE",
            )  # fmt: skip
            found = services.campaign_create(
                firm=firm, actor=owner, client=client, version=InstrumentVersion.objects.get(),
                name="autosave", closes_at=timezone.now() + timedelta(days=3650),
                default_language="en", anonymous=False, **services.default_invitation_texts(),
            )  # fmt: skip
            found = services.campaign_launch(firm=firm, actor=owner, campaign=found)
        items = list(found.version.items.values_list("pk", flat=True))
    return firm, found, items


def respondents(firm, campaign, count: int, label: str) -> tuple[list[int], list[str]]:
    """`count` new respondents (ids, personal tokens), written in one multi-row INSERT."""
    from assessments.links import respondent_token
    from assessments.models import Respondent
    from assessments.services.respondents import new_respondent
    from pmo_platform.tenancy import firm_context

    stamp = f"{label}-{time.time_ns()}"
    fields = {"firm": firm, "campaign": campaign, "language": "en", "source": "invited"}
    rows = [new_respondent(email=f"{stamp}-{n}@bench.example", **fields) for n in range(count)]
    with firm_context(firm):
        Respondent.objects.bulk_create(rows, batch_size=1000)
    return [r.pk for r in rows], [respondent_token(r) for r in rows]


def answer_rows(firm, ids: list[int]) -> int:
    from assessments.models import Answer
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        return Answer.objects.filter(respondent_id__in=ids).count()


def server(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.autosave_settings")
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "pmo_platform.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--threads", str(threads), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own command)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/floor/", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the bench server did not start") from None
            time.sleep(0.3)


# The first seconds of each run are not measured (the POSTs are still counted against the
# rows): locust starts every user at once and each opens its connections then, so the first
# POST of every user waited on the load tool itself (about 190 ms client side against under
# 20 ms in the server's own log, measured), which would be a p95 of its start-up at low load.
RAMP_SECONDS = 2


def locust(host, target, tokens_file, users, seconds, out, pacing=0.0) -> dict:
    """One headless locust run: the POSTs saved and failed; of those saved after the ramp
    (RAMP_SECONDS), their number, per second (from the first one's start to the last one's
    end) and latency percentiles (ms)."""
    env = dict(
        os.environ, BENCH_TARGET=target, BENCH_TOKENS=str(tokens_file),
        BENCH_PACING=str(pacing or ""), BENCH_RAMP=str(RAMP_SECONDS),
    )  # fmt: skip
    prefix = out / f"{target}-{time.time_ns()}"
    env["BENCH_COUNTS"] = f"{prefix}-saved.json"
    command = [
        str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/autosave_locustfile.py"),
        "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
        "--stop-timeout", "10", "--host", host, "--csv", str(prefix), "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=log, check=False)  # noqa: S603
    with open(env["BENCH_COUNTS"]) as file:
        saved = json.load(file)
    ms = sorted(saved["ms"])
    if not ms:
        raise SystemExit(f"no POST saved: see {prefix}.log")

    def pct(p):
        return ms[min(len(ms) - 1, int(p / 100 * len(ms)))]

    failures = 0
    with open(f"{prefix}_stats.csv") as file:
        failures = sum(int(row["Failure Count"]) for row in csv.DictReader(file)
                       if row["Name"] != "Aggregated")  # fmt: skip
    return {
        "saved": saved["all"], "measured": len(ms), "failed": failures,
        "rps": len(ms) / (saved["last"] - saved["first"]),
        "p50": pct(50), "p95": pct(95), "p99": pct(99),
    }  # fmt: skip


def phase(host, firm, campaign, items, args, out, label, pacing=0.0) -> dict:
    """Warm-up and timed run of the autosave, then of the floor; rows checked after each."""
    results = {}
    for target in ("autosave", "floor"):
        for run, seconds in (("warm-up", args.warmup), ("timed", args.seconds)):
            ids: list[int] = []
            if target == "autosave":
                # More respondents than the fastest run could use up (24 answers each).
                count = args.users + int(seconds * 2000 / len(items))
                ids, tokens = respondents(firm, campaign, count, f"{label}-{run}")
            else:
                floor_table()
                tokens = []
            tokens_file = out / f"tokens-{target}-{run}.json"
            tokens_file.write_text(json.dumps({"firm": FIRM, "items": items, "tokens": tokens}))
            stats = locust(host, target, tokens_file, args.users, seconds, out, pacing)
            rows = answer_rows(firm, ids) if target == "autosave" else floor_rows()
            if run == "timed":
                results[target] = {**stats, "rows": rows}
            if rows != stats["saved"]:
                print(f"  {target} {run}: {rows} rows in the database for {stats['saved']} saved")
    return results


def report(title, results, offered=0.0) -> None:
    print()
    print(title)
    print(f"{'':10} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'measured':>8} "
          f"{'saved':>7} {'failed':>6} {'rows':>7} rows = saved")  # fmt: skip
    for target, r in results.items():
        same = "yes" if r["rows"] == r["saved"] else "NO"
        print(f"{target:10} {r['rps']:8.1f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
              f"{r['measured']:8} {r['saved']:7} {r['failed']:6} {r['rows']:7} {same}")  # fmt: skip
    ratio = results["autosave"]["rps"] / results["floor"]["rps"]
    if offered:  # paced: both serve the load offered, so the ratio is ~1 by design
        print(f"offered load {offered:.0f} req/s; ratio autosave / floor (req/s): {ratio:.2f}")
    else:
        print(f"ratio autosave / floor (req/s): {ratio:.2f}   (target >= 0.5)")
    print(f"autosave p95: {results['autosave']['p95']:.1f} ms   (target < 100 ms)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--port", type=int, default=8041)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pacing", type=float, default=1.0)
    args = parser.parse_args()

    api_data.prepare_database(args.fresh)
    floor_table()
    import django

    django.setup()
    firm, camp, items = campaign()
    api_data.analyze()
    host = f"http://127.0.0.1:{args.port}"
    print(
        f"gunicorn: {args.workers} workers, worker class {args.worker_class}, "
        f"{args.threads} thread(s) each, on {host}; {os.cpu_count()} CPUs; locust: {args.users} "
        f"users (FastHttpUser), warm-up {args.warmup} s, timed {args.seconds} s; "
        f"{len(items)} statements per respondent",
        flush=True,
    )
    process = server(args.port, args.workers, args.worker_class, args.threads)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-autosave-") as tmp:
            out = Path(tmp)
            results = phase(host, firm, camp, items, args, out, "max")
            report("saturated (no think time)", results)
            if args.pacing:
                paced = phase(host, firm, camp, items, args, out, "paced", args.pacing)
                title = f"paced (each user one POST per {args.pacing:g} s)"
                report(title, paced, offered=args.users / args.pacing)
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
