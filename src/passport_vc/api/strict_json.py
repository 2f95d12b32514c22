"""What FastAPI's JSON body parsing (Python's json module) lets through and a credential must
not carry: duplicate keys (the last one silently wins, so two parsers can read two different
credentials), NaN and Infinity (not JSON; they also break the response that echoes the
credential), numbers that overflow to infinity (1e400), integers of more digits than Python
reads, nesting deeper than MAX_DEPTH (past about 255 levels pydantic cannot serialize a body
again, past about 1000 the parser hits the recursion limit), bytes that are not UTF-8, and
`\\ud800`-style escapes of a lone UTF-16 surrogate (a string no UTF-8 output can hold: the echo
of it fails).

`json_body_problem` names the first such problem, or says nothing: plain syntax errors are
left to FastAPI, which reports them with their position.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""Arrays and objects inside one another. JSON-LD processing stops at 32 levels of one document
(jsonld.canonical.MAX_DEPTH); a presentation wraps a credential in a few more."""

# Only a \u escape can put a surrogate into a string read from UTF-8 text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused(Exception):
    """Raised from the parser's hooks; never a ValueError, so it is not mistaken for one."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the key {key[:100]!r} appears twice in one object")
            seen.add(key)
    return found


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"the number {text[:40]} is too large to be represented")
    return number


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` deep (iterative: no recursion limit here)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def json_body_problem(body: bytes) -> str | None:
    """Why `body` must be refused although Python's json module would read it, or None."""
    try:
        text = body.decode("utf-8")  # RFC 8259 §8.1: JSON between systems is UTF-8
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 (invalid byte at {exc.start})"
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float
        )
    except _Refused as exc:
        return str(exc)
    except json.JSONDecodeError:
        return None  # malformed: FastAPI's own answer names the position
    except RecursionError:
        return "arrays or objects are nested too deeply"
    except ValueError:  # int() refuses integer literals of over 4300 digits
        return "a number has too many digits"
    if _deeper_than(value, MAX_DEPTH):
        return f"arrays or objects are nested deeper than {MAX_DEPTH} levels"
    if _SURROGATE_ESCAPE.search(text) is not None:  # rare: then check what was read
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "a string escapes a lone UTF-16 surrogate (\\ud800-\\udfff): not Unicode text"
    return None
