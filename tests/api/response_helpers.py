"""Completed responses and leads made the way respondents make them (through the services), for
the responses, leads and reports API tests and their permission tables."""

from __future__ import annotations

import time

from assessments import services
from assessments.models import Answer, Campaign, Item, Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, new_campaign, person


def open_campaign(world, *, anonymous: bool, name: str = "Feed", open_link: bool = False):
    """A campaign taking answers (opened without sending invitations)."""
    with firm_context(world.firm):
        campaign = new_campaign(world, name=name, anonymous=anonymous, open_link=open_link)
        Campaign.objects.filter(pk=campaign.pk).update(status="open")
        campaign.refresh_from_db()
    return campaign


def _answer_all(world, respondent, value: int) -> None:
    Answer.objects.bulk_create(
        Answer(firm=world.firm, respondent=respondent, item=item, value=value)
        for item in Item.objects.filter(version_id=respondent.campaign.version_id)
    )


def submit(world, campaign, email: str, *, value: int = 4, name: str = "", **segments) -> int:
    """An invited respondent who answers every statement with `value` and submits; their id."""
    with firm_context(world.firm):
        add_people(world, campaign, [person(email, name, **segments)])
        respondent = Respondent.objects.select_related("campaign", "campaign__version").get(
            campaign=campaign, email=email
        )
        _answer_all(world, respondent, value)
        services.respondent_submit(firm=world.firm, respondent=respondent)
    return respondent.pk


def open_link_response(world, campaign, *, value: int = 3, lead: dict | None = None) -> int:
    """A visitor of the open link who answers and submits, and leaves their email with consent
    when `lead` gives it (email, name, followup_opt_in)."""
    with firm_context(world.firm):
        respondent, _token = services.open_link_start(
            firm=world.firm, campaign=campaign, language="en"
        )
        respondent = Respondent.objects.select_related("campaign", "campaign__version").get(
            pk=respondent.pk
        )
        _answer_all(world, respondent, value)
        services.respondent_submit(firm=world.firm, respondent=respondent)
        if lead is not None:
            respondent.refresh_from_db()
            services.lead_capture(
                firm=world.firm,
                respondent=respondent,
                email=lead["email"],
                name=lead.get("name", ""),
                consent=True,
                followup_opt_in=lead.get("followup_opt_in", False),
            )
    return respondent.pk


def feed(api, path: str, **params) -> tuple[list[dict], str | None]:
    """Every page of a feed from `params` on: the rows and the last cursor."""
    rows = []
    while True:
        response = api.get(path, {k: v for k, v in params.items() if v is not None})
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        params["cursor"] = body["next_cursor"]
        if not body["has_more"]:
            return rows, body["next_cursor"]


def sync(api, path: str, *, until, cursor=None, timeout: float = 30.0, **params):
    """Sync as a client does, from `cursor` on, until every id in `until` has been served: all
    rows served (repeats included), and the last cursor. A row is served once every write
    transaction older than it has finished, on the whole database server (other tests' too)."""
    rows, deadline = [], time.monotonic() + timeout
    while True:
        page, cursor = feed(api, path, cursor=cursor, **params)
        rows += page
        if set(until) <= {row["id"] for row in rows}:
            return rows, cursor
        assert time.monotonic() < deadline, (until, rows)
        time.sleep(0.05)
