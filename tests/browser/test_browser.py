"""A respondent on a phone, in headless Chromium: answer part, reload, answers kept, finish,
see the result. Screenshots are saved in test-artifacts/."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from assessments import services
from assessments.models import Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, brand, new_campaign, person

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Debian's Chromium, never a downloaded one; no background traffic (this machine has no network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# Every page reports what its Content-Security-Policy blocked (an inline style attribute, an
# inline handler, a script or style sheet from elsewhere) on the console. Playwright's init
# scripts are not subject to the page's policy.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("Content-Security-Policy violation: " + event.violatedDirective + " "
    + (event.blockedURI || "inline") + " " + (event.sample || ""));
});
"""


def watch_csp(page) -> list[str]:
    """Console messages about Content-Security-Policy violations (must stay empty)."""
    violations = []

    def record(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", record)
    return violations


def rendered_width(locator) -> float:
    box = locator.bounding_box()
    return box["width"] if box else 0.0


def plain_static_files(settings):
    """The live server serves static files from the app folders (no collected manifest)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def invited(firm_a):
    brand(firm_a, default_language="en")
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Phone check", days=7)
        add_people(
            firm_a, campaign, [person("phone@client.example", "Pia", role_level="team_member")]
        )
        campaign = services.campaign_launch(firm=firm_a.firm, actor=firm_a.owner, campaign=campaign)
        respondent = campaign.respondents.get()
        return respondent, services.respondent_token(respondent)


@pytest.mark.django_db(transaction=True)
def test_respondent_on_a_phone_answers_reloads_and_finishes(live_server, firm_a, invited, settings):
    # The live server serves static files from their sources, without the manifest's hashes.
    plain_static_files(settings)
    respondent, token = invited
    url = f"{live_server.url}/f/{firm_a.firm.slug}/s/{token}/"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(**PHONE).new_page()
        csp_violations = watch_csp(page)
        failures = []
        page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
        page.goto(url)
        expect(page.locator("h1")).to_contain_text("How does the PMO work")
        questions = page.locator("fieldset.question")
        assert questions.count() == 24
        # Answer the first five by tapping the labels; each is saved as it is given.
        for n in range(5):
            questions.nth(n).get_by_text("Agree", exact=True).click()
            expect(questions.nth(n).locator(".saved")).to_have_text("Saved")
        expect(page.locator("#progress-text")).to_have_text("5 of 24 answered")
        # The progress bar (an SVG <rect>'s width attribute, set by survey.js) grew to 5/24.
        progress = page.locator("#progress-bar")
        assert progress.get_attribute("width") == "21%"
        assert 0 < rendered_width(progress) < rendered_width(page.locator(".progress"))
        page.screenshot(path=str(ARTIFACTS / "survey-phone.png"), full_page=False)

        page.reload()
        expect(page.locator("#progress-text")).to_have_text("5 of 24 answered")
        for n in range(5):
            expect(questions.nth(n).locator("input[value='4']")).to_be_checked()
        expect(questions.nth(5).locator("input:checked")).to_have_count(0)

        for n in range(5, 24):
            label = "Don't know" if n == 7 else "Strongly agree"
            questions.nth(n).get_by_text(label, exact=True).click()
            expect(questions.nth(n).locator(".saved")).to_have_text("Saved")
        page.get_by_role("button", name="Submit my answers").click()
        expect(page.locator("h1")).to_have_text("Your result")
        expect(page.locator(".result-hero")).to_contain_text("/100")
        expect(page.get_by_role("heading", name="Your next steps")).to_be_visible()
        # The score bars are drawn, in the firm's colour (the nonce'd <style> sets --brand).
        bar = page.locator(".bar rect").first
        assert rendered_width(bar) > 0
        assert page.evaluate("(r) => getComputedStyle(r).fill", bar.element_handle()) == (
            "rgb(122, 31, 92)"  # #7A1F5C, tests.helpers.brand
        )
        page.screenshot(path=str(ARTIFACTS / "result-phone.png"), full_page=True)
        assert failures == []  # every stylesheet, script and request worked
        assert csp_violations == []  # and the Content-Security-Policy blocked none of them
        # The page fits the phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        browser.close()

    with firm_context(firm_a.firm):
        done = Respondent.objects.get(pk=respondent.pk)
    assert done.completed_at is not None
    assert done.result["dimensions"]
    assert (ARTIFACTS / "survey-phone.png").stat().st_size > 10_000


@pytest.mark.django_db(transaction=True)
def test_client_executive_logs_in_and_sees_the_radar(live_server, firm_a, settings):
    from allauth.account.models import EmailAddress

    from tests.reports.helpers import build, campaign_with

    plain_static_files(settings)
    brand(firm_a, default_language="en")
    build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 6, 2)]))
    EmailAddress.objects.create(
        user=firm_a.executive, email=firm_a.executive.email, verified=True, primary=True
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        csp_violations = watch_csp(page)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", firm_a.executive.email)
        page.fill("input[name=password]", "pw-exec-123!")
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_have_text(firm_a.client.name)
        radar = page.locator("svg.chart").first
        expect(radar).to_be_visible()
        assert radar.locator("polygon").count() >= 6  # the rings and the client's shape
        expect(page.get_by_text("Leadership and teams see the PMO differently")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "executive-report.png"), full_page=True)
        assert csp_violations == []
        browser.close()
    assert (ARTIFACTS / "executive-report.png").stat().st_size > 20_000


@pytest.mark.django_db(transaction=True)
def test_consultant_pages_keep_to_the_policy(live_server, firm_a, settings):
    """The dashboard, a campaign and its report: no style attribute or inline handler for the
    policy to block, and the report's bars and legend are drawn."""
    from django.test import Client

    from tests.reports.helpers import build, campaign_with

    plain_static_files(settings)
    brand(firm_a, default_language="en")
    report = build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 6, 2)]))
    session = Client()
    session.force_login(firm_a.owner)
    slug, campaign = firm_a.firm.slug, report.campaign_id
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        csp_violations = watch_csp(page)
        page.goto(live_server.url + reverse("accounts:dashboard", args=[slug]))
        expect(page.locator(".topbar")).to_be_visible()
        page.goto(live_server.url + reverse("assessments:campaign_detail", args=[slug, campaign]))
        expect(page.locator("h1")).to_have_text("Report")
        expect(page.locator(".meter rect")).to_have_count(1)
        page.goto(live_server.url + reverse("reports:campaign_report", args=[slug, campaign]))
        bars = page.locator("svg.chart rect")
        assert bars.count() >= 2
        assert rendered_width(bars.first) > 0
        swatch = page.locator(".legend .swatch").first
        assert rendered_width(swatch) > 0
        page.wait_for_timeout(300)  # violations are reported as a task after the parse
        assert csp_violations == []
        # The watcher does see what the policy blocks: a style attribute added now is refused.
        page.evaluate("document.body.setAttribute('style', 'outline: 1px solid red')")
        page.wait_for_timeout(300)
        assert any("style-src-attr" in v for v in csp_violations), csp_violations
        browser.close()


