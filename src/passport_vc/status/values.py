"""Small value checks shared by the status modules: absolute URLs and XSD dateTimeStamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeGuard
from urllib.parse import urlsplit

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# XSD dateTimeStamp as VCDM §4.6 uses it: the time zone is required. [0-9], not \d,
# which would also match non-ASCII digits.
_DATE_TIME_STAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
_HOSTED_SCHEMES = frozenset({"http", "https"})
# Whitespace (Unicode, as str.isspace) and C0/DEL controls never occur in a serialized URL.
_UNSAFE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def is_absolute_url(value: object) -> TypeGuard[str]:
    """True for a string that is an absolute URL: a scheme, then something.

    http(s) URLs also need a host. Whitespace and control characters are refused
    outright: they never occur in a serialized URL and are a classic smuggling vector.
    """
    if not isinstance(value, str) or not value:
        return False
    if _UNSAFE_URL_CHARS.search(value):
        return False
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or not _SCHEME.fullmatch(scheme):
        return False
    if scheme.lower() in _HOSTED_SCHEMES:
        try:
            host = urlsplit(value).hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            return False
        return bool(host)
    return True


def parse_date_time_stamp(value: str) -> datetime:
    """Parse an XSD dateTimeStamp ("2021-04-05T14:27:40Z") into an aware datetime.

    Raises ValueError for anything else, including a missing time zone. Fractions of a
    second beyond microseconds are truncated.
    """
    match = _DATE_TIME_STAMP.fullmatch(value)
    if match is None:
        raise ValueError(f"not an XSD dateTimeStamp: {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone == "Z":
        tz: timezone = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError(f"time zone offset out of range: {value!r}")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    # datetime() rejects impossible dates and times (month 13, 25:00, Feb 30).
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )


def format_date_time_stamp(moment: datetime) -> str:
    """An aware datetime as a UTC dateTimeStamp: whole seconds, 'Z' suffix."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    utc = moment.astimezone(UTC)
    # Not strftime: %Y does not zero-pad years below 1000 on every platform.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )
