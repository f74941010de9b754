"""Stop at once, with a clear message, when PostgreSQL or Redis cannot be reached."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = [
    (
        "PostgreSQL",
        os.environ.get("DATABASE_URL", "postgres://pmo_app:pmo_app@127.0.0.1:5432/pmo"),
        5432,
        "Start it (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql)"
        " main start;"
        " with Docker: docker compose up -d postgres), or point DATABASE_URL and DATABASE_OWNER_URL"
        " at a running server.",
    ),
    (
        "Redis",
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
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
