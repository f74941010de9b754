"""Access helpers (Zulip's `access_*`): fetch one object of the firm for a viewer, or raise the
same `Http404` for a malformed id, a missing object, another firm's object and one the viewer
may not act on. `access` is the request's `FirmAccess` (`request.firm_access`); the firm scope
is active. Pages and API views use these; they never query the ORM themselves."""

from __future__ import annotations

from django.http import Http404

from pmo_platform.access import found_or_404, parse_id

from . import selectors, selectors_webhooks
from .models import (
    ApiKey,
    Branding,
    ClientExecutive,
    ClientOrganisation,
    Invitation,
    Membership,
    WebhookDelivery,
    WebhookEndpoint,
)
from .selectors import FirmAccess


def access_client(access: FirmAccess, client_id) -> ClientOrganisation:
    """A client organisation of the firm, for its staff."""
    if not access.is_member:
        raise Http404
    return found_or_404(selectors.client_get(firm=access.firm, pk=parse_id(client_id)))


def access_client_for_viewer(access: FirmAccess, client_id) -> ClientOrganisation:
    """A client organisation for staff, or for one of its own executives (archived clients are
    not theirs to see any more)."""
    pk = parse_id(client_id)
    if not access.can_view_client(pk):
        raise Http404
    client = found_or_404(selectors.client_get(firm=access.firm, pk=pk))
    if client.is_archived and not access.is_member:
        raise Http404
    return client


def access_executive_grant(
    access: FirmAccess, client: ClientOrganisation, grant_id
) -> ClientExecutive:
    """One executive's access to `client` (already accessed)."""
    return found_or_404(
        selectors.client_executive_get(firm=access.firm, client=client, pk=parse_id(grant_id))
    )


def access_invitation(access: FirmAccess, invitation_id) -> Invitation:
    """An invitation to act on: colleague invitations for owners and admins, executive ones for
    all staff."""
    if not access.is_member:
        raise Http404
    invitation = found_or_404(
        selectors.invitation_get(firm=access.firm, pk=parse_id(invitation_id))
    )
    if invitation.client_id is None and not access.can_manage_firm:
        raise Http404
    return invitation


def access_member(access: FirmAccess, member_id) -> Membership:
    """A membership of the firm, for its owners and admins."""
    if not access.can_manage_firm:
        raise Http404
    return found_or_404(selectors.member_get(firm=access.firm, pk=parse_id(member_id)))


def access_webhook_endpoint(access: FirmAccess, endpoint_id) -> WebhookEndpoint:
    """A webhook endpoint of the firm, for its owners and admins."""
    if not access.can_manage_firm:
        raise Http404
    return found_or_404(
        selectors_webhooks.webhook_endpoint_get(firm=access.firm, pk=parse_id(endpoint_id))
    )


def access_webhook_delivery(
    access: FirmAccess, endpoint: WebhookEndpoint, delivery_id
) -> WebhookDelivery:
    """One delivery of `endpoint` (already accessed)."""
    return found_or_404(
        selectors_webhooks.webhook_delivery_get(
            firm=access.firm, endpoint=endpoint, pk=parse_id(delivery_id)
        )
    )


def access_logo(firm, digest: str) -> Branding:
    """The firm's branding when `digest` names its current logo (the logo URL is public)."""
    branding = selectors.branding_for_firm(firm=firm)
    if not branding.has_logo or branding.logo_sha256 != digest:
        raise Http404
    return branding


class UnusableInvitation(Exception):
    """An invitation link that cannot be used: `reason` is "unknown" (no such link in this firm:
    404) or the invitation's `unusable_reason` ("used", "revoked", "expired": 410)."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation
        self.status = 404 if invitation is None else 410


def access_invitation_link(firm, token: str) -> Invitation:
    """The pending invitation behind an emailed link (the token is the credential)."""
    invitation = selectors.invitation_by_token(firm=firm, raw_token=token)
    if invitation is None:
        raise UnusableInvitation("unknown")
    if invitation.unusable_reason:
        raise UnusableInvitation(invitation.unusable_reason, invitation)
    return invitation


def access_api_key(access: FirmAccess, key_id) -> ApiKey:
    """One of the firm's API keys, for its owners and admins."""
    if not access.can_manage_firm:
        raise Http404
    return found_or_404(selectors.api_key_get(firm=access.firm, pk=parse_id(key_id)))
