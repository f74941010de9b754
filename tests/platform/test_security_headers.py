"""Security headers on every kind of page (CSP, Permissions-Policy), the web server's banner,
and the web process refusing to start with the public development key."""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.urls import reverse

from tests.assessments.test_survey import make_campaign, survey_path
from tests.helpers import brand
from tests.platform.test_inline_attributes import inline_attributes
from tests.platform.test_platform import free_port

DIRECTIVES = {
    "default-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "style-src-attr 'none'",
    "script-src-attr 'none'",
}


def assert_secure_headers(response):
    policy = response["Content-Security-Policy"]
    parts = {part.strip() for part in policy.split(";")}
    assert parts >= DIRECTIVES, policy
    # No directive allows inline code or styles: not scripts, not <style>, not style attributes.
    assert [p for p in parts if "'unsafe-inline'" in p or "'unsafe-hashes'" in p] == [], policy
    assert "'unsafe-eval'" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "Server" not in response
    page = response.content.decode()
    # Every inline <style> carries this response's nonce, and no inline script exists.
    for tag in re.findall(r"<style[^>]*>", page):
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        assert f'nonce="{nonce}"' in tag
    assert not re.search(r"<script(?![^>]*(\bsrc=|application/json))[^>]*>", page)
    assert inline_attributes(page) == []  # style-src-attr/script-src-attr 'none' would drop them


@pytest.mark.django_db
def test_headers_on_anonymous_staff_respondent_and_portal_pages(client, firm_a):
    from tests.reports.helpers import build, campaign_with

    brand(firm_a, default_language="en")
    for path in (reverse("account_login"), reverse("account_signup"), "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert_secure_headers(response)
    _campaign, _respondent, token = make_campaign(firm_a)
    response = client.get(survey_path(firm_a, token))
    assert response.status_code == 200 and b"<style nonce=" in response.content
    assert_secure_headers(response)
    client.force_login(firm_a.owner)
    for name in ("accounts:dashboard", "assessments:campaign_list", "accounts:branding"):
        response = client.get(reverse(name, args=[firm_a.firm.slug]))
        assert response.status_code == 200
        assert_secure_headers(response)
    build(firm_a, campaign_with(firm_a, [("leadership", 5, 5)]))
    client.force_login(firm_a.executive)
    response = client.get(reverse("reports:portal", args=[firm_a.firm.slug, firm_a.client.pk]))
    assert response.status_code == 200
    assert_secure_headers(response)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_secure_headers(response)


@pytest.mark.django_db
def test_the_logo_keeps_its_own_policy(client, firm_a):
    digest = brand(firm_a).logo_sha256
    response = client.get(reverse("accounts:logo", args=[firm_a.firm.slug, digest]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'"


def _gunicorn(env_changes, port):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    # No database is needed for what these requests do; an unreachable one proves it.
    env.update(
        {"DATABASE_URL": "postgres://nobody:x@127.0.0.1:1/none", "DJANGO_DEBUG": "0"} | env_changes
    )
    return subprocess.Popen(
        [
            str(settings.BASE_DIR / ".venv/bin/gunicorn"),
            "pmo_platform.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_gunicorn_sends_no_server_banner():
    port = free_port()
    server = _gunicorn({"PMO_ENV": "production", "DJANGO_SECRET_KEY": "s" * 50}, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
            except urllib.error.HTTPError as exc:
                response = exc
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert response.code == 404
        assert response.headers["Server"] == "pmo"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("env", [{"PMO_ENV": "production"}, {}])
def test_web_process_refuses_the_development_key_outside_development(env):
    server = _gunicorn({"PMO_ENV": "", **env}, free_port())
    try:
        output, _ = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "pmo.E001" in output


def test_development_key_allowed_in_development():
    result = subprocess.run(
        [sys.executable, "-c", "import pmo_platform.wsgi"],
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
        | {"PMO_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
