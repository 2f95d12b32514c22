"""The default did:web fetcher: one GET over HTTPS, built to resist server-side request forgery.

A DID in a credential is attacker-chosen, and resolving it makes this process send a request.
So the fetcher:

* speaks HTTPS only (plain HTTP only for hosts listed in `allow_http_for`, for development);
* never follows a redirect: any 3xx is an error (a redirect could point anywhere, including
  at an internal address, after our checks ran);
* resolves the host once, refuses private, loopback, link-local, multicast, reserved,
  unspecified and otherwise non-global addresses (IPv4 and IPv6, looking inside IPv4-mapped,
  6to4 and NAT64 addresses), then connects to exactly the address it checked, with the real
  host name in the TLS SNI, certificate check and Host header. A DNS answer that changes
  between the check and the connection (DNS rebinding) therefore cannot redirect us;
* bounds the whole exchange by one deadline (DNS, connect, TLS, headers and body), reads at
  most `max_bytes` + 1 bytes, and requires a JSON media type.

It uses http.client rather than urllib.request: urllib follows redirects, honours proxy
environment variables and resolves the host itself, all of which would undo the checks above.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from passport_vc.dids.hosts import HostPatterns, is_ip_literal
from passport_vc.dids.syntax import shorten
from passport_vc.errors import DidResolutionError

ACCEPTED_MEDIA_TYPES = frozenset(
    {"application/did+json", "application/did+ld+json", "application/json"}
)
_ACCEPT_HEADER = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address

HostResolver = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def system_resolve(host: str, port: int) -> list[str]:
    """Every IPv4/IPv6 address the system resolver gives for `host`, in its order, deduplicated."""
    addresses: list[str] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family in (socket.AF_INET, socket.AF_INET6):
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
    return addresses


def _refusal(address: IPAddress) -> str | None:
    """Why `address` must not be contacted, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            # The packets end up at the embedded IPv4 address: judge that one.
            reason = _refusal(embedded)
            return f"it embeds {embedded}, {reason}" if reason else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a globally routable address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def is_localhost_name(host: str) -> bool:
    """True for `localhost` and its subdomains (RFC 6761 §6.3), in any case, with or without
    a trailing dot: names that always mean this machine."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_address(ip: str) -> IPAddress:
    """Parse `ip` and return it if it is a public unicast address; else raise DidResolutionError."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise DidResolutionError(f"{shorten(ip)} is not an IP address") from None
    reason = _refusal(address)
    if reason is not None:
        raise DidResolutionError(f"refusing to connect to {address}: {reason}")
    return address


def is_public_address(ip: str) -> bool:
    """True when `check_address` would accept `ip`."""
    try:
        check_address(ip)
    except DidResolutionError:
        return False
    return True


@dataclass(frozen=True)
class _Target:
    url: str
    tls: bool
    host: str
    port: int
    path: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection over a socket already connected to the checked address."""

    def __init__(self, host: str, port: int, sock: socket.socket, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._connected = sock

    def connect(self) -> None:
        self.sock = self._connected


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS over the pinned socket; SNI and the certificate check use the real host name."""

    default_port = 443

    def __init__(
        self, host: str, port: int, sock: socket.socket, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, sock, timeout)
        self._context = context

    def connect(self) -> None:
        tls = self._context.wrap_socket(
            self._connected, server_hostname=self.host, do_handshake_on_connect=False
        )
        # Publish the socket before the handshake so the deadline watchdog can cut it too.
        self.sock = tls
        tls.do_handshake()


