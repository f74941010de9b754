"""The client's address, for rate limits and logs.

Behind a reverse proxy `REMOTE_ADDR` is the proxy. `X-Forwarded-For` is believed only when the
immediate peer is one of `TRUSTED_PROXIES` (CIDRs): walking the header from the right, every
trusted hop is skipped and the first untrusted address is the client. From any other peer the
header is ignored, so a client cannot pick its own address by sending one.

`ClientAddressMiddleware` (first in MIDDLEWARE) puts the result in `REMOTE_ADDR`, which is what
django-ratelimit (`RATELIMIT_IP_META_KEY` points here too) and allauth's login, sign-up and
password-reset limits (`accounts.adapters.AccountAdapter.get_client_ip`) read."""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings

PEER_META_KEY = "PMO_PEER_ADDR"  # the address the TCP connection really came from


@cache
def _networks(cidrs: tuple[str, ...]):
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def trusted_networks():
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def resolve_client_ip(peer: str, forwarded_for: str, networks) -> str:
    """The client address given the peer's address and its `X-Forwarded-For` value."""
    current = _address(peer)
    if not _trusted(current, networks):
        return peer
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:  # garbage in the chain: the last trusted hop is all we know
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def client_ip(request) -> str:
    """The client's address for this request (computed once)."""
    meta = request.META
    if PEER_META_KEY not in meta:
        peer = meta.get("REMOTE_ADDR", "")
        meta[PEER_META_KEY] = peer
        meta["REMOTE_ADDR"] = resolve_client_ip(
            peer, meta.get("HTTP_X_FORWARDED_FOR", ""), trusted_networks()
        )
    return meta["REMOTE_ADDR"]


class ClientAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client_ip(request)
        return self.get_response(request)
