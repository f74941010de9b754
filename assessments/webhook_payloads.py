"""The `data` of the webhook events the assessments app emits: plain dicts of ids, counts and
ISO timestamps, built from rows the emitting service already holds (no queries here).

Confidentiality (PRODUCT.md): for an anonymous campaign (the default) no event names, scores or
segments a respondent: `response.completed` carries the campaign and its counts only, and
`invitation.bounced` the respondent's id (which the firm gave them or pushed through the API)
with no email address or name. Identity, segment and scores travel only for campaigns created
as non-anonymous (respondents are told so) and in `lead.created`, for an open-link test-taker
who left their email with consent. See docs/api.md, "Webhooks"."""

from __future__ import annotations

from datetime import datetime

from .models import Campaign, Respondent


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def campaign_ref(campaign: Campaign) -> dict:
    return {
        "id": campaign.pk,
        "client_id": campaign.client_id,
        "name": campaign.name,
        "anonymous": campaign.anonymous,
    }


def _scores(result: dict | None) -> dict | None:
    if not result:
        return None
    return {
        "overall": result.get("overall"),
        "band": result.get("band"),
        "dimensions": {
            key: {"score": value.get("score"), "band": value.get("band")}
            for key, value in (result.get("dimensions") or {}).items()
        },
    }


def _identity(respondent: Respondent) -> dict:
    return {
        "id": respondent.pk,
        "email": respondent.email,
        "name": respondent.name,
        "language": respondent.language,
        "role_level": respondent.role_level,
        "department": respondent.department,
        "source": respondent.source,
    }


def response_completed(*, campaign: Campaign, respondent: Respondent, counts: dict) -> dict:
    """A response was submitted. `counts`: the campaign's invited, completed (invited ones),
    open-link completed and response rate in percent (`selectors.campaign_response_counts`)."""
    data = {"campaign": campaign_ref(campaign), "responses": counts}
    if not campaign.anonymous:
        data["respondent"] = _identity(respondent)
        data["completed_at"] = iso(respondent.completed_at)
        data["scores"] = _scores(respondent.result)
    return data


def lead_created(*, respondent: Respondent) -> dict:
    """An open-link test-taker left their email with consent: they are the firm's lead."""
    return {
        "campaign": campaign_ref(respondent.campaign),
        "lead": {
            "id": respondent.pk,
            "email": respondent.email,
            "name": respondent.name,
            "language": respondent.language,
            "consent_at": iso(respondent.consent_at),
            "followup_opt_in": respondent.followup_opt_in,
            "completed_at": iso(respondent.completed_at),
        },
        "scores": _scores(respondent.result),
    }


def campaign_changed(*, campaign: Campaign, counts: dict) -> dict:
    """`campaign.launched` and `campaign.closed`."""
    return {
        "campaign": campaign_ref(campaign)
        | {
            "status": campaign.status,
            "opens_at": iso(campaign.opens_at),
            "opened_at": iso(campaign.opened_at),
            "closes_at": iso(campaign.closes_at),
            "closed_at": iso(campaign.closed_at),
            "version_id": campaign.version_id,
        },
        "responses": counts,
    }


def invitation_bounced(*, respondent: Respondent) -> dict:
    campaign = respondent.campaign
    data = {
        "campaign": campaign_ref(campaign),
        "respondent": {"id": respondent.pk},
        "bounced_at": iso(respondent.bounced_at),
    }
    if not campaign.anonymous:
        data["respondent"] |= {"email": respondent.email, "name": respondent.name}
    return data