class _Watchdog:
    """Shuts the connection's socket down when the deadline passes, whatever it is blocked on.

    Socket timeouts bound each read, not the exchange: a server sending one byte per second
    could otherwise hold us for as long as it likes.
    """

    def __init__(self, conn: _PinnedHTTPConnection, raw: socket.socket, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._raw = raw
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock or self._raw
        with contextlib.suppress(OSError):
            # socket.socket.shutdown, not SSLSocket.shutdown: only wake the blocked reader,
            # do not tear the TLS object down under its feet.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class HttpsFetcher:
    """Fetch a did:web document: HTTPS, no redirects, public addresses only, bounded time and size.

    `allow_http_for` and `allow_private_hosts` are `host[:port]` patterns (see HostPatterns)
    for local development and tests only: the first permits plain HTTP, the second skips the
    address checks for hosts whose *name* matches. `resolve_host` replaces the system resolver
    (tests); `ssl_context` replaces the default verifying context (tests, private CAs).
    """

    def __init__(
        self,
        *,
        allow_http_for: Collection[str] = (),
        allow_private_hosts: Collection[str] = (),
        resolve_host: HostResolver = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "passport-vc did:web resolver",
    ) -> None:
        self._http_hosts = HostPatterns(allow_http_for)
        self._private_hosts = HostPatterns(allow_private_hosts)
        self._resolve_host = resolve_host
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._user_agent = user_agent

    def __call__(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        """GET `url` and return its body; DidResolutionError for anything out of bounds."""
        if not timeout > 0 or max_bytes < 0:
            raise DidResolutionError("fetch needs a positive timeout and a non-negative size cap")
        deadline = time.monotonic() + timeout
        target = self._target(url)
        addresses = self._addresses(target, timeout)
        return self._get(target, addresses, deadline, max_bytes)

    def _target(self, url: str) -> _Target:
        if not isinstance(url, str) or not url.isascii() or re.search(r"[\x00-\x20\x7f]", url):
            raise DidResolutionError(f"{shorten(url)} is not a plain ASCII URL")
        try:
            split = urlsplit(url)
            port = split.port
        except ValueError as exc:
            raise DidResolutionError(f"malformed URL {shorten(url)}: {exc}") from None
        host = split.hostname
        if not host:
            raise DidResolutionError(f"URL {shorten(url)} has no host")
        if split.username is not None or split.password is not None:
            raise DidResolutionError(f"URL {shorten(url)} carries credentials; refused")
        scheme = split.scheme.lower()
        if scheme == "https":
            port = port or 443
        elif scheme == "http":
            port = port or 80
            if not self._http_hosts.matches(host, port):
                raise DidResolutionError(
                    f"refusing plain HTTP to {host}: did:web is resolved over HTTPS only "
                    "(allow_http_for lists the development hosts exempted from this)"
                )
        else:
            raise DidResolutionError(f"URL {shorten(url)}: only https is fetched")
        path = (split.path or "/") + (f"?{split.query}" if split.query else "")
        return _Target(url=url, tls=scheme == "https", host=host, port=port, path=path)

    def _addresses(self, target: _Target, timeout: float) -> list[str]:
        private_allowed = self._private_hosts.matches(target.host, target.port)
        if not private_allowed and is_localhost_name(target.host):
            # Not even looked up: the name means this machine whatever a resolver answers.
            raise DidResolutionError(
                f"refusing to fetch from {target.host}: localhost names are loopback (RFC 6761)"
            )
        if is_ip_literal(target.host):
            addresses = [target.host]
        else:
            addresses = _resolve_within(self._resolve_host, target.host, target.port, timeout)
        if not addresses:
            raise DidResolutionError(f"host {target.host} has no address")
        if not private_allowed:
            for ip in addresses:
                # Every answer must be public: a mixed answer is how rebinding attacks start.
                try:
                    reason = _refusal(ipaddress.ip_address(ip))
                except ValueError:
                    reason = "not an IP address"
                if reason is not None:
                    raise DidResolutionError(
                        f"refusing to fetch from {target.host}: it resolves to {ip}, {reason}"
                    )
        return addresses

    def _get(self, target: _Target, addresses: list[str], deadline: float, max_bytes: int) -> bytes:
        raw = _connect_first(addresses, target, deadline)
        remaining = deadline - time.monotonic()
        conn: _PinnedHTTPConnection
        if target.tls:
            conn = _PinnedHTTPSConnection(
                target.host, target.port, raw, remaining, self._ssl_context
            )
        else:
            conn = _PinnedHTTPConnection(target.host, target.port, raw, remaining)
        watchdog = _Watchdog(conn, raw, remaining)
        timed_out = DidResolutionError(f"{target.url}: timed out")
        try:
            with watchdog:
                body = self._exchange(conn, target, max_bytes)
        except DidResolutionError:
            # A cut connection can look like a short (but complete) answer: say what happened.
            if watchdog.fired:
                raise timed_out from None
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if watchdog.fired:
                raise timed_out from None
            raise DidResolutionError(f"{target.url}: {type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
            raw.close()
        if watchdog.fired:
            # The body may have been cut short by the shutdown: never return it.
            raise timed_out
        return body

    def _exchange(self, conn: _PinnedHTTPConnection, target: _Target, max_bytes: int) -> bytes:
        conn.request(
            "GET",
            target.path,
            headers={
                "Accept": _ACCEPT_HEADER,
                "Accept-Encoding": "identity",
                "User-Agent": self._user_agent,
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        url = target.url
        if 300 <= response.status < 400:
            location = shorten(response.getheader("Location", ""))
            raise DidResolutionError(
                f"{url} answered HTTP {response.status} (to {location}); "
                "redirects are never followed"
            )
        if response.status != 200:
            raise DidResolutionError(f"{url} answered HTTP {response.status}")
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if media_type not in ACCEPTED_MEDIA_TYPES:
            raise DidResolutionError(
                f"{url} answered with content type {shorten(media_type)}, "
                f"not one of {', '.join(sorted(ACCEPTED_MEDIA_TYPES))}"
            )
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise DidResolutionError(f"{url} answered with content encoding {shorten(encoding)}")
        declared = response.getheader("Content-Length")
        if (
            declared is not None
            and re.fullmatch(r"[0-9]+", declared.strip())
            and int(declared) > max_bytes
        ):
            raise DidResolutionError(f"{url} declares {int(declared)} bytes, over {max_bytes}")
        body = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise DidResolutionError(f"{url} sent more than {max_bytes} bytes")
        return body


def _resolve_within(resolve: HostResolver, host: str, port: int, timeout: float) -> list[str]:
    """Run the (blocking, timeout-less) resolver in a helper thread and wait at most `timeout`."""
    result: list[str] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.extend(resolve(host, port))
        except Exception as exc:  # reported below, in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        # The thread finishes on its own when getaddrinfo gives up; nothing waits for it.
        raise DidResolutionError(f"resolving host {host} timed out")
    if failure:
        raise DidResolutionError(f"cannot resolve host {host}: {failure[0]}")
    return result


def _connect_first(addresses: list[str], target: _Target, deadline: float) -> socket.socket:
    """TCP-connect to the first reachable checked address; the host name is never re-resolved."""
    errors: list[str] = []
    for ip in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            return socket.create_connection((ip, target.port), timeout=remaining)
        except OSError as exc:
            errors.append(f"{ip}: {exc}")
    if not errors:
        raise DidResolutionError(f"{target.url}: timed out")
    raise DidResolutionError(f"cannot connect to {target.host}: {'; '.join(errors)}")
