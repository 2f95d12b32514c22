"""DidWebResolver with a fake fetcher: caching, TTLs, negative caching, checks on the answer."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from passport_vc.dids import DidWebResolver, UniversalResolver
from passport_vc.errors import (
    DID_RESOLUTION_ERROR,
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
    DidResolutionError,
    PassportVcError,
)

DID = "did:web:example.com:makers:alice"
URL = "https://example.com/makers/alice/did.json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFetcher:
    """Serves canned bodies by URL and counts the fetches."""

    def __init__(self, bodies: dict[str, bytes | Exception] | None = None) -> None:
        self.bodies = bodies or {}
        self.calls: list[tuple[str, float, int]] = []

    def __call__(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        self.calls.append((url, timeout, max_bytes))
        body = self.bodies.get(url)
        if body is None:
            raise DidResolutionError(f"{url}: HTTP 404")
        if isinstance(body, Exception):
            raise body
        return body


def document(did: str = DID, **extra: Any) -> bytes:
    return json.dumps({"id": did, "verificationMethod": [], **extra}).encode()


def test_resolves_and_caches() -> None:
    fetcher = CountingFetcher({URL: document()})
    resolver = DidWebResolver(fetcher, timeout=2.5, max_bytes=4096)
    assert resolver.resolve(DID)["id"] == DID
    assert resolver.resolve(DID)["id"] == DID
    assert fetcher.calls == [(URL, 2.5, 4096)]


def test_cache_expires_after_ttl() -> None:
    fetcher = CountingFetcher({URL: document()})
    clock = FakeClock()
    resolver = DidWebResolver(fetcher, cache_ttl=300, clock=clock)
    resolver.resolve(DID)
    clock.now += 299
    resolver.resolve(DID)
    assert len(fetcher.calls) == 1
    clock.now += 2
    resolver.resolve(DID)
    assert len(fetcher.calls) == 2


def test_failures_are_cached_briefly() -> None:
    fetcher = CountingFetcher()
    clock = FakeClock()
    resolver = DidWebResolver(fetcher, negative_cache_ttl=30, clock=clock)
    for _ in range(5):
        with pytest.raises(DidResolutionError, match="404"):
            resolver.resolve(DID)
    assert len(fetcher.calls) == 1
    fetcher.bodies[URL] = document()
    clock.now += 31
    assert resolver.resolve(DID)["id"] == DID
    assert len(fetcher.calls) == 2


def test_cached_documents_cannot_be_edited_by_callers() -> None:
    resolver = DidWebResolver(CountingFetcher({URL: document()}))
    resolver.resolve(DID)["id"] = "did:web:evil.example"
    assert resolver.resolve(DID)["id"] == DID


def test_cache_is_bounded() -> None:
    bodies: dict[str, bytes | Exception] = {
        f"https://example.com/{i}/did.json": document(f"did:web:example.com:{i}") for i in range(5)
    }
    fetcher = CountingFetcher(bodies)
    resolver = DidWebResolver(fetcher, max_cache_entries=2)
    for i in range(5):
        resolver.resolve(f"did:web:example.com:{i}")
    resolver.resolve("did:web:example.com:4")
    assert len(fetcher.calls) == 5
    resolver.resolve("did:web:example.com:0")
    assert len(fetcher.calls) == 6


def test_document_id_must_equal_the_did() -> None:
    fetcher = CountingFetcher({URL: document("did:web:example.com:makers:mallory")})
    with pytest.raises(DidResolutionError) as caught:
        DidWebResolver(fetcher).resolve(DID)
    assert caught.value.problem_type == INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID
    assert "mallory" in caught.value.detail


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b"not json", "not valid JSON"),
        (b'{"id": "x", "id": "y"}', "duplicate key"),
        (b'{"id": NaN}', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000, "not valid JSON"),
        (b"{}", "is not did:web"),
    ],
)
def test_bad_documents_are_refused(body: bytes, mentions: str) -> None:
    with pytest.raises(DidResolutionError) as caught:
        DidWebResolver(CountingFetcher({URL: body})).resolve(DID)
    assert mentions in caught.value.detail


def test_oversized_answer_from_a_custom_fetcher_is_refused() -> None:
    fetcher = CountingFetcher({URL: document(padding="x" * 5000)})
    with pytest.raises(DidResolutionError, match="over 1000 bytes"):
        DidWebResolver(fetcher, max_bytes=1000).resolve(DID)


def test_a_fetcher_bug_becomes_a_resolution_error() -> None:
    fetcher = CountingFetcher({URL: OSError("connection reset")})
    with pytest.raises(DidResolutionError, match="OSError"):
        DidWebResolver(fetcher).resolve(DID)


def test_allowlist() -> None:
    fetcher = CountingFetcher({URL: document()})
    resolver = DidWebResolver(fetcher, allowlist=["*.makers.net", "example.com"])
    assert resolver.resolve(DID)["id"] == DID
    with pytest.raises(DidResolutionError, match="not on the did:web allowlist"):
        resolver.resolve("did:web:evil.example")
    assert len(fetcher.calls) == 1


def test_ip_hosts_only_where_configured() -> None:
    fetcher = CountingFetcher()
    with pytest.raises(DidResolutionError, match="domain names, not IP addresses"):
        DidWebResolver(fetcher).resolve("did:web:203.0.113.7")
    assert fetcher.calls == []
    dev = DidWebResolver(fetcher, allow_http_for=["127.0.0.1"])
    assert dev.url_for("did:web:127.0.0.1%3A8000:m") == "http://127.0.0.1:8000/m/did.json"
    assert dev.url_for(DID) == URL


def test_single_fetch_for_concurrent_resolutions() -> None:
    release = threading.Event()

    class SlowFetcher(CountingFetcher):
        def __call__(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
            release.wait(5)
            return super().__call__(url, timeout=timeout, max_bytes=max_bytes)

    fetcher = SlowFetcher({URL: document()})
    resolver = DidWebResolver(fetcher)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(resolver.resolve(DID)["id"]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == [DID] * 8
    assert len(fetcher.calls) == 1


def test_universal_resolver_dispatch() -> None:
    fetcher = CountingFetcher({URL: document()})
    resolver = UniversalResolver(DidWebResolver(fetcher))
    assert resolver.resolve(DID)["id"] == DID
    did_key = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    assert resolver.resolve(did_key)["id"] == did_key
    assert resolver.methods == {"key", "web"}

    with pytest.raises(DidResolutionError, match="'example' is not supported"):
        resolver.resolve("did:example:123")
    offline = UniversalResolver()
    with pytest.raises(DidResolutionError, match="did:web resolution is not enabled"):
        offline.resolve(DID)
    assert fetcher.calls == [(URL, 5.0, 256 * 1024)]


def test_universal_resolver_extra_methods() -> None:
    class Example:
        def resolve(self, did: str) -> dict[str, Any]:
            if did.endswith("bug"):
                raise KeyError("oops")
            return {"id": did}

    resolver = UniversalResolver(extra={"example": Example()})
    assert resolver.resolve("did:example:123") == {"id": "did:example:123"}
    with pytest.raises(DidResolutionError, match="KeyError") as caught:
        resolver.resolve("did:example:bug")
    assert caught.value.problem_type == DID_RESOLUTION_ERROR
    with pytest.raises(ValueError):
        UniversalResolver(extra={"key": Example()})


def test_errors_are_passport_errors() -> None:
    resolver = UniversalResolver(DidWebResolver(CountingFetcher()))
    for did in ("", "did:", "did:web:", "did:web:a%3A", "did:key:zzz", "did:web:x.y#k"):
        with pytest.raises(PassportVcError):
            resolver.resolve(did)
