"""The reports part of the API permission table (tests/api/test_api_permissions.py).

ROUTES: url name -> {"ids": url kwargs it needs, "methods": {method: scope it needs}}.
`ids(world)` creates one object of each kind the routes need in that firm and returns their ids."""

ROUTES = {
    "api_reports": {"ids": [], "methods": {"get": "reports:read"}},
    "api_report": {"ids": ["report_id"], "methods": {"get": "reports:read"}},
    "api_report_pdf": {"ids": ["report_id"], "methods": {"get": "reports:read"}},
    "api_report_csv": {"ids": ["report_id"], "methods": {"get": "reports:read"}},
    "api_report_rebuild": {"ids": ["campaign_id"], "methods": {"post": "reports:write"}},
}


def ids(world) -> dict:
    """A closed campaign with five responses and its ready report."""
    from tests.reports.helpers import build, campaign_with

    campaign = campaign_with(world, [("pmo", 5, 4)], name="Routes report")
    report = build(world, campaign)
    return {"report_id": report.pk, "campaign_id": campaign.pk}
