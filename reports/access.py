"""Access helpers for report pages (Zulip's `access_stream_by_id`): one place per kind of object
that turns an id from a URL (or an API) into the object the viewer may see, or raises `Http404`.
Missing and forbidden look the same. Each helper parses the id (`pmo_platform.access.parse_id`),
checks the viewer's access and fetches inside the active firm scope. `access` is
`accounts.selectors.FirmAccess` (`request.firm_access`). The client itself comes from
`accounts.access.access_client_for_viewer`."""

from __future__ import annotations

from django.http import Http404

from accounts.access import access_client_for_viewer
from accounts.models import ClientOrganisation
from accounts.selectors import FirmAccess
from assessments.access import access_campaign
from assessments.models import Campaign
from pmo_platform.access import found_or_404, parse_id

from . import selectors
from .models import Report


def access_campaign_report(access: FirmAccess, campaign_id: int | str) -> Campaign:
    """A campaign of the firm, for its staff (the consultant's report page and rebuild)."""
    return access_campaign(access, campaign_id)


def access_portal_report(
    access: FirmAccess, client_id: int | str, report_id: int | str
) -> tuple[ClientOrganisation, Report]:
    """A report as the client sees it: the client (as `access_client_for_viewer`) and one of
    its reports the portal shows, the final snapshot of a closed campaign."""
    pk = parse_id(report_id)
    client = access_client_for_viewer(access, client_id)
    return client, found_or_404(selectors.report_for_client(firm=access.firm, client=client, pk=pk))


def access_portal_campaign(
    access: FirmAccess, client_id: int | str, campaign_id: int | str
) -> tuple[ClientOrganisation, Report]:
    """The report of one of the client's campaigns as the portal shows it now: its newest
    snapshot, whichever that is (the link in a report-ready email stays good after a
    rebuild)."""
    pk = parse_id(campaign_id)
    client = access_client_for_viewer(access, client_id)
    return client, found_or_404(
        selectors.campaign_report_for_client(firm=access.firm, client=client, campaign_id=pk)
    )


def access_report(access: FirmAccess, report_id: int | str) -> Report:
    """Any snapshot of the firm, for its staff (and API keys): the consultant sees every
    snapshot of their campaigns; clients only what `access_portal_report` gives."""
    pk = parse_id(report_id)
    if access is None or access.firm is None or not access.is_member:
        raise Http404
    return found_or_404(selectors.report_get(firm=access.firm, pk=pk))
