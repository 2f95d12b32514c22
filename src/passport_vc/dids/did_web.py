"""did:web (w3c-ccg did:web method, "Read (Resolve)"): DID <-> URL, and a caching resolver.

`did:web:example.com` is read from `https://example.com/.well-known/did.json`, and
`did:web:example.com:makers:alice` from `https://example.com/makers/alice/did.json`. The
resolver only decides *what* to fetch and whether the answer is acceptable; *how* to fetch
safely is the `Fetcher`'s job (`HttpsFetcher` by default).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from passport_vc.dids.failures import prefixed, rebuild
from passport_vc.dids.hosts import HostPatterns, is_ip_literal, is_valid_host
from passport_vc.dids.https_fetcher import HttpsFetcher
from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import (
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
    DidResolutionError,
    MalformedValueError,
    PassportVcError,
)

DEFAULT_MAX_BYTES = 256 * 1024
_HOST_PART = re.compile(r"([^%]+)(?:%3[aA]([1-9][0-9]{0,4}))?")
# Characters a did:web path segment may spell out literally; everything else is %-encoded.
_SEGMENT_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


class Fetcher(Protocol):
    """Fetches one URL. Must raise a PassportVcError (normally DidResolutionError) on failure."""

    def __call__(self, url: str, *, timeout: float, max_bytes: int) -> bytes: ...


@dataclass(frozen=True)
class _DidWebTarget:
    host: str  # lowercase
    port: int | None
    path: tuple[str, ...]  # segments exactly as written in the DID (still %-encoded)

    @property
    def effective_port(self) -> int:
        return self.port or 443

    def url(self, scheme: str = "https") -> str:
        authority = self.host if self.port is None else f"{self.host}:{self.port}"
        path = "/".join(self.path) + "/did.json" if self.path else ".well-known/did.json"
        return f"{scheme}://{authority}/{path}"


def _parse_did_web(did: object) -> _DidWebTarget:
    parsed = parse_did(did)
    if parsed.method != "web":
        raise DidResolutionError(f"{shorten(parsed.did)} is not a did:web DID")
    segments = parsed.method_specific_id.split(":")
    if any(not segment for segment in segments):
        raise DidResolutionError(f"did:web {shorten(parsed.did)} has an empty ':' segment")
    match = _HOST_PART.fullmatch(segments[0])
    if match is None:
        raise DidResolutionError(
            f"did:web {shorten(parsed.did)}: the host may only %-encode the port separator (%3A)"
        )
    host = match.group(1).lower()  # host names are case-insensitive; compare them in one case
    if not is_valid_host(host):
        raise DidResolutionError(
            f"did:web {shorten(parsed.did)}: {shorten(host)} is not a domain name or IPv4 address"
        )
    port = int(match.group(2)) if match.group(2) else None
    if port is not None and port > 65535:
        raise DidResolutionError(f"did:web {shorten(parsed.did)}: port {port} is out of range")
    for segment in segments[1:]:
        _check_path_segment(segment, parsed.did)
    return _DidWebTarget(host=host, port=port, path=tuple(segments[1:]))


def _check_path_segment(segment: str, did: str) -> None:
    decoded = unquote(segment, errors="replace")
    if decoded in (".", ".."):
        raise DidResolutionError(f"did:web {shorten(did)}: path segment {segment!r} is a traversal")
    # Encoded separators, '%' (double encoding) or controls could let a server that decodes
    # the path see a different one than we checked.
    if "\ufffd" in decoded or re.search(r"[/\\?#%\x00-\x1f\x7f]", decoded):
        raise DidResolutionError(
            f"did:web {shorten(did)}: path segment {shorten(segment)} encodes a character "
            "not allowed in a path segment"
        )


def did_web_to_url(did: str) -> str:
    """The HTTPS URL of the DID document of `did`; DidResolutionError if it is not a did:web."""
    return _parse_did_web(did).url("https")


def did_web_from_url(base_url: str, path_segments: Sequence[str] = ()) -> str:
    """The did:web of `base_url` + `path_segments`, e.g. for a makerspace hosted by this service.

    `did_web_from_url("http://127.0.0.1:8000", ["makerspaces", "fablab-cotonou"])` is
    `did:web:127.0.0.1%3A8000:makerspaces:fablab-cotonou`. The scheme is dropped (did:web is
    always read over HTTPS, except for hosts a resolver exempts for development) and so is an
    explicit `:443` on https.
    """
    if isinstance(path_segments, str) or not isinstance(base_url, str):
        raise MalformedValueError("did_web_from_url takes a URL string and a list of segments")
    try:
        split = urlsplit(base_url)
        port = split.port
    except ValueError as exc:
        raise MalformedValueError(f"malformed base URL {shorten(base_url)}: {exc}") from None
    host = split.hostname or ""
    if split.scheme not in ("http", "https") or not host:
        raise MalformedValueError(f"base URL {shorten(base_url)} must be an http(s) URL")
    if split.query or split.fragment or split.username is not None or split.password is not None:
        raise MalformedValueError(
            f"base URL {shorten(base_url)} must not carry a query, fragment or credentials"
        )
    if not is_valid_host(host):
        raise MalformedValueError(
            f"base URL {shorten(base_url)}: did:web needs a domain name or IPv4 address host"
        )
    if port == 443 and split.scheme == "https":
        port = None
    segments = [unquote(s) for s in split.path.split("/") if s] + list(path_segments)
    did = "did:web:" + host + (f"%3A{port}" if port is not None else "")
    for segment in segments:
        if not isinstance(segment, str) or not segment:
            raise MalformedValueError("did:web path segments must be non-empty strings")
        did += ":" + "".join(
            c if c in _SEGMENT_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in segment
        )
    try:
        _parse_did_web(did)
    except DidResolutionError as exc:
        raise MalformedValueError(exc.detail) from None
    return did


@dataclass
class _Outcome:
    """A finished resolution: a document, or the error to raise again (negative cache)."""

    expires: float
    document: dict[str, Any] | None = None
    error: tuple[type[PassportVcError], str, str] | None = None

    def result(self) -> dict[str, Any]:
        if self.error is not None:
            raise rebuild(*self.error)
        if self.document is None:
            raise DidResolutionError("internal error: empty resolution outcome")
        return copy.deepcopy(self.document)  # callers must not be able to edit the cache


@dataclass
class _InFlight:
    done: threading.Event = field(default_factory=threading.Event)
    outcome: _Outcome | None = None


class DidWebResolver:
    """Resolve did:web DIDs through a `Fetcher`, with an allowlist and a TTL cache.

    `allowlist`: `host[:port]` patterns (see HostPatterns) of the hosts that may be fetched;
    None means any public host. `allow_http_for`: development hosts read over plain HTTP;
    when no fetcher is given, the default HttpsFetcher also lets these hosts be private
    addresses (they are local by definition). Successful resolutions are cached for
    `cache_ttl` seconds, failures for `negative_cache_ttl` seconds, so a DID presented again and
    again costs one fetch. Concurrent resolutions of one DID share a single fetch.
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        allowlist: Collection[str] | None = None,
        timeout: float = 5.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        cache_ttl: float = 300.0,
        negative_cache_ttl: float = 30.0,
        max_cache_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        allow_http_for: Collection[str] = (),
    ) -> None:
        self._allowlist = None if allowlist is None else HostPatterns(allowlist)
        self._http_hosts = HostPatterns(allow_http_for)
        if fetcher is None:
            fetcher = HttpsFetcher(
                allow_http_for=allow_http_for, allow_private_hosts=allow_http_for
            )
        self._fetcher = fetcher
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._cache_ttl = cache_ttl
        self._negative_cache_ttl = negative_cache_ttl
        self._max_cache_entries = max_cache_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _Outcome] = OrderedDict()
        self._in_flight: dict[str, _InFlight] = {}

    def url_for(self, did: str) -> str:
        """The URL `resolve` fetches for `did` (http:// only for `allow_http_for` hosts)."""
        return self._target_url(did)[1]

    def resolve(self, did: str) -> dict[str, Any]:
        """The DID document of `did`, fetched or cached; DidResolutionError if unavailable."""
        _, url = self._target_url(did)
        with self._lock:
            cached = self._cache.get(did)
            if cached is not None and cached.expires > self._clock():
                self._cache.move_to_end(did)
                return cached.result()
            flight = self._in_flight.get(did)
            leader = flight is None
            if flight is None:
                flight = self._in_flight[did] = _InFlight()
        if not leader:
            # Another thread is fetching this DID: wait for its answer instead of fetching too.
            if not flight.done.wait(self._timeout + 1.0) or flight.outcome is None:
                raise DidResolutionError(f"the concurrent resolution of {did} did not finish")
            return flight.outcome.result()
        outcome: _Outcome | None = None
        try:
            outcome = self._fetch(did, url)
        finally:
            # Even on an unexpected exception, release the waiters and the in-flight slot.
            with self._lock:
                if outcome is not None:
                    self._store(did, outcome)
                flight.outcome = outcome
                del self._in_flight[did]
            flight.done.set()
        return outcome.result()

    def clear_cache(self) -> None:
        """Forget every cached document and failure."""
        with self._lock:
            self._cache.clear()

    def _target_url(self, did: str) -> tuple[_DidWebTarget, str]:
        target = _parse_did_web(did)
        port = target.effective_port
        listed = self._allowlist is not None and self._allowlist.matches(target.host, port)
        if self._allowlist is not None and not listed:
            raise DidResolutionError(f"{did}: host {target.host} is not on the did:web allowlist")
        plain_http = self._http_hosts.matches(target.host, port)
        if is_ip_literal(target.host) and not (plain_http or listed):
            # The did:web method forbids IP addresses; we allow them only where configured.
            raise DidResolutionError(f"{did}: did:web hosts must be domain names, not IP addresses")
        return target, target.url("http" if plain_http else "https")

    def _fetch(self, did: str, url: str) -> _Outcome:
        try:
            document = self._load(did, url)
        except PassportVcError as exc:
            expires = self._clock() + self._negative_cache_ttl
            return _Outcome(expires, error=(type(exc), exc.detail, exc.problem_type))
        return _Outcome(self._clock() + self._cache_ttl, document=document)

    def _load(self, did: str, url: str) -> dict[str, Any]:
        try:
            body = self._fetcher(url, timeout=self._timeout, max_bytes=self._max_bytes)
        except PassportVcError as exc:
            raise prefixed(exc, did) from None
        except Exception as exc:  # a custom fetcher's own error: report it, do not leak it
            raise DidResolutionError(
                f"fetching {url} for {did} failed: {type(exc).__name__}: {shorten(str(exc))}"
            ) from exc
        if not isinstance(body, bytes):
            raise DidResolutionError(f"fetching {url} for {did} returned no bytes")
        if len(body) > self._max_bytes:
            raise DidResolutionError(f"{url}: DID document over {self._max_bytes} bytes")
        document = parse_json_object(body, url)
        if document.get("id") != did:
            raise DidResolutionError(
                f"{url}: the document's id {shorten(document.get('id'))} is not {did}",
                problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
            )
        return document

    def _store(self, did: str, outcome: _Outcome) -> None:
        self._cache[did] = outcome
        self._cache.move_to_end(did)
        while len(self._cache) > self._max_cache_entries:
            self._cache.popitem(last=False)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two parsers could each pick a different value: refuse rather than guess.
            raise _DuplicateKeyError(f"duplicate key {shorten(key)}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(body: bytes, source: str) -> dict[str, Any]:
    """Strict JSON object parse (UTF-8, no duplicate keys, no NaN); DidResolutionError otherwise."""
    try:
        text = body.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise DidResolutionError(f"{source}: DID document is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise DidResolutionError(f"{source}: DID document is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DidResolutionError(f"{source}: DID document is not a JSON object")
    return value
