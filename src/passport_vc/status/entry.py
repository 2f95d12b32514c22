"""`BitstringStatusListEntry` items of `credentialStatus` (BSL §2.1): parse and build."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from passport_vc.errors import MalformedValueError
from passport_vc.status.bitstring import MAX_STATUS_SIZE
from passport_vc.status.values import is_absolute_url

ENTRY_TYPE: Final = "BitstringStatusListEntry"

STATUS_PURPOSES: Final = frozenset({"revocation", "suspension", "refresh", "message"})
"""The purposes BSL §2.1 defines. The REC lets the string be arbitrary, but a purpose
this code does not know the meaning of cannot be acted on, so others are refused."""

MAX_INDEX_DIGITS: Final = 20
"""statusListIndex is "an arbitrary size integer"; a list under the 16 MiB decompression
cap has fewer than 2**27 entries, so 20 digits is generous and keeps int() cheap."""

# ASCII digits only ([0-9], not \d), no sign, no leading zero except "0" itself.
_INDEX = re.compile(r"0|[1-9][0-9]*")
_HEX_STATUS = re.compile(r"0x[0-9A-Fa-f]{1,8}")


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """One `statusMessage` item: the status value and the message it stands for."""

    status: int
    message: str


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A validated `BitstringStatusListEntry`."""

    purpose: str
    index: int
    status_list_credential: str
    status_size: int = 1
    id: str | None = None
    status_messages: tuple[StatusMessage, ...] = ()
    status_reference: tuple[str, ...] = ()

    def message_for(self, value: int) -> str | None:
        """The message the entry's statusMessage gives `value`, or None without one.

        For the `message` purpose without statusMessage, BSL §2.1 names 1 "set" and
        0 "unset".
        """
        for item in self.status_messages:
            if item.status == value:
                return item.message
        if self.purpose == "message" and not self.status_messages:
            return "set" if value else "unset"
        return None


def is_bitstring_status_entry(entry: object) -> bool:
    """True if `entry` is an object whose `type` is BitstringStatusListEntry.

    For dispatching among credentialStatus items of different status methods.
    """
    return isinstance(entry, Mapping) and entry.get("type") == ENTRY_TYPE


def _fail(path: str, field: str, problem: str) -> MalformedValueError:
    return MalformedValueError(f"{path}.{field}: {problem}")


def _parse_index(raw: object, path: str) -> int:
    if not isinstance(raw, str) or len(raw) > MAX_INDEX_DIGITS or _INDEX.fullmatch(raw) is None:
        raise _fail(
            path,
            "statusListIndex",
            f"must be a base-10 integer in a string (ASCII digits, no sign, no leading "
            f"zeros, at most {MAX_INDEX_DIGITS} digits), got {raw!r}",
        )
    return int(raw)


def _parse_status_size(raw: object, path: str) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_STATUS_SIZE:
        raise _fail(
            path, "statusSize", f"must be an integer from 1 to {MAX_STATUS_SIZE}, got {raw!r}"
        )
    return raw


def _parse_messages(raw: object, size: int, path: str) -> tuple[StatusMessage, ...]:
    field = "statusMessage"
    if raw is None:
        if size > 1:
            raise _fail(path, field, f"is required when statusSize is {size} (greater than 1)")
        return ()
    possible = 1 << size
    if not isinstance(raw, list):
        raise _fail(path, field, "must be an array")
    if len(raw) != possible:
        raise _fail(
            path,
            field,
            f"must have exactly {possible} items (2**statusSize for statusSize {size}), "
            f"got {len(raw)}",
        )
    messages: list[StatusMessage] = []
    seen: set[int] = set()
    for n, item in enumerate(raw):
        where = f"{field}[{n}]"
        if not isinstance(item, Mapping):
            raise _fail(path, where, "must be an object with status and message")
        status = item.get("status")
        if not isinstance(status, str) or _HEX_STATUS.fullmatch(status) is None:
            raise _fail(path, f"{where}.status", f"must be a hex string like '0x1', got {status!r}")
        value = int(status, 16)
        if value >= possible:
            raise _fail(path, f"{where}.status", f"{status} does not fit in {size} bit(s)")
        if value in seen:
            raise _fail(path, f"{where}.status", f"{status} is listed twice")
        seen.add(value)
        message = item.get("message")
        if not isinstance(message, str):
            raise _fail(path, f"{where}.message", "must be a string")
        messages.append(StatusMessage(value, message))
    # Distinct, in range and 2**size of them: every possible value has its message.
    return tuple(sorted(messages, key=lambda m: m.status))


def _parse_reference(raw: object, path: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(is_absolute_url(item) for item in items):
        raise _fail(path, "statusReference", "must be a URL or a non-empty array of URLs")
    return tuple(items)


def parse_status_entry(entry: Mapping[str, Any], *, path: str = "credentialStatus") -> StatusEntry:
    """Validate one `credentialStatus` item as a BitstringStatusListEntry (BSL §2.1).

    `path` prefixes error details, e.g. "credentialStatus[1]" for the second item of
    an array. Raises MalformedValueError whose detail names the offending field.
    Properties BSL does not define are ignored (VCDM is open to extension).
    """
    if not isinstance(entry, Mapping):
        raise MalformedValueError(f"{path}: must be an object")
    if entry.get("type") != ENTRY_TYPE:
        raise _fail(path, "type", f"must be {ENTRY_TYPE!r}, got {entry.get('type')!r}")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or purpose not in STATUS_PURPOSES:
        raise _fail(
            path,
            "statusPurpose",
            f"must be one of {', '.join(sorted(STATUS_PURPOSES))}, got {purpose!r}",
        )
    index = _parse_index(entry.get("statusListIndex"), path)
    list_url = entry.get("statusListCredential")
    if not is_absolute_url(list_url):
        raise _fail(path, "statusListCredential", f"must be an absolute URL, got {list_url!r}")
    entry_id = entry.get("id")
    if entry_id is not None:
        if not is_absolute_url(entry_id):
            raise _fail(path, "id", f"must be a URL, got {entry_id!r}")
        if entry_id == list_url:
            raise _fail(path, "id", "must not be the URL of the status list (BSL §2.1)")
    size = _parse_status_size(entry.get("statusSize"), path)
    messages = _parse_messages(entry.get("statusMessage"), size, path)
    reference = _parse_reference(entry.get("statusReference"), path)
    return StatusEntry(
        purpose=purpose,
        index=index,
        status_list_credential=list_url,
        status_size=size,
        id=entry_id,
        status_messages=messages,
        status_reference=reference,
    )


def build_status_entry(
    *,
    list_url: str,
    index: int,
    purpose: str,
    status_size: int = 1,
    status_messages: Sequence[str] | None = None,
    status_reference: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    """A `credentialStatus` item pointing at entry `index` of the list at `list_url`.

    `status_messages[v]` is the message for status value v (so it needs 2**status_size
    items); they become `{"status": "0x…", "message": …}`. The result is checked with
    `parse_status_entry`, so this never emits an entry a verifier would refuse.
    """
    if "#" in list_url:
        raise MalformedValueError(f"list_url must not have a fragment: {list_url!r}")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise MalformedValueError(f"index must be a non-negative integer, got {index!r}")
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if status_size != 1:
        entry["statusSize"] = status_size
    if status_messages is not None:
        if isinstance(status_messages, str):
            raise MalformedValueError("status_messages must be a sequence of strings")
        entry["statusMessage"] = [
            {"status": hex(value), "message": message}
            for value, message in enumerate(status_messages)
        ]
    if status_reference is not None:
        entry["statusReference"] = (
            status_reference if isinstance(status_reference, str) else list(status_reference)
        )
    parse_status_entry(entry)
    return entry
