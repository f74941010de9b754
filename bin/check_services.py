"""Stop at once, with a clear message, when PostgreSQL or Redis cannot be reached."""

import importlib.util
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

# pmo_platform/env.py is standard library only; it is loaded by path because importing the
# pmo_platform package would need the dependencies (Celery) before they are installed.
_env_spec = importlib.util.spec_from_file_location(
    "pmo_env", Path(__file__).resolve().parent.parent / "pmo_platform" / "env.py"
)
_env = importlib.util.module_from_spec(_env_spec)
_env_spec.loader.exec_module(_env)
service_url = _env.service_url

SERVICES = [
    (
        "PostgreSQL",
        service_url("DATABASE_URL"),
        5432,
        "Start it (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql)"
        " main start;"
        " with Docker: docker compose up -d postgres), or point DATABASE_URL, DATABASE_OWNER_URL"
        " and DATABASE_OPERATOR_URL at a running server.",
    ),
    (
        "Redis",
        service_url("REDIS_URL"),
        6379,
        'Start it (redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "";'
        " with Docker: docker compose up -d redis), or point REDIS_URL at a running server.",
    ),
]

failed = False
for name, url, default_port, hint in SERVICES:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        failed = True
        print(
            f"\n{name} cannot be reached at {host}:{port} ({exc.strerror or exc}).", file=sys.stderr
        )
        print(f"  {hint}", file=sys.stderr)
if failed:
    sys.exit(2)
