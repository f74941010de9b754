"""Process-level fault harness for the broker: a private redis-server that a test can stop and
start, and real `celery worker` / `celery beat` processes on private queues, reading the test
database. Processes are killed with SIGKILL to simulate a crash.

The test process publishes through `PrivateBroker.app` (a Celery app like the project's, pointed
at the private Redis and queues); `PrivateBroker.install(monkeypatch)` makes `enqueue`/`publish`
use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from celery import Celery

from pmo_platform import queues
from tests.faults import database_env

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(ROOT / ".venv" / "bin" / "celery")
DEFAULT_PORT = int(os.environ.get("PMO_FAULT_REDIS_PORT", "6392"))


def _redis_cli(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
    )


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s")


class RedisServer:
    """A throwaway redis-server without persistence: a stop loses everything it held."""

    def __init__(self, port: int = DEFAULT_PORT, log_dir: Path | None = None):
        self.port = port
        self.log = (log_dir or Path(tempfile.mkdtemp())) / f"redis-{port}.log"
        self.url = f"redis://127.0.0.1:{port}/0"

    def up(self) -> bool:
        return _redis_cli(self.port, "ping").stdout.strip() == "PONG"

    def start(self) -> None:
        if self.up():
            raise RuntimeError(f"something already listens on {self.port}")
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--logfile",
                str(self.log),
            ],
            check=True,
            timeout=10,
        )
        wait_until(self.up, 10, what=f"redis on {self.port}")

    def stop(self) -> None:
        if self.up():
            _redis_cli(self.port, "shutdown", "nosave")
        wait_until(lambda: not self.up(), 10, what=f"redis on {self.port} stopped")


class CeleryProcess:
    """A real `celery -A pmo_platform <command>` process on the private broker and queues."""

    def __init__(self, broker: PrivateBroker, args: list[str], name: str, env=None, wrap=None):
        self.log = broker.dir / f"{name}.log"
        self.env = broker.env() | (env or {})
        self.command = [*(wrap or []), CELERY, "-A", "pmo_platform", *args]
        self.proc: subprocess.Popen | None = None

    def start(self) -> CeleryProcess:
        self._out = open(self.log, "ab")  # noqa: SIM115 (closed in stop/kill)
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self._out, stderr=subprocess.STDOUT
        )
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for_log(self, needle: str, timeout: float = 60, count: int = 1) -> None:
        wait_until(
            lambda: self.text().count(needle) >= count,
            timeout,
            what=f"{needle!r} in {self.log.name}:\n{self.text()[-3000:]}",
        )

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no restore of unacknowledged messages."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self._out.close()


class PrivateBroker:
    """A private Redis, private queues (every queue name prefixed), and the processes started
    on them."""

    def __init__(self, port: int = DEFAULT_PORT):
        self.dir = Path(tempfile.mkdtemp(prefix="pmo-faults-"))
        self.redis = RedisServer(port, self.dir)
        self.prefix = f"pmo-fault-{uuid.uuid4().hex[:8]}-"
        self.queues = queues.names(self.prefix)
        self.processes: list[CeleryProcess] = []
        self.app = Celery("faults", set_as_current=False)
        self.app.config_from_object("django.conf:settings", namespace="CELERY")
        self.app.conf.broker_url = self.redis.url
        queues.use_prefix(self.app, self.prefix)

    def env(self) -> dict:
        return os.environ | {
            **database_env(),
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_QUEUE_PREFIX": self.prefix,
            "PYTHONUNBUFFERED": "1",
        }

    def install(self, monkeypatch) -> None:
        """`enqueue` and `publish` in this process go to the private broker."""
        from pmo_platform import tasks as platform_tasks

        monkeypatch.setattr(platform_tasks, "app", self.app)

    def worker(self, name: str = "worker", env=None, supervised: bool = False) -> CeleryProcess:
        wrap = [sys.executable, str(ROOT / "bin" / "supervise")] if supervised else None
        args = ["worker", "--pool=solo", "-Q", ",".join(self.queues), "--loglevel", "INFO"]
        args += ["-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle"]
        process = CeleryProcess(self, args, name, env=env, wrap=wrap).start()
        self.processes.append(process)
        return process

    def beat(self, name: str = "beat") -> CeleryProcess:
        args = ["beat", "--loglevel", "INFO", "--pidfile", str(self.dir / f"{name}.pid")]
        process = CeleryProcess(self, args, name).start()
        self.processes.append(process)
        return process

    def queued(self) -> int:
        """Messages waiting in all of the private queues."""
        return sum(
            int(_redis_cli(self.redis.port, "llen", queue).stdout.strip() or 0)
            for queue in self.queues
        )

    def close(self) -> None:
        for process in self.processes:
            process.stop()
        self.redis.stop()
