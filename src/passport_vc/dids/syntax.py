"""DID syntax (DID Core 1.0 §3.1): split a DID into method and method-specific id, or refuse it.

Resolution only ever takes a bare DID. A DID URL (with a path, query or fragment) is refused
here with an error saying which part is extra, so no resolver has to think about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from passport_vc.errors import DidResolutionError

# Long enough for any real did:web (a 253-char host plus a path), short enough that hostile
# input never reaches the regexes or the caches at size.
MAX_DID_LENGTH = 2048

_METHOD_NAME = re.compile(r"[a-z0-9]+")
# method-specific-id = *( *idchar ":" ) 1*idchar ; idchar = ALPHA / DIGIT / "." / "-" / "_" / pct
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_METHOD_SPECIFIC_ID = re.compile(rf"(?:{_IDCHAR}*:)*{_IDCHAR}+")


@dataclass(frozen=True)
class ParsedDid:
    """A syntactically valid DID: `did:<method>:<method_specific_id>`."""

    did: str
    method: str
    method_specific_id: str


def shorten(value: object, limit: int = 120) -> str:
    """`value` for an error message: repr, cut to `limit` characters, never the whole input."""
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    if len(value) > limit:
        return repr(value[:limit]) + "..."
    return repr(value)


def parse_did(value: object) -> ParsedDid:
    """Check `value` against the DID ABNF; raise DidResolutionError naming what is wrong."""
    if not isinstance(value, str):
        raise DidResolutionError(f"a DID must be a string, got {shorten(value)}")
    if len(value) > MAX_DID_LENGTH:
        raise DidResolutionError(f"DID {shorten(value)} is longer than {MAX_DID_LENGTH} characters")
    if not value.startswith("did:"):
        raise DidResolutionError(f"{shorten(value)} is not a DID (it must start with 'did:')")
    for char, part in (("#", "fragment"), ("?", "query"), ("/", "path")):
        if char in value:
            raise DidResolutionError(
                f"{shorten(value)} is a DID URL with a {part}; only a bare DID can be resolved"
            )
    method, sep, msid = value[4:].partition(":")
    if not sep or not _METHOD_NAME.fullmatch(method):
        raise DidResolutionError(
            f"DID {shorten(value)} has no valid method name (lowercase letters and digits)"
        )
    if not _METHOD_SPECIFIC_ID.fullmatch(msid):
        raise DidResolutionError(
            f"DID {shorten(value)} has an invalid method-specific identifier "
            "(allowed: letters, digits, '.', '-', '_', %-escapes, ':' between non-empty parts)"
        )
    return ParsedDid(did=value, method=method, method_specific_id=msid)