# all_firms() reads through the operator role's own connection: committed rows only.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_operator_sets_up_two_factor_and_opens_the_admin(live_server, settings):
    """The QR code, the recovery codes and the admin all work under the Content-Security-Policy."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    from accounts.models import User

    plain_static_files(settings)
    operator = User.objects.create_user(
        "op@pmo.example", "pw-operator-123!", is_staff=True, is_superuser=True
    )
    EmailAddress.objects.create(user=operator, email=operator.email, verified=True, primary=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        csp_violations = watch_csp(page)
        page.goto(f"{live_server.url}/{settings.ADMIN_URL_PATH}/")
        # The admin sends operators to the main login page ...
        page.fill("input[name=login]", operator.email)
        page.fill("input[name=password]", "pw-operator-123!")
        page.click("main button[type=submit]")
        # ... and then to set up an authenticator app (after the password again).
        page.wait_for_url("**/accounts/**")
        if page.locator("input[name=password]").count():
            page.fill("input[name=password]", "pw-operator-123!")
            page.click("main button[type=submit]")
        page.wait_for_url("**/2fa/totp/activate/**")
        qr = page.locator("main img").first
        expect(qr).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
        secret = page.locator("#authenticator_secret").input_value()
        counter = next(iter(yield_hotp_counters_from_time()))
        page.fill("input[name=code]", format_hotp_value(hotp_value(secret, counter)))
        page.click("main button[type=submit]")
        page.wait_for_url("**/2fa/**")
        page.goto(f"{live_server.url}/{settings.ADMIN_URL_PATH}/")
        expect(page.locator("#site-name")).to_be_visible()
        assert csp_violations == []
        browser.close()
