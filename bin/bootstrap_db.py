"""Create the database and its three roles if they are missing (idempotent).

- the owner role (DATABASE_OWNER_URL) owns the schema and runs migrations; it may create
  databases so the test runner can create its test database;
- the application role (DATABASE_URL) is used by web, worker and beat: LOGIN only, no
  superuser, no BYPASSRLS, not the owner of any table;
- the operator role (DATABASE_OPERATOR_URL) is what `all_firms()` uses (the Django admin for
  staff, platform beat jobs): LOGIN and BYPASSRLS, no superuser, not the owner of any table.

Connects with DATABASE_ADMIN_URL (a superuser; default: postgres on this machine). Deployments
without superuser access create the roles by hand as docs/operations.md shows.
"""

import importlib.util
import sys
from pathlib import Path

import dj_database_url
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

# pmo_platform/env.py is standard library only; it is loaded by path because importing the
# pmo_platform package would need the dependencies (Celery) before they are installed.
_env_spec = importlib.util.spec_from_file_location(
    "pmo_env", Path(__file__).resolve().parent.parent / "pmo_platform" / "env.py"
)
_env = importlib.util.module_from_spec(_env_spec)
_env_spec.loader.exec_module(_env)
service_url = _env.service_url

app = dj_database_url.parse(service_url("DATABASE_URL"))
owner = dj_database_url.parse(service_url("DATABASE_OWNER_URL"))
operator = dj_database_url.parse(service_url("DATABASE_OPERATOR_URL"))
admin_url = service_url("DATABASE_ADMIN_URL")

if (
    len({app["NAME"], owner["NAME"], operator["NAME"]}) != 1
    or len({app["USER"], owner["USER"], operator["USER"]}) != 3
):
    sys.exit(
        "DATABASE_URL, DATABASE_OWNER_URL and DATABASE_OPERATOR_URL must name the same database"
        " and three different roles"
    )

try:
    conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
except psycopg.OperationalError as exc:
    sys.exit(f"Cannot connect to PostgreSQL as an administrator ({exc}).\nSet DATABASE_ADMIN_URL.")


def ensure_role(name, password, extra, bypass="NOBYPASSRLS"):
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        sql.SQL("{} ROLE {} WITH LOGIN NOSUPERUSER {} NOCREATEROLE {} PASSWORD {}").format(
            sql.SQL(verb),
            sql.Identifier(name),
            sql.SQL(bypass),
            sql.SQL(extra),
            sql.Literal(password or name),
        )
    )
    print(f"role {name}: {'checked' if exists else 'created'}")


ensure_role(owner["USER"], owner["PASSWORD"], "CREATEDB")
ensure_role(app["USER"], app["PASSWORD"], "NOCREATEDB")
ensure_role(operator["USER"], operator["PASSWORD"], "NOCREATEDB", bypass="BYPASSRLS")

db = app["NAME"]
if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
    conn.execute(
        sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(db), sql.Identifier(owner["USER"])
        )
    )
    print(f"database {db}: created")
else:
    print(f"database {db}: exists")
conn.close()

# The owner's schema; the application role may use it but create nothing in it.
with psycopg.connect(
    make_conninfo(admin_url, dbname=db), autocommit=True, connect_timeout=5
) as dbconn:
    dbconn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner["USER"])))
    dbconn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    for user in (app["USER"], operator["USER"]):
        dbconn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(user)))
