#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates the three roles and the database exactly as
# bin/bootstrap_db.py does; see docs/tenancy.md ("The database roles").
#
#   pmo_owner  owns the database, the public schema and (after migrate) every table;
#              CREATEDB so the test runner can create its test database
#   pmo_app    what web, worker and beat connect as: no superuser, no BYPASSRLS, owns nothing
#   pmo_operator  what all_firms() connects as (the Django admin, the sweep): BYPASSRLS, no
#              superuser, owns nothing
#
# Passwords come from PMO_OWNER_PASSWORD, PMO_APP_PASSWORD and PMO_OPERATOR_PASSWORD
# (docker-compose.yml).
set -eo pipefail

: "${PMO_OWNER_PASSWORD:?PMO_OWNER_PASSWORD must be set}"
: "${PMO_APP_PASSWORD:?PMO_APP_PASSWORD must be set}"
: "${PMO_OPERATOR_PASSWORD:?PMO_OPERATOR_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v owner_password="$PMO_OWNER_PASSWORD" -v app_password="$PMO_APP_PASSWORD" \
    -v operator_password="$PMO_OPERATOR_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE pmo_owner WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE CREATEDB PASSWORD %L',
              :'owner_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pmo_owner')
\gexec
SELECT format('CREATE ROLE pmo_app WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD %L',
              :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pmo_app')
\gexec
SELECT format('CREATE ROLE pmo_operator WITH LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD %L',
              :'operator_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pmo_operator')
\gexec
SELECT 'CREATE DATABASE pmo OWNER pmo_owner'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'pmo')
\gexec

\connect pmo
-- The owner's schema; the application role may use it but create nothing in it.
ALTER SCHEMA public OWNER TO pmo_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pmo_app;
GRANT USAGE ON SCHEMA public TO pmo_operator;
SQL

echo "init-roles: pmo_owner, pmo_app, pmo_operator and database pmo are in place"
