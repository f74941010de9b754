"""The responses and leads part of the API permission table (tests/api/test_api_permissions.py).

ROUTES: url name -> {"ids": url kwargs it needs, "methods": {method: scope it needs}}.
`ids(world)` creates one object of each kind the routes need in that firm and returns their ids."""

ROUTES = {
    "api_responses": {"ids": [], "methods": {"get": "responses:read"}},
    "api_campaign_responses": {"ids": ["campaign_id"], "methods": {"get": "responses:read"}},
    "api_leads": {"ids": [], "methods": {"get": "leads:read"}},
}


def ids(world) -> dict:
    """A non-anonymous campaign with one completed response (an anonymous one is a 403 for its
    own firm too), and an open-link lead."""
    from .response_helpers import open_campaign, open_link_response, submit

    campaign = open_campaign(world, anonymous=False, name="Routes", open_link=True)
    submit(world, campaign, f"routes@{world.firm.slug}.example", name="Routes")
    open_link_response(world, campaign, lead={"email": f"lead@{world.firm.slug}.example"})
    return {"campaign_id": campaign.pk}
