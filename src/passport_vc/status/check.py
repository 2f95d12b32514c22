"""Checking a credential's status against its status list credential (BSL §3.2).

Fetching the list and verifying its proofs is the caller's job (steps 4 of §3.2:
STATUS_RETRIEVAL_ERROR / STATUS_VERIFICATION_ERROR); so is deciding whether the list's
issuer is trusted. `check_status` does the rest, on the already-verified document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from passport_vc.errors import (
    MALFORMED_VALUE_ERROR,
    RANGE_ERROR,
    STATUS_VERIFICATION_ERROR,
    StatusListError,
)
from passport_vc.status.bitstring import MIN_ENTRIES, BitstringStatusList
from passport_vc.status.compression import DEFAULT_MAX_DECOMPRESSED_BYTES
from passport_vc.status.entry import StatusEntry
from passport_vc.status.list_credential import LIST_CREDENTIAL_TYPE, LIST_SUBJECT_TYPE
from passport_vc.status.values import parse_date_time_stamp


@dataclass(frozen=True, slots=True)
class StatusResult:
    """The status of one entry (BSL §3.2's result map, plus where it came from).

    `set` is True when the value is not 0: revoked, suspended, refresh available, or a
    non-zero message status, depending on `purpose`.
    """

    purpose: str
    index: int
    value: int
    set: bool
    message: str | None
    status_list_credential: str

    @property
    def valid(self) -> bool:
        """BSL §3.2 step 12: `valid` is true when the status value is 0."""
        return not self.set


def _verification_error(detail: str) -> StatusListError:
    return StatusListError(detail, problem_type=STATUS_VERIFICATION_ERROR)


def _malformed(detail: str) -> StatusListError:
    return StatusListError(detail, problem_type=MALFORMED_VALUE_ERROR)


def _has_type(value: object, wanted: str) -> bool:
    """JSON-LD `type`: a string, or an array of strings that includes `wanted`."""
    if isinstance(value, str):
        return value == wanted
    return isinstance(value, list) and wanted in value


def _purposes(value: object, where: str) -> list[str]:
    """`statusPurpose` of the list: "one or more strings" (BSL §2.2)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        return value
    raise _malformed(f"{where}.statusPurpose: must be a string or an array of strings")


def _check_validity_period(credential: Mapping[str, Any], where: str, now: datetime) -> None:
    moments: dict[str, datetime] = {}
    for field in ("validFrom", "validUntil"):
        raw = credential.get(field)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise _malformed(f"{where}.{field}: must be a dateTimeStamp string")
        try:
            moments[field] = parse_date_time_stamp(raw)
        except ValueError as exc:
            raise _malformed(f"{where}.{field}: {exc}") from None
    if "validFrom" in moments and now < moments["validFrom"]:
        raise _verification_error(f"{where} is not valid before {credential['validFrom']}")
    if "validUntil" in moments and now > moments["validUntil"]:
        raise _verification_error(f"{where} expired at {credential['validUntil']}")


def _subject(credential: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    # VCDM allows an array of subjects; a status list has exactly one.
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise _malformed(f"{where}.credentialSubject: must be one object")
    return subject


def check_status(
    entry: StatusEntry,
    status_list_credential: Mapping[str, Any],
    *,
    now: datetime | None = None,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    min_entries: int = MIN_ENTRIES,
    require_id_match: bool = True,
) -> StatusResult:
    """Read `entry`'s status from `status_list_credential` (BSL §3.2 steps 5 to 13).

    The caller must already have verified the list credential's proofs and trusted its
    issuer. `now` (timezone-aware; default: the current time) is checked against the
    list's validFrom/validUntil.

    With `require_id_match`, a list credential whose `id` is present and differs from
    the entry's statusListCredential is refused: otherwise a holder could staple another
    genuine list of the same issuer in which their index happens to be 0.

    Raises StatusListError with problem_type STATUS_VERIFICATION_ERROR (wrong type,
    purpose mismatch, id mismatch, outside validity period), MALFORMED_VALUE_ERROR
    (malformed list credential or encodedList), STATUS_LIST_LENGTH_ERROR (list too
    short), RANGE_ERROR (index outside the list) or INPUT_LIMIT_ERROR (encodedList
    inflates past `max_decompressed_bytes`).
    """
    where = f"status list credential {entry.status_list_credential}"
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(status_list_credential, Mapping):
        raise _malformed(f"{where}: must be an object")
    if not _has_type(status_list_credential.get("type"), LIST_CREDENTIAL_TYPE):
        raise _verification_error(f"{where}: type must include {LIST_CREDENTIAL_TYPE}")
    list_id = status_list_credential.get("id")
    if require_id_match and list_id is not None and list_id != entry.status_list_credential:
        raise _verification_error(
            f"{where}: its id {list_id!r} is not the entry's statusListCredential"
        )
    _check_validity_period(status_list_credential, where, now)

    subject = _subject(status_list_credential, where)
    if not _has_type(subject.get("type"), LIST_SUBJECT_TYPE):
        raise _verification_error(f"{where}: credentialSubject.type must be {LIST_SUBJECT_TYPE}")
    purposes = _purposes(subject.get("statusPurpose"), f"{where}.credentialSubject")
    if entry.purpose not in purposes:
        raise _verification_error(
            f"{where}: statusPurpose {purposes!r} does not include the entry's {entry.purpose!r}"
        )
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise _malformed(f"{where}.credentialSubject.encodedList: must be a string")

    bits = BitstringStatusList.decode(
        encoded,
        status_size=entry.status_size,
        max_decompressed_bytes=max_decompressed_bytes,
        min_entries=min_entries,
    )
    # §3.2 step 10: index * statusSize outside the bitstring is a RANGE_ERROR.
    if entry.index >= bits.length:
        raise StatusListError(
            f"{where}: statusListIndex {entry.index} is outside the list "
            f"({bits.length} entries of {entry.status_size} bit(s))",
            problem_type=RANGE_ERROR,
        )
    value = bits.get(entry.index)
    return StatusResult(
        purpose=entry.purpose,
        index=entry.index,
        value=value,
        set=value != 0,
        message=entry.message_for(value),
        status_list_credential=entry.status_list_credential,
    )
