"""credentialStatus items: parse_status_entry and build_status_entry (BSL §2.1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from passport_vc.errors import MALFORMED_VALUE_ERROR, MalformedValueError
from passport_vc.status import (
    StatusEntry,
    StatusMessage,
    build_status_entry,
    is_bitstring_status_entry,
    parse_status_entry,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bitstring-status-list"
LIST = "https://example.com/credentials/status/3"


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"{LIST}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST,
    }
    for key, value in overrides.items():
        if value is _DROP:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


_DROP = object()
_FOUR_MESSAGES = [
    {"status": "0x0", "message": "pending_review"},
    {"status": "0x1", "message": "accepted"},
    {"status": "0x2", "message": "rejected"},
    {"status": "0x3", "message": "undefined"},
]


def _message_example() -> dict[str, Any]:
    """REC Example 2, which is JSON with `...` placeholders: drop them to parse it."""
    text = (VECTORS / "example-statusmessage-entry.jsonc").read_text()
    lines = [line for line in text.splitlines() if line.strip() != "..."]
    cleaned = re.sub(r",(\s*[\]}])", r"\1", "\n".join(lines))
    credential: dict[str, Any] = json.loads(cleaned)
    return credential


# --- the REC examples ------------------------------------------------------------------


def test_rec_simple_entries_parse() -> None:
    credential = json.loads((VECTORS / "example-statuslistentries-simple.json").read_text())
    revocation, suspension = (
        parse_status_entry(item, path=f"credentialStatus[{n}]")
        for n, item in enumerate(credential["credentialStatus"])
    )
    assert revocation == StatusEntry(
        purpose="revocation",
        index=94567,
        status_list_credential="https://example.com/credentials/status/3",
        id="https://example.com/credentials/status/3#94567",
    )
    assert suspension.purpose == "suspension"
    assert suspension.index == 23452
    assert suspension.status_list_credential == "https://example.com/credentials/status/4"
    assert suspension.status_size == 1
    assert suspension.status_messages == ()


def test_rec_revocable_vc_entry_parses() -> None:
    credential = json.loads((VECTORS / "example-revocable-vc-unsigned.json").read_text())
    entry = parse_status_entry(credential["credentialStatus"])
    assert (entry.purpose, entry.index) == ("revocation", 94567)


def test_rec_message_example_needs_its_fourth_message() -> None:
    status = _message_example()["credentialStatus"]
    assert len(status["statusMessage"]) == 3  # the REC elides the last one with "..."
    with pytest.raises(MalformedValueError, match=r"statusMessage: must have exactly 4 items"):
        parse_status_entry(status)
    status["statusMessage"].append({"status": "0x3", "message": "undefined"})
    entry = parse_status_entry(status)
    assert entry.purpose == "message"
    assert entry.index == 492847
    assert entry.status_size == 2
    assert entry.status_reference == ("https://example.org/status-dictionary/",)
    assert entry.status_messages == (
        StatusMessage(0, "pending_review"),
        StatusMessage(1, "accepted"),
        StatusMessage(2, "rejected"),
        StatusMessage(3, "undefined"),
    )
    assert entry.message_for(2) == "rejected"


# --- accepted variants -----------------------------------------------------------------


def test_optional_fields() -> None:
    entry = parse_status_entry(_entry(id=_DROP, statusListIndex="0"))
    assert entry.id is None
    assert entry.index == 0
    big = parse_status_entry(_entry(statusListIndex="9" * 20))
    assert big.index == 10**20 - 1
    refs = parse_status_entry(_entry(statusReference=["https://a.example/", "urn:x:y"]))
    assert refs.status_reference == ("https://a.example/", "urn:x:y")
    # Unknown properties are extensions, not errors.
    assert parse_status_entry(_entry(extra={"a": 1})).index == 94567


def test_messages_are_ordered_by_status_and_may_come_shuffled() -> None:
    messages = [_FOUR_MESSAGES[2], _FOUR_MESSAGES[0], _FOUR_MESSAGES[3], _FOUR_MESSAGES[1]]
    entry = parse_status_entry(
        _entry(statusPurpose="message", statusSize=2, statusMessage=messages)
    )
    assert [m.status for m in entry.status_messages] == [0, 1, 2, 3]


def test_message_purpose_with_one_bit_defaults_to_set_and_unset() -> None:
    entry = parse_status_entry(_entry(statusPurpose="message"))
    assert entry.message_for(0) == "unset"
    assert entry.message_for(1) == "set"
    revocation = parse_status_entry(_entry())
    assert revocation.message_for(1) is None


def test_status_message_with_one_bit_is_allowed() -> None:
    messages = [{"status": "0x0", "message": "ok"}, {"status": "0X1", "message": "no"}]
    with pytest.raises(MalformedValueError, match=r"statusMessage\[1\]\.status"):
        parse_status_entry(_entry(statusMessage=messages))
    messages[1]["status"] = "0x1"
    entry = parse_status_entry(_entry(statusMessage=messages))
    assert entry.message_for(1) == "no"


# --- refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "StatusList2021Entry"}, "type"),
        ({"type": ["BitstringStatusListEntry"]}, "type"),
        ({"type": _DROP}, "type"),
        ({"statusPurpose": "expiry"}, "statusPurpose"),
        ({"statusPurpose": "Revocation"}, "statusPurpose"),
        ({"statusPurpose": ["revocation"]}, "statusPurpose"),
        ({"statusPurpose": _DROP}, "statusPurpose"),
        ({"statusListIndex": "01"}, "statusListIndex"),
        ({"statusListIndex": "00"}, "statusListIndex"),
        ({"statusListIndex": "-1"}, "statusListIndex"),
        ({"statusListIndex": "+1"}, "statusListIndex"),
        ({"statusListIndex": "1.0"}, "statusListIndex"),
        ({"statusListIndex": "1e3"}, "statusListIndex"),
        ({"statusListIndex": " 1"}, "statusListIndex"),
        ({"statusListIndex": "1\n"}, "statusListIndex"),
        ({"statusListIndex": "1_000"}, "statusListIndex"),
        ({"statusListIndex": "0x10"}, "statusListIndex"),
        ({"statusListIndex": ""}, "statusListIndex"),
        ({"statusListIndex": "\uff11"}, "statusListIndex"),  # fullwidth 1
        ({"statusListIndex": "\u0661"}, "statusListIndex"),  # Arabic-Indic 1
        ({"statusListIndex": "1" * 21}, "statusListIndex"),
        ({"statusListIndex": 5}, "statusListIndex"),
        ({"statusListIndex": 5.0}, "statusListIndex"),
        ({"statusListIndex": True}, "statusListIndex"),
        ({"statusListIndex": _DROP}, "statusListIndex"),
        ({"statusListCredential": "/credentials/status/3"}, "statusListCredential"),
        ({"statusListCredential": "example.com/status"}, "statusListCredential"),
        ({"statusListCredential": "https://"}, "statusListCredential"),
        ({"statusListCredential": "https://ex ample.com/"}, "statusListCredential"),
        ({"statusListCredential": "https://[::1/"}, "statusListCredential"),
        ({"statusListCredential": ["https://example.com/"]}, "statusListCredential"),
        ({"statusListCredential": _DROP}, "statusListCredential"),
        ({"id": "not a url"}, "id"),
        ({"id": LIST}, "id"),
        ({"statusSize": 0}, "statusSize"),
        ({"statusSize": -1}, "statusSize"),
        ({"statusSize": "2"}, "statusSize"),
        ({"statusSize": 2.0}, "statusSize"),
        ({"statusSize": True}, "statusSize"),
        ({"statusSize": 17}, "statusSize"),
        ({"statusSize": 2}, "statusMessage"),
        ({"statusSize": 2, "statusMessage": _FOUR_MESSAGES[:3]}, "statusMessage"),
        ({"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES, _FOUR_MESSAGES[0]]}, "statusMessage"),
        ({"statusMessage": _FOUR_MESSAGES}, "statusMessage"),
        ({"statusSize": 2, "statusMessage": {"0x0": "a"}}, "statusMessage"),
        ({"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], "x"]}, "statusMessage[3]"),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], {"status": "0x2"}]},
            "statusMessage[3].status",
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], {"status": "0x4"}]},
            "statusMessage[3].status",
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], {"status": "3"}]},
            "statusMessage[3].status",
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], {"status": 3}]},
            "statusMessage[3].status",
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR_MESSAGES[:3], {"status": "0x3"}]},
            "statusMessage[3].message",
        ),
        ({"statusReference": "nope"}, "statusReference"),
        ({"statusReference": []}, "statusReference"),
        ({"statusReference": ["https://a.example/", 7]}, "statusReference"),
    ],
)
def test_malformed_entries_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedValueError) as exc:
        parse_status_entry(_entry(**overrides))
    assert exc.value.problem_type == MALFORMED_VALUE_ERROR
    assert exc.value.detail.startswith(f"credentialStatus.{field}: ")


def test_index_detail_matches_the_documented_wording() -> None:
    with pytest.raises(MalformedValueError) as exc:
        parse_status_entry(_entry(statusListIndex="01"))
    assert exc.value.detail.startswith(
        "credentialStatus.statusListIndex: must be a base-10 integer in a string"
    )


def test_path_prefixes_the_detail() -> None:
    with pytest.raises(MalformedValueError, match=r"^credentialStatus\[2\]\.statusPurpose: "):
        parse_status_entry(_entry(statusPurpose="x"), path="credentialStatus[2]")


@pytest.mark.parametrize("value", [None, "entry", ["entry"], 3])
def test_non_objects_are_refused(value: Any) -> None:
    with pytest.raises(MalformedValueError, match=r"^credentialStatus: must be an object"):
        parse_status_entry(value)


def test_is_bitstring_status_entry() -> None:
    assert is_bitstring_status_entry(_entry())
    assert not is_bitstring_status_entry(_entry(type="StatusList2021Entry"))
    assert not is_bitstring_status_entry("BitstringStatusListEntry")


# --- build_status_entry ----------------------------------------------------------------


def test_build_simple_entry_matches_the_rec_shape() -> None:
    built = build_status_entry(list_url=LIST, index=94567, purpose="revocation")
    credential = json.loads((VECTORS / "example-revocable-vc-unsigned.json").read_text())
    assert built == credential["credentialStatus"]


def test_build_message_entry() -> None:
    built = build_status_entry(
        list_url="https://example.com/credentials/status/8",
        index=492847,
        purpose="message",
        status_size=2,
        status_messages=["pending_review", "accepted", "rejected", "undefined"],
        status_reference="https://example.org/status-dictionary/",
    )
    expected = _message_example()["credentialStatus"]
    expected["statusMessage"].append({"status": "0x3", "message": "undefined"})
    assert built == expected
    assert parse_status_entry(built).message_for(3) == "undefined"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"index": -1},
        {"index": True},
        {"purpose": "expiry"},
        {"list_url": "https://example.com/list#frag"},
        {"list_url": "relative/list"},
        {"status_size": 2},
        {"status_size": 2, "status_messages": ["a", "b", "c"]},
        {"status_messages": "ab"},
        {"status_reference": "not a url"},
    ],
)
def test_build_refuses_what_parse_would_refuse(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"list_url": LIST, "index": 7, "purpose": "suspension"}
    arguments.update(kwargs)
    with pytest.raises(MalformedValueError):
        build_status_entry(**arguments)
