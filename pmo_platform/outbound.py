"""Outbound HTTP to addresses that users chose (webhook endpoints), with an SSRF guard.

`check_url` is the boundary check (what a form or API call may store): http(s) only, https
unless private targets are allowed, a host, no credentials, a bounded length. `post` sends one
request:

- the host is resolved once; every address it resolves to must be public (not private,
  loopback, link-local, multicast, reserved, unspecified, shared or documentation space, IPv4
  and IPv6, IPv4-mapped IPv6 judged as the IPv4 address), else nothing is sent;
- the connection goes to that checked address itself (no second lookup a DNS rebinding could
  answer differently), while the `Host` header and the TLS server name (SNI, certificate check)
  stay the URL's host name;
- redirects are not followed (a 3xx is just a status);
- the whole exchange has one deadline (name resolution included): a watchdog shuts the socket
  down when it passes, so a server that drips bytes cannot hold a worker longer than the
  timeout.

`allow_private=True` (development and tests: `WEBHOOKS_ALLOW_PRIVATE_TARGETS`) admits loopback and
private addresses; link-local (cloud metadata), multicast and unspecified addresses stay refused.
This layer knows no app; callers record what `post` returns."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

# Error codes of a request that got no HTTP status.
INVALID_URL = "invalid_url"
DNS = "dns"
ADDRESS_REFUSED = "address_refused"
TIMEOUT = "timeout"
CONNECTION = "connection"
TLS = "tls"
PROTOCOL = "protocol"

EXCERPT_BYTES = 1024
USER_AGENT = "PMO-Platform-Webhooks/1.0"


class Refused(Exception):
    """The URL or its address may not be used; `code` says why."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL, lower case, IDNA-encoded; no brackets for IPv6
    port: int
    path: str  # path and query, at least "/"


@dataclass
class Response:
    status: int | None
    excerpt: str
    duration_ms: int
    error_code: str = ""
    error: str = ""


def check_url(url: str, *, allow_private: bool, max_length: int) -> Target:
    """The parsed target of a URL a user gave, or `Refused` with a code: INVALID_URL (length,
    scheme, no host, credentials, bad port, whitespace or control characters), ADDRESS_REFUSED
    (an IP literal or `localhost` that is not public while private targets are refused). Names
    are resolved only when sending (`post`)."""
    if not isinstance(url, str) or not url or len(url) > max_length:
        raise Refused(INVALID_URL, "empty or too long")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        raise Refused(INVALID_URL, "whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(INVALID_URL, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (scheme == "http" and not allow_private):
        raise Refused(INVALID_URL, "https is required")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused(INVALID_URL, "credentials in the URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(INVALID_URL, "no host")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Refused(INVALID_URL, "host name") from None
    if port == 0:
        raise Refused(INVALID_URL, "port")
    literal = _ip(host)
    if literal is not None and not address_allowed(literal, allow_private=allow_private):
        raise Refused(ADDRESS_REFUSED, host)
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise Refused(ADDRESS_REFUSED, host)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _ip(value: str):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def address_allowed(address, *, allow_private: bool) -> bool:
    """Whether a request may go to `address` (an `ipaddress` object or a string)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
        elif ip.teredo is not None:
            ip = ip.teredo[1]
    if ip.is_multicast or ip.is_unspecified or ip.is_link_local:
        return False
    if ip.is_global:
        return True
    return allow_private and (ip.is_loopback or ip.is_private)


def _lookup(host: str, port: int, timeout: float) -> list[str]:
    """getaddrinfo in a helper thread, so a slow resolver counts against the deadline."""
    found: dict = {}

    def run():
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise Refused(TIMEOUT, "name resolution timed out")
    if "error" in found:
        raise Refused(DNS, str(found["error"]))
    return list(dict.fromkeys(info[4][0] for info in found["infos"]))


def resolve(target: Target, *, allow_private: bool, timeout: float = 5.0) -> str:
    """The one address to connect to: the host's first address, after checking that every
    address it resolves to is allowed (a name that also points inside is refused outright)."""
    literal = _ip(target.host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        addresses = _lookup(target.host, target.port, timeout)
        if not addresses:
            raise Refused(DNS, "no address")
    for address in addresses:
        if not address_allowed(address.split("%")[0], allow_private=allow_private):
            raise Refused(ADDRESS_REFUSED, f"{target.host} resolves to {address}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address; `Host` stays the URL's host."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address; SNI and the certificate check use the URL's host."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def sanitise_excerpt(raw: bytes, limit: int = EXCERPT_BYTES) -> str:
    """At most `limit` characters of text from a response body: decoded leniently, control and
    format characters (other than line breaks and tabs) replaced by spaces."""
    text = raw[:limit].decode("utf-8", errors="replace")
    cleaned = "".join(
        ch if ch in "\n\t" or not unicodedata.category(ch).startswith("C") else " " for ch in text
    )
    return cleaned[:limit]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    max_length: int = 2000,
) -> Response:
    """POST `body` to `url` once. Never raises for a network failure: the `Response` has a
    status (any, including 3xx) or an error code."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = check_url(url, allow_private=allow_private, max_length=max_length)
        address = resolve(target, allow_private=allow_private, timeout=timeout)
    except Refused as exc:
        return Response(None, "", elapsed(), exc.code, str(exc))
    remaining = max(0.1, timeout - (time.monotonic() - started))
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, address=address, timeout=remaining)
    expired = threading.Event()

    def watchdog():
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(remaining, watchdog)
    timer.daemon = True
    timer.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "User-Agent": USER_AGENT,
                "Content-Type": "application/json",
                **headers,
            },
        )
        response = connection.getresponse()
        raw = response.read(EXCERPT_BYTES)
        status = response.status
    except ssl.SSLError as exc:
        return _failure(TIMEOUT if expired.is_set() else TLS, exc, elapsed())
    except TimeoutError as exc:
        return _failure(TIMEOUT, exc, elapsed())
    except (OSError, http.client.HTTPException) as exc:
        code = TIMEOUT if expired.is_set() else _network_code(exc)
        return _failure(code, exc, elapsed())
    finally:
        timer.cancel()
        connection.close()
    if expired.is_set():
        return Response(None, "", elapsed(), TIMEOUT, "deadline passed")
    return Response(status, sanitise_excerpt(raw), elapsed())


def _network_code(exc: BaseException) -> str:
    return PROTOCOL if isinstance(exc, http.client.HTTPException) else CONNECTION


def _failure(code: str, exc: BaseException, duration_ms: int) -> Response:
    return Response(None, "", duration_ms, code, f"{type(exc).__name__}: {exc}"[:500])
