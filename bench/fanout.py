"""Benchmark: a 10,000-invitation campaign fan-out through real Celery workers, against raw
smtplib sending the same messages.

In its own database (default `pmo_bench_fanout`, created and migrated here; BENCH_DATABASE),
its own Redis (port 6473, started and stopped here; BENCH_REDIS_PORT) and an aiosmtpd sink in
its own process (port 8071; BENCH_SMTP_PORT) that counts the messages per recipient. After the
campaign's respondents are written, `ANALYZE` runs as the owner role (checked), as autovacuum
keeps a live database's statistics:

1. the real path: a campaign of 10,000 respondents is launched through
   `assessments.services.campaign_launch`; two worker processes (`celery worker --pool=solo -Q
   email_priority,email`) run the fan-out and its `send_email_batch` batches. Timed from the
   launch's commit to the last message the sink read.
2. the floor, in this process: the same 10,000 messages, built the same way
   (`build_respondent_email`, untimed), sent with raw `smtplib` over one connection.

Prints emails/min for both, their ratio, and checks that every recipient got exactly one
message (the sink's counts) and that every `EmailLog` row ended `sent`.

Run: .venv/bin/python bench/fanout.py [--count N] [--workers N]
Targets: the workers >= 0.5x raw smtplib, >= 10,000 emails/min with two workers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Starts its own redis-server, worker and sink processes from fixed arguments.
# ruff: noqa: S603, S607

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "pmo_bench_fanout")
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6473"))
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", "8071"))
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"

from pmo_platform.env import service_url  # noqa: E402

for _name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_OPERATOR_URL"):
    os.environ[_name] = service_url(_name).rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ |= {
    "DJANGO_SETTINGS_MODULE": "pmo_platform.settings",
    "PMO_ENV": os.environ.get("PMO_ENV", "development"),
    "REDIS_URL": REDIS_URL,
    "CELERY_BROKER_URL": REDIS_URL,
    "CELERY_QUEUE_PREFIX": "",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(SMTP_PORT),
    # the bench measures the path, not a firm's send rate
    "PMO_EMAIL_RATE_PER_MINUTE": os.environ.get("PMO_EMAIL_RATE_PER_MINUTE", "10000000"),
}

SINK_CODE = r"""
import json, signal, sys, threading, time
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
state = {"counts": {}, "first": None, "last": None}
class Handler:
    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with lock:
            for rcpt in envelope.rcpt_tos:
                state["counts"][rcpt] = state["counts"].get(rcpt, 0) + 1
            state["first"] = state["first"] or now
            state["last"] = now
        return "250 OK"
def dump(*_):
    with lock:
        data = dict(state)
        state.update(counts={}, first=None, last=None)
    with open(out + ".tmp", "w") as fh:
        json.dump(data, fh)
    import os; os.replace(out + ".tmp", out)
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
signal.signal(signal.SIGUSR1, dump)
signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
print("ready", flush=True)
while True:
    signal.pause()
"""


class SinkProcess:
    def __init__(self, port: int):
        self.out = Path(tempfile.mkdtemp()) / "counts.json"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK_CODE, str(port), str(self.out)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def take(self) -> dict:
        """The counts since the last take (and reset them)."""
        self.out.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR1)
        while not self.out.exists():
            time.sleep(0.02)
        return json.loads(self.out.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def redis_cli(*args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def start_redis() -> None:
    if redis_cli("ping") == "PONG":
        redis_cli("flushall")
        return
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
        ],
        check=True,
    )
    while redis_cli("ping") != "PONG":
        time.sleep(0.1)


def prepare_database() -> None:
    import psycopg

    with psycopg.connect(service_url("DATABASE_ADMIN_URL"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}" OWNER pmo_owner')
    env = dict(os.environ, PMO_DB_ROLE="owner")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def start_workers(count: int, log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    logs = []
    for n in range(count):
        log = log_dir / f"worker-{n}.log"
        logs.append(log)
        with log.open("w") as fh:
            workers.append(
                subprocess.Popen(
                    [
                        str(ROOT / ".venv" / "bin" / "celery"),
                        "-A",
                        "pmo_platform",
                        "worker",
                        "--pool=solo",
                        "--concurrency=1",
                        "-Q",
                        "email_priority,email",
                        "-n",
                        f"bench{n}@%h",
                        "--loglevel=INFO",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    cwd=ROOT,
                    env=dict(os.environ),
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + 120
    while not all(" ready." in log.read_text(errors="replace") for log in logs):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit("workers did not start: " + " ".join(str(p) for p in logs))
        time.sleep(0.3)
    return workers


def setup_campaign(count: int):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Firm, User
    from assessments import services
    from assessments.models import InstrumentVersion, Respondent
    from pmo_platform.tenancy import firm_context

    slug = "bench-fanout"
    firm = Firm.objects.filter(slug=slug).first()
    if firm is None:
        owner = User.objects.create_user(f"{slug}@pmo.example", "bench")
        firm = account_services.firm_signup(owner=owner, firm_name=slug)
        Firm.objects.filter(pk=firm.pk).update(slug=slug)
        firm.refresh_from_db()
    owner = User.objects.get(email=f"{slug}@pmo.example")
    run = int(time.time())
    with firm_context(firm):
        client = account_services.client_create(
            firm=firm,
            actor=owner,
            name=f"Bench client {run}",
            industry="finance",
            size_band="250-999",
            country="SE",
        )
        campaign = services.campaign_create(
            firm=firm,
            actor=owner,
            client=client,
            version=InstrumentVersion.objects.get(),
            name=f"Fan-out {run}",
            closes_at=timezone.now() + timedelta(days=30),
            default_language="en",
            anonymous=False,
            **services.default_invitation_texts(),
        )
        now = timezone.now()
        Respondent.objects.bulk_create(
            [
                Respondent(
                    firm=firm,
                    campaign=campaign,
                    email=f"r{n}@run{run}.example",
                    name=f"Respondent {n}",
                    language="sv" if n % 4 == 0 else "en",
                    source="invited",
                    token_salt=f"s{run}{n}"[:32],
                    token_hash=f"t{run}:{n}",
                    created_at=now,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
    return firm, owner, campaign


def analyze() -> list[tuple]:
    """ANALYZE as the owner role (the application role owns no table: PostgreSQL would skip
    them), after the campaign's rows are in, as autovacuum keeps a live database: the
    statements of a batch are planned on the data's statistics, not on those of an empty or
    much smaller table. The checked tables' row counts and `last_analyze` afterwards."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")
        return conn.execute(
            "SELECT relname, n_live_tup, last_analyze FROM pg_stat_user_tables WHERE relname IN "
            "('assessments_respondent', 'assessments_emaillog') ORDER BY relname"
        ).fetchall()


