"""Access helpers for report pages (Zulip's `access_stream_by_id`): one place per kind of object
that turns an id from a URL (or an API) into the object the viewer may see, or raises `Http404`.
Missing and forbidden look the same. Each helper parses the id (a URL string or an int; anything
else, or an id out of range, is a 404), checks the viewer's access and fetches inside the active
firm scope. `access` is `accounts.selectors.FirmAccess` (`request.firm_access`).

`client_viewer` is the role decorator of the portal views: the firm's staff and client
executives; which client an executive may see is the access helper's check."""

from __future__ import annotations

from functools import wraps

from django.http import Http404

from accounts.models import ClientOrganisation
from accounts.permissions import STAFF
from accounts.selectors import FirmAccess, client_get
from assessments.models import Campaign
from assessments.selectors import campaign_get

from . import selectors
from .models import Report

# Primary keys are 64-bit (BigAutoField).
_MAX_ID = 2**63 - 1


def parse_id(value: int | str) -> int:
    """A positive id from a URL string or an int, else a 404."""
    if isinstance(value, bool):
        raise Http404
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(_MAX_ID))):
            raise Http404
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= _MAX_ID:
        raise Http404
    return value


def client_viewer(view):
    """Portal views: staff and client executives (whose own client the helpers check)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access = getattr(request, "firm_access", None)
        if access is None or not access.can_enter:
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.client_viewer = True
    return wrapper


def access_campaign_report(access: FirmAccess, campaign_id: int | str) -> Campaign:
    """A campaign of the firm, for its staff (the consultant's report page and rebuild)."""
    pk = parse_id(campaign_id)
    if access.role not in STAFF:
        raise Http404
    campaign = campaign_get(firm=access.firm, pk=pk)
    if campaign is None:
        raise Http404
    return campaign


def access_client_for_viewer(access: FirmAccess, client_id: int | str) -> ClientOrganisation:
    """A client organisation for the portal: any client for the firm's staff, archived ones
    too; for a client executive only their own client, and only while it is not archived."""
    pk = parse_id(client_id)
    if not access.can_view_client(pk):
        raise Http404
    client = client_get(firm=access.firm, pk=pk)
    if client is None or (client.is_archived and not access.is_member):
        raise Http404
    return client


def access_portal_report(
    access: FirmAccess, client_id: int | str, report_id: int | str
) -> tuple[ClientOrganisation, Report]:
    """A report as the client sees it: the client (as `access_client_for_viewer`) and one of
    its reports the portal shows, the final snapshot of a closed campaign."""
    pk = parse_id(report_id)
    client = access_client_for_viewer(access, client_id)
    report = selectors.report_for_client(firm=access.firm, client=client, pk=pk)
    if report is None:
        raise Http404
    return client, report
