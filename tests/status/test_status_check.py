"""check_status and build_status_list_credential (BSL §2.2, §3.2)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from passport_vc.errors import (
    INPUT_LIMIT_ERROR,
    MALFORMED_VALUE_ERROR,
    RANGE_ERROR,
    STATUS_LIST_LENGTH_ERROR,
    STATUS_VERIFICATION_ERROR,
    MalformedValueError,
    StatusListError,
)
from passport_vc.multibase import encode_base64url
from passport_vc.status import (
    MIN_ENTRIES,
    BitstringStatusList,
    StatusEntry,
    StatusResult,
    build_status_entry,
    build_status_list_credential,
    check_status,
    parse_status_entry,
)
from passport_vc.status.compression import gzip_compress

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bitstring-status-list"
LIST = "https://example.com/credentials/status/3"
ISSUER = "did:example:12345"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return loaded


def _list_credential(
    purpose: str = "revocation",
    *,
    status_list: BitstringStatusList | None = None,
    set_indexes: tuple[int, ...] = (),
    **kwargs: Any,
) -> dict[str, Any]:
    bits = status_list if status_list is not None else BitstringStatusList()
    for index in set_indexes:
        bits.set(index, 1)
    return build_status_list_credential(
        list_url=LIST, issuer=ISSUER, purpose=purpose, status_list=bits, **kwargs
    )


def _entry(index: int = 94567, purpose: str = "revocation", **kwargs: Any) -> StatusEntry:
    return parse_status_entry(
        build_status_entry(list_url=LIST, index=index, purpose=purpose, **kwargs)
    )


# --- build_status_list_credential ------------------------------------------------------


def test_built_list_credential_matches_rec_example_3() -> None:
    example = _load("example-BitstringStatusListCredential.json")
    built = build_status_list_credential(
        list_url=LIST,
        issuer=ISSUER,
        purpose="revocation",
        status_list=BitstringStatusList(),
        valid_from=datetime(2021, 4, 5, 14, 27, 40, tzinfo=UTC),
    )
    # Same keys in the same order, same values, except two documented differences:
    # the REC's subject id uses another path, and its GZIP header names another OS/level.
    assert list(built) == list(example)
    assert list(built["credentialSubject"]) == list(example["credentialSubject"])
    assert built["credentialSubject"]["id"] == LIST + "#list"
    expected = copy.deepcopy(example)
    expected["credentialSubject"]["id"] = LIST + "#list"
    expected["credentialSubject"]["encodedList"] = built["credentialSubject"]["encodedList"]
    assert built == expected
    assert BitstringStatusList.decode(
        built["credentialSubject"]["encodedList"]
    ) == BitstringStatusList.decode(example["credentialSubject"]["encodedList"])


def test_built_list_credential_optional_fields() -> None:
    built = _list_credential(
        "suspension",
        valid_from=datetime(2025, 1, 1, 1, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=1))),
        valid_until=datetime(2025, 2, 1, tzinfo=UTC),
        ttl_ms=300_000,
    )
    assert built["validFrom"] == "2025-01-01T00:00:00Z"
    assert built["validUntil"] == "2025-02-01T00:00:00Z"
    assert built["credentialSubject"]["ttl"] == 300_000
    assert built["credentialSubject"]["statusPurpose"] == "suspension"
    assert list(built) == [
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"list_url": "https://example.com/list#x"},
        {"list_url": "/relative"},
        {"issuer": "12345"},
        {"purpose": "expiry"},
        {"ttl_ms": 0},
        {"ttl_ms": True},
        {"valid_from": datetime(2025, 1, 1)},  # naive
        {
            "valid_from": datetime(2025, 1, 2, tzinfo=UTC),
            "valid_until": datetime(2025, 1, 1, tzinfo=UTC),
        },
    ],
)
def test_build_list_credential_refuses(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "list_url": LIST,
        "issuer": ISSUER,
        "purpose": "revocation",
        "status_list": BitstringStatusList(),
    }
    arguments.update(kwargs)
    with pytest.raises(MalformedValueError):
        build_status_list_credential(**arguments)


# --- check_status: results -------------------------------------------------------------


def test_rec_examples_check_as_valid() -> None:
    vc = _load("example-revocable-vc-eddsa-rdfc-2022.json")
    entry = parse_status_entry(vc["credentialStatus"])
    for name in (
        "example-status-list-vc-eddsa-rdfc-2022.json",
        "example-status-list-vc-unsigned.json",
    ):
        result = check_status(entry, _load(name), now=NOW)
        assert result == StatusResult(
            purpose="revocation",
            index=94567,
            value=0,
            set=False,
            message=None,
            status_list_credential=LIST,
        )
        assert result.valid


@pytest.mark.parametrize("purpose", ["revocation", "suspension", "refresh"])
def test_set_and_unset_bits(purpose: str) -> None:
    credential = _list_credential(purpose, set_indexes=(94567, 0, MIN_ENTRIES - 1))
    for index, expected in ((94567, 1), (94566, 0), (94568, 0), (0, 1), (MIN_ENTRIES - 1, 1)):
        result = check_status(_entry(index, purpose), credential, now=NOW)
        assert result.value == expected
        assert result.set is bool(expected)
        assert result.valid is not bool(expected)
        assert result.purpose == purpose
        assert result.index == index
        assert result.message is None


def test_suspension_can_be_lifted() -> None:
    bits = BitstringStatusList()
    bits.set(42, 1)
    entry = _entry(42, "suspension")
    assert check_status(entry, _list_credential("suspension", status_list=bits), now=NOW).set
    bits.set(42, 0)
    assert not check_status(entry, _list_credential("suspension", status_list=bits), now=NOW).set


def test_message_purpose_returns_the_message() -> None:
    messages = ["pending_review", "accepted", "rejected", "undefined"]
    bits = BitstringStatusList(4 * MIN_ENTRIES, status_size=2)  # REC Example 2's index fits
    bits.set(492847, 2)
    bits.set(7, 1)
    credential = _list_credential("message", status_list=bits)
    expected = {492847: (2, "rejected"), 7: (1, "accepted"), 8: (0, "pending_review")}
    for index, (value, message) in expected.items():
        entry = _entry(index, "message", status_size=2, status_messages=messages)
        result = check_status(entry, credential, now=NOW)
        assert (result.value, result.message, result.set) == (value, message, value != 0)


def test_message_purpose_one_bit_without_messages() -> None:
    credential = _list_credential("message", set_indexes=(5,))
    assert check_status(_entry(5, "message"), credential, now=NOW).message == "set"
    assert check_status(_entry(6, "message"), credential, now=NOW).message == "unset"


def test_list_with_several_purposes_and_array_types() -> None:
    credential = _list_credential(set_indexes=(3,))
    credential["credentialSubject"]["statusPurpose"] = ["suspension", "revocation"]
    credential["credentialSubject"]["type"] = ["BitstringStatusList"]
    credential["credentialSubject"] = [credential["credentialSubject"]]
    assert check_status(_entry(3), credential, now=NOW).set
    assert check_status(_entry(3, "suspension"), credential, now=NOW).set


def test_validity_period_is_checked() -> None:
    credential = _list_credential(
        valid_from=datetime(2025, 1, 1, tzinfo=UTC), valid_until=datetime(2025, 12, 31, tzinfo=UTC)
    )
    entry = _entry()
    assert not check_status(entry, credential, now=NOW).set
    for moment, words in (
        (datetime(2024, 12, 31, 23, 59, tzinfo=UTC), "not valid before"),
        (datetime(2026, 1, 1, tzinfo=UTC), "expired"),
    ):
        with pytest.raises(StatusListError, match=words) as exc:
            check_status(entry, credential, now=moment)
        assert exc.value.problem_type == STATUS_VERIFICATION_ERROR
    # Without `now` the current time is used; a list with no validity bounds passes.
    check_status(entry, _list_credential())
    with pytest.raises(ValueError, match="timezone-aware"):
        check_status(entry, credential, now=datetime(2025, 6, 1))


def test_validity_offsets_are_honoured() -> None:
    credential = _list_credential()
    credential["validFrom"] = "2025-06-01T02:00:00+02:00"  # = 00:00Z
    assert not check_status(_entry(), credential, now=NOW).set
    credential["validFrom"] = "2025-06-01T00:00:00.5-00:00"
    with pytest.raises(StatusListError, match="not valid before"):
        check_status(_entry(), credential, now=NOW)


def test_id_mismatch_refused_unless_disabled() -> None:
    credential = _list_credential(set_indexes=(9,))
    credential["id"] = "https://example.com/credentials/status/4"
    with pytest.raises(StatusListError, match="not the entry's statusListCredential") as exc:
        check_status(_entry(9), credential, now=NOW)
    assert exc.value.problem_type == STATUS_VERIFICATION_ERROR
    assert check_status(_entry(9), credential, now=NOW, require_id_match=False).set
    del credential["id"]
    assert check_status(_entry(9), credential, now=NOW).set


# --- check_status: refusals ------------------------------------------------------------


def _mutated(change: str) -> dict[str, Any]:
    credential = _list_credential()
    subject = credential["credentialSubject"]
    match change:
        case "purpose mismatch":
            subject["statusPurpose"] = "suspension"
        case "purpose list mismatch":
            subject["statusPurpose"] = ["suspension", "refresh"]
        case "wrong credential type":
            credential["type"] = ["VerifiableCredential", "StatusList2021Credential"]
        case "credential type string":
            credential["type"] = "VerifiableCredential"
        case "no credential type":
            del credential["type"]
        case "wrong subject type":
            subject["type"] = "StatusList2021"
        case "no subject type":
            del subject["type"]
        case "purpose not strings":
            subject["statusPurpose"] = [1]
        case "purpose empty list":
            subject["statusPurpose"] = []
        case "no encodedList":
            del subject["encodedList"]
        case "encodedList not string":
            subject["encodedList"] = 5
        case "padded encodedList":
            subject["encodedList"] += "=="
        case "not gzip":
            subject["encodedList"] = encode_base64url(bytes(16 * 1024))
        case "short list":
            subject["encodedList"] = encode_base64url(gzip_compress(bytes(16 * 1024 - 1)))
        case "bomb":
            subject["encodedList"] = encode_base64url(gzip_compress(bytes(17 * 1024 * 1024)))
        case "two subjects":
            credential["credentialSubject"] = [subject, subject]
        case "subject not object":
            credential["credentialSubject"] = "list"
        case "validFrom malformed":
            credential["validFrom"] = "2025-01-01"
        case "validUntil not string":
            credential["validUntil"] = 1700000000
        case "validUntil bad date":
            credential["validUntil"] = "2025-02-30T00:00:00Z"
        case _:
            raise AssertionError(change)
    return credential


@pytest.mark.parametrize(
    ("change", "problem_type"),
    [
        ("purpose mismatch", STATUS_VERIFICATION_ERROR),
        ("purpose list mismatch", STATUS_VERIFICATION_ERROR),
        ("wrong credential type", STATUS_VERIFICATION_ERROR),
        ("credential type string", STATUS_VERIFICATION_ERROR),
        ("no credential type", STATUS_VERIFICATION_ERROR),
        ("wrong subject type", STATUS_VERIFICATION_ERROR),
        ("no subject type", STATUS_VERIFICATION_ERROR),
        ("purpose not strings", MALFORMED_VALUE_ERROR),
        ("purpose empty list", MALFORMED_VALUE_ERROR),
        ("no encodedList", MALFORMED_VALUE_ERROR),
        ("encodedList not string", MALFORMED_VALUE_ERROR),
        ("padded encodedList", MALFORMED_VALUE_ERROR),
        ("not gzip", MALFORMED_VALUE_ERROR),
        ("short list", STATUS_LIST_LENGTH_ERROR),
        ("bomb", INPUT_LIMIT_ERROR),
        ("two subjects", MALFORMED_VALUE_ERROR),
        ("subject not object", MALFORMED_VALUE_ERROR),
        ("validFrom malformed", MALFORMED_VALUE_ERROR),
        ("validUntil not string", MALFORMED_VALUE_ERROR),
        ("validUntil bad date", MALFORMED_VALUE_ERROR),
    ],
)
def test_check_status_refuses(change: str, problem_type: str) -> None:
    with pytest.raises(StatusListError) as exc:
        check_status(_entry(), _mutated(change), now=NOW)
    assert exc.value.problem_type == problem_type
    assert LIST in exc.value.detail or problem_type != STATUS_VERIFICATION_ERROR
    assert exc.value.problem()["type"] == problem_type


def test_non_object_list_credential() -> None:
    with pytest.raises(StatusListError):
        check_status(_entry(), ["not", "a", "credential"], now=NOW)  # type: ignore[arg-type]


def test_index_out_of_range() -> None:
    credential = _list_credential()
    with pytest.raises(StatusListError) as exc:
        check_status(_entry(MIN_ENTRIES), credential, now=NOW)
    assert exc.value.problem_type == RANGE_ERROR
    assert check_status(_entry(MIN_ENTRIES - 1), credential, now=NOW).value == 0


def test_status_size_shrinks_the_entry_count() -> None:
    # 16 KiB read with statusSize 2 holds only 65,536 entries: too short (§3.2 step 9).
    credential = _list_credential("message")
    entry = _entry(1, "message", status_size=2, status_messages=["a", "b", "c", "d"])
    with pytest.raises(StatusListError) as exc:
        check_status(entry, credential, now=NOW)
    assert exc.value.problem_type == STATUS_LIST_LENGTH_ERROR


def test_range_error_for_index_times_size_past_the_end() -> None:
    # 32 KiB with statusSize 2: 131,072 entries; index 131,072 starts past the last bit.
    bits = BitstringStatusList(status_size=2)
    credential = _list_credential("message", status_list=bits)
    entry = _entry(MIN_ENTRIES, "message", status_size=2, status_messages=["a", "b", "c", "d"])
    with pytest.raises(StatusListError) as exc:
        check_status(entry, credential, now=NOW)
    assert exc.value.problem_type == RANGE_ERROR