def run_workers(firm, owner, campaign, count: int, sink: SinkProcess) -> tuple[float, dict]:
    from django.db import transaction

    from assessments import services
    from assessments.models import EmailLog
    from pmo_platform.tenancy import firm_context

    sink.take()
    with firm_context(firm), transaction.atomic():
        services.campaign_launch(firm=firm, actor=owner, campaign=campaign)
    began = time.time()  # the publish happens on commit
    deadline = time.monotonic() + 1800
    while True:
        time.sleep(1)
        with firm_context(firm):
            rows = EmailLog.objects.filter(respondent__campaign=campaign)
            done = rows.exclude(status__in=("queued", "sending")).count()
        if done >= count or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    counts = sink.take()
    with firm_context(firm):
        statuses = dict(
            EmailLog.objects.filter(respondent__campaign=campaign)
            .values_list("status")
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        )
    elapsed = (counts["last"] or time.time()) - began
    return elapsed, {"counts": counts["counts"], "statuses": statuses}


def run_smtplib(firm, campaign, sink: SinkProcess) -> tuple[float, dict]:
    from assessments.models import EmailKind, EmailLog, Respondent
    from assessments.services.emails import build_respondent_email
    from pmo_platform.tenancy import firm_context

    with firm_context(firm):
        messages = []
        for respondent in Respondent.objects.filter(campaign=campaign).select_related(
            "campaign", "campaign__client"
        ):
            row = EmailLog(respondent=respondent, kind=EmailKind.INVITATION, sequence=0)
            message = build_respondent_email(firm=firm, respondent=respondent, row=row)
            messages.append((message.from_email, message.recipients(), message.message()))
        payloads = [(f, to, m.as_bytes(linesep="\r\n")) for f, to, m in messages]
    sink.take()
    began = time.time()
    with smtplib.SMTP("127.0.0.1", SMTP_PORT) as smtp:
        for from_email, to, payload in payloads:
            smtp.sendmail(from_email, to, payload)
    elapsed = time.time() - began
    return elapsed, sink.take()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    start_redis()
    prepare_database()
    import django

    django.setup()
    sink = SinkProcess(SMTP_PORT)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    workers = []
    try:
        firm, owner, campaign = setup_campaign(args.count)
        analysed = analyze()
        for table, rows, when in analysed:
            print(f"ANALYZE (as the owner role): {table}, {rows} rows, last_analyze {when}")
        assert analysed and all(when is not None for _t, _r, when in analysed), (
            "ANALYZE did not analyse the tables"
        )
        raw_elapsed, raw = run_smtplib(firm, campaign, sink)
        workers = start_workers(args.workers, log_dir)
        elapsed, real = run_workers(firm, owner, campaign, args.count, sink)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        sink.stop()
        redis_cli("shutdown", "nosave")

    raw_rate = args.count / raw_elapsed * 60
    rate = args.count / elapsed * 60
    counts = real["counts"]
    print(f"raw smtplib, one connection: {raw_rate:,.0f} emails/min ({raw_elapsed:.1f} s)")
    print(
        f"campaign launch, {args.workers} workers: {rate:,.0f} emails/min ({elapsed:.1f} s) "
        f"(target >= 10,000/min)"
    )
    print(f"ratio: {rate / raw_rate:.2f}x raw smtplib (target >= 0.5x)")
    exactly_once = len(counts) == args.count and set(counts.values()) == {1}
    print(
        f"recipients: {len(counts)} of {args.count}, each exactly once: {exactly_once}; "
        f"raw run recipients: {len(raw['counts'])}"
    )
    all_sent = real["statuses"] == {"sent": args.count}
    print(f"EmailLog statuses: {real['statuses']} (all sent: {all_sent})")
    print(f"worker logs: {log_dir}")


if __name__ == "__main__":
    main()
