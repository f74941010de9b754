"""A consultant uploads a CSV file on the campaign page and watches the import finish (headless
Chromium, a real worker): the progress bar is shown while it runs and the page updates itself
to the outcome, within the Content-Security-Policy."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from pmo_platform.tenancy import firm_context
from tests.helpers import new_campaign

from .test_browser import launch, plain_static_files, watch_csp


@pytest.mark.django_db(transaction=True)
def test_upload_shows_progress_until_done(live_server, celery_worker, firm_a, settings, tmp_path):
    plain_static_files(settings)
    with firm_context(firm_a.firm):
        campaign = new_campaign(firm_a, name="Browser import")
    rows = 3000
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,name\n" + "".join(f"p{n}@client.example,P {n}\n" for n in range(rows))
    )
    session = Client()
    session.force_login(firm_a.consultant)
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
        detail = reverse("assessments:campaign_detail", args=[firm_a.firm.slug, campaign.pk])
        page.goto(live_server.url + detail)
        page.set_input_files("input[type=file][name=file]", str(csv_file))
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
        # Either still running (the bar) or already done by the time the page loads.
        shown = page.locator("progress.import-progress, .respondent-import .success")
        expect(shown).to_be_visible()
        expect(page.locator(".respondent-import")).to_contain_text(
            f"{rows} new, 0 updated", timeout=30_000
        )
        assert csp_violations == []
        browser.close()
