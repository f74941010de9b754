"""The real parts a fault test needs: a private Redis, a Celery worker PROCESS (killed with
SIGKILL, not a thread) and an aiosmtpd sink that can be slow, drop the connection after DATA or
refuse a recipient."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings

from pmo_platform import queues as queue_names
from tests.faults import database_env

REDIS_PORT = int(os.environ.get("PMO_FAULT_EMAIL_REDIS_PORT", "6391"))  # a private Redis
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Redis --------------------------------------------------------------------------------------


def redis_cli(*args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return result.stdout.strip()


def start_redis() -> bool:
    """Start the private Redis unless it answers already; whether this call started it."""
    if redis_cli("ping") == "PONG":
        return False
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
        timeout=10,
    )
    deadline = time.monotonic() + 10
    while redis_cli("ping") != "PONG":
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis on port {REDIS_PORT} did not start")
        time.sleep(0.1)
    return True


def stop_redis() -> None:
    redis_cli("shutdown", "nosave")


def broker_app(prefix: str) -> Celery:
    """A Celery app publishing to the private Redis, on the tests' queues (named with `prefix`;
    what `pmo_platform.tasks.publish` is pointed at during a fault test)."""
    app = Celery("faults", broker=REDIS_URL, set_as_current=False)
    queue_names.use_prefix(app, prefix)
    app.conf.task_serializer = "json"
    app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    return app


# --- SMTP sink ----------------------------------------------------------------------------------


@dataclass
class Received:
    rcpt_tos: list[str]
    message_id: str
    subject: str
    at: float


@dataclass
class Sink:
    """An SMTP server that records every message whose DATA it has read.

    `data_delay`: seconds to wait before answering DATA (a server slower than EMAIL_TIMEOUT).
    `drop_after_data`: read the message, then close the connection without answering.
    `refuse`: addresses refused at RCPT with 550. `on_message(sink)`: called after each one."""

    data_delay: float = 0.0
    drop_after_data: bool = False
    refuse: set[str] = field(default_factory=set)
    on_message: object = None
    messages: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(
                Received(
                    list(envelope.rcpt_tos),
                    str(parsed["Message-ID"]),
                    str(parsed["Subject"]),
                    time.monotonic(),
                )
            )
        if self.on_message is not None:
            self.on_message(self)
        if self.drop_after_data:
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def start(self) -> Sink:
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


# --- Worker process -----------------------------------------------------------------------------


class WorkerProcess:
    """`celery -A pmo_platform worker --pool=solo` as its own process, on the test database as
    the application role, the private Redis and the tests' queues (all of them, named with
    `prefix`, or only `queues`, given without the prefix), sending through `sink`."""

    def __init__(
        self,
        *,
        prefix: str,
        sink: Sink | None,
        env: dict | None = None,
        log_dir: Path,
        queues: list[str] | None = None,
    ):
        self.prefix = prefix
        self.queues = [prefix + queue for queue in queues or queue_names.QUEUES]
        self.sink = sink
        self.extra_env = env or {}
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CELERY_", "EMAIL_", "PG"))
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "pmo_platform.settings",
            **database_env(),
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_QUEUE_PREFIX": self.prefix,
            "LOG_LEVEL": "INFO",
        }
        if self.sink is not None:
            env |= {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.sink.port),
            }
        return env | self.extra_env

    def start(self, timeout: float = 60) -> WorkerProcess:
        return self.launch().wait_ready(timeout)

    def launch(self) -> WorkerProcess:
        """Start the process without waiting for it to be ready (several at once)."""
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"),
                "-A",
                "pmo_platform",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                ",".join(self.queues),
                "-n",
                f"faults-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker not ready within {timeout}s:\n{self.log()}")
            time.sleep(0.2)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
