"""XSD dateTimeStamp values (a date and time with a zone), as VC 2.0 and Data Integrity use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from passport_vc.errors import MalformedValueError

_DATETIME_STAMP = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


def parse_datetime_stamp(value: object, field: str) -> datetime:
    """Parse an XSD dateTimeStamp; the zone (`Z` or an offset) is required."""
    if not isinstance(value, str) or _DATETIME_STAMP.match(value) is None:
        raise MalformedValueError(
            f"{field}: {value!r} is not an XSD dateTimeStamp (e.g. 2026-01-31T12:00:00Z)"
        )
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedValueError(
            f"{field}: {value!r} is not a valid date and time: {exc}"
        ) from None


def format_datetime_stamp(moment: datetime) -> str:
    """`moment` in UTC, to the second, with a `Z`: the form every verifier accepts."""
    if moment.tzinfo is None:
        raise MalformedValueError("a datetime without a time zone cannot be a dateTimeStamp")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_utc_instant(moment: datetime) -> str:
    """An aware datetime in UTC at full precision with a `Z` (for API listings, not proofs)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc_now() -> datetime:
    return datetime.now(UTC)
