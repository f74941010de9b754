"""The assessments part of the API permission table (tests/api/test_api_permissions.py): the
instrument versions, campaigns and their respondents.

ROUTES: url name -> {"ids": url kwargs it needs, "methods": {method: scope it needs}}.
`ids(world)` creates one object of each kind the routes need in that firm and returns their ids."""

from assessments.models import InstrumentVersion
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person

ROUTES = {
    "api_instrument_versions": {"ids": [], "methods": {"get": "campaigns:read"}},
    "api_instrument_version": {"ids": ["version_id"], "methods": {"get": "campaigns:read"}},
    "api_campaigns": {"ids": [], "methods": {"get": "campaigns:read", "post": "campaigns:write"}},
    "api_campaign": {
        "ids": ["campaign_id"],
        "methods": {"get": "campaigns:read", "patch": "campaigns:write"},
    },
    "api_campaign_launch": {"ids": ["campaign_id"], "methods": {"post": "campaigns:write"}},
    "api_campaign_close": {"ids": ["campaign_id"], "methods": {"post": "campaigns:write"}},
    "api_campaign_remind": {"ids": ["campaign_id"], "methods": {"post": "campaigns:write"}},
    "api_campaign_stats": {"ids": ["campaign_id"], "methods": {"get": "campaigns:read"}},
    "api_campaign_respondents": {
        "ids": ["campaign_id"],
        "methods": {"get": "respondents:read", "post": "respondents:write"},
    },
    "api_campaign_respondent": {
        "ids": ["campaign_id", "respondent_id"],
        "methods": {"get": "respondents:read", "delete": "respondents:write"},
    },
    "api_campaign_respondent_resend": {
        "ids": ["campaign_id", "respondent_id"],
        "methods": {"post": "respondents:write"},
    },
}


def ids(world) -> dict:
    """A draft campaign of the firm's client with one invited person, and its version."""
    with firm_context(world.firm):
        version = InstrumentVersion.objects.get()
        campaign = new_campaign(world, version=version, name=f"{world.firm.name} API campaign")
        add_people(world, campaign, [person("api-r@example.com", "R", role_level="pmo")])
        return {
            "version_id": version.pk,
            "campaign_id": campaign.pk,
            "respondent_id": campaign.respondents.get().pk,
        }
