"""The API reference pages (Swagger UI and Redoc) in headless Chromium: they render the schema
from local files only (drf-spectacular-sidecar), nothing from another origin, no CSP errors."""

from urllib.parse import urlparse

from playwright.sync_api import expect, sync_playwright

from .test_browser import launch, plain_static_files, watch_csp


def _visit(live_server, path, ready_selector):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        violations = watch_csp(page)
        requested, fetched = [], []
        page.on("request", lambda request: requested.append(request.url))
        page.on("response", lambda response: fetched.append(response.url))
        page.goto(live_server.url + path)
        expect(page.locator(ready_selector).first).to_be_visible(timeout=15_000)
        browser.close()
    origin = urlparse(live_server.url).netloc
    # Nothing came back from another origin (a blocked request gets no response).
    foreign = [url for url in fetched if urlparse(url).netloc not in (origin, "")]
    return violations, foreign, requested


def test_swagger_ui_renders_the_schema_from_local_assets(live_server, settings, db):
    plain_static_files(settings)
    violations, foreign, requested = _visit(live_server, "/api/v1/docs/", "text=/api/v1/clients/")
    assert foreign == [] and violations == []
    assert any("/static/drf_spectacular_sidecar/" in url for url in requested)
    assert any("/api/v1/schema/" in url for url in requested)


def test_redoc_renders_the_schema_from_local_assets(live_server, settings, db):
    plain_static_files(settings)
    violations, foreign, requested = _visit(live_server, "/api/v1/redoc/", "text=PMO Platform API")
    assert foreign == []
    # The one thing the policy stops: Redoc's built-in logo from cdn.redoc.ly (no font links).
    assert all("img-src" in v and "cdn.redoc.ly" in v for v in violations), violations
    assert not any("fonts.googleapis.com" in url for url in requested)
