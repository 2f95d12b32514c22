"""Checks of single OKW values; each returns the canonical form or raises OkwError naming the path.

`None` and blank strings mean "absent" everywhere: canonical records leave such keys out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from passport_vc.dids.syntax import parse_did
from passport_vc.errors import PassportVcError
from passport_vc.okw.errors import OkwError, join

SHORT_TEXT = 300  # names, makes, models, address parts
LONG_TEXT = 10_000  # descriptions, notes
URL_MAX = 500  # the facility_tag and equipment columns hold 500 characters
DID_MAX = 2000  # the equipment_operator.holder column
ID_MAX = 36  # facility and equipment ids (UUIDs fit)
MAX_ITEMS = 5000  # any one list
MAX_DEPTH = 32  # nesting of values kept as they are

_WIKIPEDIA = re.compile(
    r"https?://([a-z]{2,3}(?:-[a-z0-9]{1,8})*)\.wikipedia\.org/wiki/([^\s?#<>\"]{1,400})"
)
_WEB_URL = re.compile(r"https?://[^\s]{1,1990}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,35}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def _clean(value: str, path: str) -> str:
    if "\x00" in value:
        raise OkwError(path, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OkwError(path, "is not valid Unicode (a lone surrogate)") from None
    return value.strip()


def text(value: Any, path: str, limit: int = SHORT_TEXT) -> str | None:
    """A string, trimmed; None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise OkwError(path, f"must be a string, got {_kind(value)}")
    cleaned = _clean(value, path)
    if len(cleaned) > limit:
        raise OkwError(path, f"must be at most {limit} characters")
    return cleaned or None


def one_of(value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
    """One of `allowed`, matched without regard to case; returned as spelled in `allowed`."""
    found = text(value, path)
    if found is None:
        return None
    for option in allowed:
        if option.casefold() == found.casefold():
            return option
    raise OkwError(path, f"{found!r} is not one of: {', '.join(allowed)}")


def wikipedia_url(value: Any, path: str) -> str | None:
    """A Wikipedia article URL (the OKW classification convention), with https."""
    found = text(value, path, URL_MAX)
    if found is None:
        return None
    if not _WIKIPEDIA.fullmatch(found):
        raise OkwError(
            path,
            f"{_short(found)} is not a Wikipedia article URL "
            "(e.g. https://en.wikipedia.org/wiki/Laser_cutting)",
        )
    return "https://" + found.split("://", 1)[1]


def web_url(value: Any, path: str) -> str | None:
    found = text(value, path, 2000)
    if found is not None and not _WEB_URL.fullmatch(found):
        raise OkwError(path, f"{_short(found)} is not an http(s) URL")
    return found


def email(value: Any, path: str) -> str | None:
    found = text(value, path, 320)
    if found is not None and not _EMAIL.fullmatch(found):
        raise OkwError(path, f"{_short(found)} is not an e-mail address")
    return found


def did(value: Any, path: str) -> str:
    """A bare DID (DID Core syntax), as an operator or an agent's identifier."""
    if not isinstance(value, str):
        raise OkwError(path, f"must be a DID string, got {_kind(value)}")
    if len(value) > DID_MAX:
        raise OkwError(path, f"a DID must be at most {DID_MAX} characters")
    try:
        return parse_did(_clean(value, path)).did
    except PassportVcError as exc:
        raise OkwError(path, exc.detail) from None


def record_id(value: Any, path: str) -> str | None:
    """A facility or equipment id: up to 36 letters, digits, '.', '_' or '-' (a UUID fits)."""
    found = text(value, path, ID_MAX)
    if found is not None and not _ID.fullmatch(found):
        raise OkwError(path, "must be 1 to 36 letters, digits, '.', '_' or '-' (e.g. a UUID)")
    return found


def country(value: Any, path: str) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case."""
    found = text(value, path)
    if found is None:
        return None
    if not _COUNTRY.fullmatch(found):
        raise OkwError(path, f"{_short(found)} is not an ISO 3166-1 alpha-2 country code (e.g. CM)")
    return found.upper()


def coordinate(value: Any, path: str, bound: float) -> float:
    """A latitude (bound 90) or longitude (bound 180) in decimal degrees."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OkwError(path, f"must be a number in decimal degrees, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float is out of range too
        number = math.inf
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise OkwError(path, f"must be between -{bound:g} and {bound:g}")
    return number


def integer(value: Any, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise OkwError(path, f"must be an integer, got {_kind(value)}")
    if not low <= value <= high:
        raise OkwError(path, f"must be between {low} and {high}")
    return value


def iso_date(value: Any, path: str) -> str | None:
    """An ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD) or date and time with a zone."""
    found = text(value, path, 64)
    if found is None:
        return None
    try:
        if _DATETIME.fullmatch(found):
            datetime.fromisoformat(found.replace("Z", "+00:00"))
            return found
        if _DATE.fullmatch(found):
            if len(found) == 10:
                date.fromisoformat(found)
            elif len(found) == 7 and not 1 <= int(found[5:]) <= 12:
                raise ValueError("month")
            return found
    except ValueError:
        pass
    raise OkwError(path, f"{_short(found)} is not an ISO 8601 date (YYYY-MM-DD)")


def items(value: Any, path: str) -> list[Any]:
    """A list (a lone value counts as a list of one); None is an empty list."""
    if value is None:
        return []
    found = value if isinstance(value, list) else [value]
    if len(found) > MAX_ITEMS:
        raise OkwError(path, f"must have at most {MAX_ITEMS} items")
    return found


def strict_list(value: Any, path: str) -> list[Any]:
    """A list and nothing else (None is an empty list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise OkwError(path, f"must be a list, got {_kind(value)}")
    return items(value, path)


def obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise OkwError(path, f"must be an object, got {_kind(value)}")
    return value


def json_value(value: Any, path: str, depth: int = 0) -> Any:
    """A JSON value kept as it is (extensions, type-specific properties), checked to be
    serialisable again: finite numbers, valid Unicode, string keys, bounded depth."""
    if depth > MAX_DEPTH:
        raise OkwError(path, f"is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OkwError(path, "must be a finite number")
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise OkwError(path, "is not valid Unicode (a lone surrogate)") from None
        return value
    if isinstance(value, list):
        return [json_value(v, join(path, i), depth + 1) for i, v in enumerate(items(value, path))]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise OkwError(path, "object keys must be strings")
            json_value(key, path)
            out[key] = json_value(item, join(path, key), depth + 1)
        return out
    raise OkwError(path, f"{_kind(value)} is not a JSON value")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _short(value: str, limit: int = 80) -> str:
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."
