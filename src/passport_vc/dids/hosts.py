"""Host names and `host[:port]` patterns, shared by the did:web resolver and its fetcher.

Hosts compare case-insensitively and only in one spelling: lowercase ASCII labels (IDNs in
punycode) or a dotted-quad IPv4 address. Spellings that some resolvers accept for an IP
address (`127.1`, `2130706433`, a trailing dot) are refused, so a pattern can never be
bypassed by writing the same host another way.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MAX_HOST_LENGTH = 253


def is_valid_host(host: str) -> bool:
    """True for a lowercase DNS name or a dotted-quad IPv4 address, the only hosts did:web takes."""
    if not host or len(host) > _MAX_HOST_LENGTH or host != host.lower():
        return False
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    if labels[-1].isdigit():
        # No top-level domain is numeric: this is an IPv4 address or a trick spelling of one.
        return is_ip_literal(host)
    return True


def is_ip_literal(host: str) -> bool:
    """True when `host` is an IPv4 or IPv6 address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Pattern:
    host: str
    wildcard: bool
    port: int | None

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.wildcard:
            return host.endswith("." + self.host)
        return host == self.host


def _normalize_ip(host: str) -> str:
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


class HostPatterns:
    """A set of `host`, `host:port`, `*.domain[:port]`, `[v6]` or `[v6]:port` patterns.

    `*.example.org` matches every subdomain of example.org but not example.org itself. A
    pattern without a port matches any port. Malformed patterns raise ValueError when the
    set is built, so a typo in configuration fails at start-up rather than never matching.
    """

    def __init__(self, patterns: Collection[str]) -> None:
        if isinstance(patterns, str):
            # A lone string would be iterated character by character: certainly a mistake.
            raise ValueError("host patterns must be a collection of strings, not one string")
        self._patterns = tuple(_parse_pattern(p) for p in patterns)

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, host: str, port: int) -> bool:
        """True when `host` (any case) on `port` matches one of the patterns."""
        normalized = _normalize_ip(host.lower())
        return any(p.matches(normalized, port) for p in self._patterns)


def _parse_pattern(pattern: str) -> _Pattern:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"host pattern {pattern!r} is not a non-empty string")
    text = pattern.lower()
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"host pattern {pattern!r}: malformed [IPv6] literal")
        port_text = rest[1:] if rest else None
    elif text.count(":") > 1:
        host, port_text = text, None  # a bare IPv6 address
    else:
        host, _, port_text = text.partition(":")
        port_text = port_text or None
    if port_text is not None:
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 0 < int(port_text) < 65536:
            raise ValueError(f"host pattern {pattern!r}: port must be 1-65535")
        port = int(port_text)
    wildcard = host.startswith("*.")
    if wildcard:
        host = host[2:]
    if ":" in host:
        if wildcard or not is_ip_literal(host):
            raise ValueError(f"host pattern {pattern!r}: not an IPv6 address")
        host = _normalize_ip(host)
    elif not is_valid_host(host) or (wildcard and is_ip_literal(host)):
        raise ValueError(f"host pattern {pattern!r}: not a host name or IPv4 address")
    return _Pattern(host=host, wildcard=wildcard, port=port)
