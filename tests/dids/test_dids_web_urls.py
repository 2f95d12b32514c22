"""did:web <-> URL mapping and host patterns: the table, and the inputs that must be refused."""

from __future__ import annotations

import pytest

from passport_vc.dids import did_web_from_url, did_web_to_url
from passport_vc.dids.hosts import HostPatterns, is_valid_host
from passport_vc.errors import DidResolutionError, MalformedValueError


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:makers:alice", "https://example.com/makers/alice/did.json"),
        ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:localhost%3a8443:a", "https://localhost:8443/a/did.json"),
        ("did:web:Example.COM:Makers:Alice", "https://example.com/Makers/Alice/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:xn--bcher-kva.example", "https://xn--bcher-kva.example/.well-known/did.json"),
        ("did:web:example.com:a%20b", "https://example.com/a%20b/did.json"),
        ("did:web:example.com:a.b:_c-d", "https://example.com/a.b/_c-d/did.json"),
        ("did:web:127.0.0.1%3A8000:m", "https://127.0.0.1:8000/m/did.json"),
    ],
)
def test_did_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    ("did", "mentions"),
    [
        ("did:key:z6Mk", "not a did:web"),
        ("did:web:", "method-specific"),
        ("did:web:example.com:", "empty"),
        ("did:web:example.com::alice", "empty"),
        ("did:web::example.com", "empty"),
        ("did:web:example.com:..:admin", "traversal"),
        ("did:web:example.com:.", "traversal"),
        ("did:web:example.com:%2e%2e:admin", "traversal"),
        ("did:web:example.com:a%2Fb", "not allowed"),
        ("did:web:example.com:a%5Cb", "not allowed"),
        ("did:web:example.com:a%252e", "not allowed"),
        ("did:web:example.com:a%00", "not allowed"),
        ("did:web:example.com:a%ff", "not allowed"),
        ("did:web:example.com/path", "path"),
        ("did:web:example.com?x=1", "query"),
        ("did:web:example.com#key-1", "fragment"),
        ("did:web:user@example.com", "method-specific"),
        ("did:web:exa mple.com", "method-specific"),
        ("did:web:example.com%2Fevil", "port separator"),
        ("did:web:example.com%3A", "port separator"),
        ("did:web:example.com%3A0", "port separator"),
        ("did:web:example.com%3A99999", "out of range"),
        ("did:web:example.com%3Aabc", "port separator"),
        ("did:web:example.com.", "not a domain name"),
        ("did:web:-example.com", "not a domain name"),
        ("did:web:127.1", "not a domain name"),
        ("did:web:2130706433", "not a domain name"),
        ("did:web:01.02.03.04", "not a domain name"),
        ("did:web:" + "a" * 64 + ".com", "not a domain name"),
        ("did:WEB:example.com", "method name"),
        ("did:web:example.com:" + "a" * 3000, "longer than"),
    ],
)
def test_bad_did_web_is_refused(did: str, mentions: str) -> None:
    with pytest.raises(DidResolutionError) as caught:
        did_web_to_url(did)
    assert mentions in caught.value.detail


@pytest.mark.parametrize(
    ("base", "segments", "did"),
    [
        (
            "http://127.0.0.1:8000",
            ["makerspaces", "fablab-cotonou"],
            "did:web:127.0.0.1%3A8000:makerspaces:fablab-cotonou",
        ),
        ("https://example.com", [], "did:web:example.com"),
        ("https://example.com/", ["a"], "did:web:example.com:a"),
        ("https://example.com:443", ["a"], "did:web:example.com:a"),
        (
            "https://Example.COM:8443/passport/",
            ["m", "x"],
            "did:web:example.com%3A8443:passport:m:x",
        ),
        ("https://example.com", ["caf\u00e9 bar"], "did:web:example.com:caf%C3%A9%20bar"),
        ("https://example.com", ["a:b", "c~d"], "did:web:example.com:a%3Ab:c%7Ed"),
    ],
)
def test_did_from_url(base: str, segments: list[str], did: str) -> None:
    assert did_web_from_url(base, segments) == did
    did_web_to_url(did)  # and it maps back to a URL


def test_did_from_url_round_trips_to_the_same_path() -> None:
    did = did_web_from_url("https://example.com", ["makerspaces", "fablab-cotonou"])
    assert did_web_to_url(did) == "https://example.com/makerspaces/fablab-cotonou/did.json"


@pytest.mark.parametrize(
    ("base", "segments"),
    [
        ("ftp://example.com", ["a"]),
        ("https://", ["a"]),
        ("https://[::1]:8443", ["a"]),
        ("https://user:pw@example.com", ["a"]),
        ("https://example.com?x=1", ["a"]),
        ("https://example.com#f", ["a"]),
        ("https://example.com:99999", ["a"]),
        ("https://example.com", [""]),
        ("https://example.com", [".."]),
        ("https://example.com", ["a/b"]),
        ("https://example.com", "makerspaces"),
        ("https://127.1", ["a"]),
    ],
)
def test_did_from_bad_url_is_refused(base: str, segments: list[str]) -> None:
    with pytest.raises(MalformedValueError):
        did_web_from_url(base, segments)


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("example.com", True),
        ("localhost", True),
        ("10.0.0.1", True),
        ("a-b.c0", True),
        ("Example.com", False),
        ("example.com.", False),
        ("exa_mple.com", False),
        ("1.2.3", False),
        ("999.1.1.1", False),
        ("", False),
    ],
)
def test_host_validation(host: str, valid: bool) -> None:
    assert is_valid_host(host) is valid


def test_host_patterns() -> None:
    patterns = HostPatterns(
        ["example.org", "*.makers.net", "dev.local:8443", "[::1]:9000", "10.0.0.1"]
    )
    assert patterns.matches("example.org", 443)
    assert patterns.matches("EXAMPLE.org", 8080)  # no port in the pattern: any port
    assert not patterns.matches("www.example.org", 443)
    assert patterns.matches("a.makers.net", 443)
    assert patterns.matches("a.b.makers.net", 443)
    assert not patterns.matches("makers.net", 443)
    assert not patterns.matches("evilmakers.net", 443)
    assert patterns.matches("dev.local", 8443)
    assert not patterns.matches("dev.local", 443)
    assert patterns.matches("0:0::1", 9000)
    assert not patterns.matches("::1", 9001)
    assert patterns.matches("10.0.0.1", 1)
    assert not HostPatterns([])


@pytest.mark.parametrize(
    "pattern", ["", "example.com:0", "example.com:x", "*.1.2.3.4", "[::1", "bad host", "*.::1"]
)
def test_bad_host_pattern_fails_at_configuration(pattern: str) -> None:
    with pytest.raises(ValueError):
        HostPatterns([pattern])


def test_a_lone_string_is_not_a_pattern_list() -> None:
    with pytest.raises(ValueError):
        HostPatterns("example.org")
