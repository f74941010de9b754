"""No page has a `style="..."` attribute or an inline event handler (`onclick=` ...): the
Content-Security-Policy has `style-src-attr 'none'` and no 'unsafe-inline', so a browser would
drop them. Every page of the permission table is rendered with real objects (a report that shows
its numbers, a respondent half-way, one with a result), so the bars and colours are on them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from assessments import selectors, services
from assessments.models import Respondent
from pmo_platform.tenancy import firm_context
from reports.models import Report
from tests.assessments.test_survey import make_campaign
from tests.helpers import brand
from tests.platform.test_permissions import URLS, objects, url  # noqa: F401 - the fixture
from tests.reports.helpers import build, campaign_with

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE = re.compile(r"\s(style|on[a-z]+)\s*=", re.IGNORECASE)
# Not HTML pages: an image, JSON, CSV and PDF.
NOT_HTML = {
    "accounts:logo",
    "assessments:campaign_stats",
    "assessments:import_status",
    "reports:report_csv",
    "reports:report_pdf",
}
# Mail clients drop style sheets, and CSP does not apply to mail: emails keep inline styles.
EMAIL_TEMPLATES = "email"


def inline_attributes(html: str) -> list[str]:
    """The start tags that carry a style attribute or an event handler attribute."""
    return [tag for tag in TAG.findall(html) if INLINE.search(tag)]


def test_the_check_finds_what_it_looks_for():
    assert inline_attributes('<p>x</p><span style="width: 3%">') == ['<span style="width: 3%">']
    assert inline_attributes("<button\n onclick='go()'>") == ["<button\n onclick='go()'>"]
    assert inline_attributes('<p class="on">style= here</p><rect width="40%"/>') == []


def test_no_page_template_has_inline_styles_or_handlers():
    found = {}
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        if EMAIL_TEMPLATES in path.parts:
            continue
        if hits := inline_attributes(path.read_text()):
            found[str(path)] = hits
    assert found == {}


@pytest.fixture
def ids(firm_a, objects):  # noqa: F811 - the imported fixture
    """The permission table's ids, with working tokens and a report with numbers."""
    brand(firm_a)
    report = build(firm_a, campaign_with(firm_a, [("leadership", 5, 5), ("team_member", 6, 2)]))
    campaign, respondent, token = make_campaign(firm_a, open_link=True)
    with firm_context(firm_a.firm):
        report = Report.objects.get(pk=report.pk)
        respondent = Respondent.objects.select_related("campaign").get(pk=respondent.pk)
        campaign = respondent.campaign  # launched
        item = campaign.version.items.first()
        services.answer_save(firm=firm_a.firm, respondent=respondent, item_id=item.pk, value=4)
        done = Respondent.objects.filter(campaign=report.campaign).exclude(email="").first()
        done.result = selectors.personal_result(respondent=done)
        done.save(update_fields=["result"])
        done_token = services.respondent_token(done)
    tokens = {
        "assessments:survey": token,
        "assessments:survey_result": done_token,
        "assessments:unsubscribe": token,
        "assessments:survey_erase": done_token,
        "assessments:open_link": campaign.open_link_token,
    }
    base = dict(objects["a"], report_id=report.pk, campaign_id=report.campaign_id)
    return {name: dict(base, token=tokens.get(name, base["token"])) for name in URLS}


def test_every_page_renders_without_inline_styles_or_handlers(client, firm_a, ids):
    client.force_login(firm_a.owner)
    pages = {}
    for name, (_who, _needs, renders) in sorted(URLS.items()):
        if not renders or name in NOT_HTML:
            continue
        response = client.get(url(name, firm_a.firm.slug, ids[name]))
        # An unknown invitation token gets the friendly "link not valid" page (a 404).
        assert response.status_code == (404 if name == "accounts:invitation" else 200), name
        pages[name] = response.content.decode()
        assert inline_attributes(pages[name]) == [], name
    # The pages did show their bars and colours (as SVG attributes, not styles).
    assert re.search(r'data-meter="rate"', pages["assessments:campaign_detail"])
    assert re.search(r'<rect width="[1-9]\d*%"', pages["assessments:survey_result"])
    assert re.search(r'<rect id="progress-bar" width="[1-9]\d*%"', pages["assessments:survey"])
    for name in ("reports:campaign_report", "reports:portal_report"):
        assert re.search(r'<svg class="swatch"[^>]*><rect [^>]*fill="#', pages[name]), name
    assert "<style nonce=" in pages["accounts:dashboard"]
