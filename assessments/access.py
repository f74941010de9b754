"""Access helpers (Zulip's `access_stream_by_id` style): one place per kind of object that turns
an id from a URL or a request into the object the current user may act on.

Each helper parses the id (`pmo_platform.access.parse_id`: a positive 64-bit integer from a URL
string or an int; anything else is refused), fetches inside the active firm scope, and raises
`Http404` for missing and forbidden alike, so a page never tells another firm's object from one
that does not exist. `access` is the request's `accounts.selectors.FirmAccess`. Views and the
coming API views use these; neither queries nor checks for None themselves.

The respondent's pages have no account: their token is the credential. `access_respondent_by_
token` and `access_campaign_by_open_token` raise `UnknownLink` (an Http404), which the public
views turn into the friendly "this link is not valid" page."""

from __future__ import annotations

from django.http import Http404

from accounts.models import ClientOrganisation, Firm
from accounts.selectors import FirmAccess, client_get
from pmo_platform.access import id_or_none, parse_id

from . import selectors
from .models import (
    Advice,
    Campaign,
    Dimension,
    InstrumentVersion,
    Item,
    Respondent,
    RespondentImport,
)


class UnknownLink(Http404):
    """A respondent or open-link token that leads nowhere (missing, tampered, another firm's)."""


def _require_staff(access: FirmAccess) -> None:
    """Campaigns and the instrument are the firm's own: its members only (owner, admin,
    consultant). Client executives and visitors get the same 404 as for a missing object."""
    if access is None or access.firm is None or not access.is_member:
        raise Http404


def _found(obj, access: FirmAccess):
    # The active scope filters already (both walls); comparing the firm keeps it explicit.
    if obj is None or obj.firm_id != access.firm.pk:
        raise Http404
    return obj


def _access(access: FirmAccess, value, get):
    pk = parse_id(value)
    _require_staff(access)
    return _found(get(firm=access.firm, pk=pk), access)


def access_campaign(access: FirmAccess, campaign_id) -> Campaign:
    return _access(access, campaign_id, selectors.campaign_get)


def access_version(access: FirmAccess, version_id) -> InstrumentVersion:
    return _access(access, version_id, selectors.version_get)


def access_item(access: FirmAccess, item_id) -> Item:
    return _access(access, item_id, selectors.item_get)


def access_dimension(access: FirmAccess, dimension_id) -> Dimension:
    return _access(access, dimension_id, selectors.dimension_get)


def access_advice(access: FirmAccess, advice_id) -> Advice:
    return _access(access, advice_id, selectors.advice_get)


def access_respondent(access: FirmAccess, campaign: Campaign, respondent_id) -> Respondent:
    """An invited respondent of `campaign` (which the caller got from `access_campaign`)."""
    pk = parse_id(respondent_id)
    _require_staff(access)
    return _found(selectors.campaign_respondent_get(campaign=campaign, pk=pk), access)


def access_respondent_import(access: FirmAccess, campaign: Campaign, import_id) -> RespondentImport:
    """A CSV import of `campaign` (which the caller got from `access_campaign`)."""
    pk = parse_id(import_id)
    _require_staff(access)
    return _found(selectors.respondent_import_get(campaign=campaign, pk=pk), access)


def client_filter(access: FirmAccess, client_id) -> ClientOrganisation | None:
    """The client a list is narrowed to (`?client=`): None when the id is absent, malformed or
    not one of the firm's clients, so the list shows everything instead."""
    pk = id_or_none(client_id)
    return None if pk is None else client_get(firm=access.firm, pk=pk)


def access_respondent_by_token(firm: Firm, token: str) -> Respondent:
    respondent = selectors.respondent_by_token(firm=firm, token=token)
    if respondent is None or respondent.firm_id != firm.pk:
        raise UnknownLink
    return respondent


def access_respondent_for_answer(firm: Firm, token: str) -> Respondent:
    """`access_respondent_by_token` for the autosave: the same check, a narrower read."""
    respondent = selectors.respondent_for_answer(firm=firm, token=token)
    if respondent is None or respondent.firm_id != firm.pk:
        raise UnknownLink
    return respondent


def access_campaign_by_open_token(firm: Firm, token: str) -> Campaign:
    campaign = selectors.campaign_by_open_token(firm=firm, token=token)
    if campaign is None or campaign.firm_id != firm.pk:
        raise UnknownLink
    return campaign
