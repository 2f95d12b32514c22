"""`passport-vc verify --did-document FILE`: a qualification check record, signed by the
service's own did:web, verified with no network from the DID document saved beside it. The
record and `/.well-known/did.json` come from the HTTP API; the CLI runs as a user runs it (a
subprocess of the installed script)."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import (  # noqa: F401 (fixtures)
    Hub,
    client,
    ctx,
    hub,
    settings,
)
from tests.service.test_contracts import (  # noqa: F401 (fixtures)
    Parties,
    badges,
    contract,
    full_presentations,
    parties,
    run_check,
    workshop,
)

from passport_vc.dids.documents import build_did_document
from passport_vc.keys import SigningKey

EXE = shutil.which("passport-vc", path=str(Path(sys.executable).parent))
SERVICE_DID = "did:web:hub.example"  # the public URL of the service fixtures


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: the record is the same on either database, and the CLI runs are slow."""
    yield f"sqlite:///{tmp_path / 'passport-vc.sqlite3'}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "passport-vc is not installed in this environment"
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def one_line_error(result: subprocess.CompletedProcess[str], *wanted: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for text in wanted:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def checked(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """A passed check, as GET answers it later."""
    body = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert body["passed"] is True
    stored = client.get(f"/contracts/{contract}/qualification-checks/{body['checkId']}")
    assert stored.status_code == 200, stored.text
    found: dict[str, Any] = stored.json()
    return found


@pytest.fixture
def record_file(tmp_path: Path, checked: dict[str, Any]) -> Path:
    return write(tmp_path / "record.json", checked["recordCredential"])


@pytest.fixture
def service_document(client: TestClient) -> dict[str, Any]:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert document["id"] == SERVICE_DID
    return document


@pytest.fixture
def did_file(tmp_path: Path, service_document: dict[str, Any]) -> Path:
    return write(tmp_path / "did.json", service_document)


def test_the_record_verifies_offline_with_the_service_did_document(
    record_file: Path, did_file: Path, checked: dict[str, Any]
) -> None:
    record = checked["recordCredential"]
    assert record["issuer"] == SERVICE_DID
    assert "credentialStatus" not in record  # so no --status-list is needed for it
    result = run("verify", "--did-document", str(did_file), str(record_file))
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["verified"] is True, answer
    [proof] = answer["results"]["proof"]
    assert proof["controller"] == SERVICE_DID


def test_a_failed_decision_verifies_too(
    client: TestClient, hub: Hub, contract: str, did_file: Path, tmp_path: Path
) -> None:
    """The record says what was decided; a 'not passed' record is just as verifiable."""
    body = run_check(client, hub, contract, {})
    assert body["passed"] is False
    record = write(tmp_path / "failed.json", body["recordCredential"])
    result = run("verify", "--did-document", str(did_file), str(record))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verified"] is True


def test_without_the_did_document_nothing_is_fetched_and_it_does_not_verify(
    record_file: Path,
) -> None:
    result = run("verify", str(record_file))
    assert result.returncode == 1, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["verified"] is False
    details = " ".join(p["detail"] for p in answer["problemDetails"])
    assert SERVICE_DID in details and "--did-document" in details


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "passed"), False),
        (("credentialSubject", "contractId"), "00000000-0000-4000-8000-000000000000"),
        (("validFrom",), "2020-01-01T00:00:00Z"),
    ],
)
def test_a_tampered_record_does_not_verify(
    checked: dict[str, Any], did_file: Path, tmp_path: Path, path: tuple[str, ...], value: Any
) -> None:
    tampered = copy.deepcopy(checked["recordCredential"])
    node = tampered
    for key in path[:-1]:
        node = node[key]
    assert node[path[-1]] != value
    node[path[-1]] = value
    record = write(tmp_path / "tampered.json", tampered)
    result = run("verify", "--did-document", str(did_file), str(record))
    assert result.returncode == 1, result.stdout + result.stderr
    assert json.loads(result.stdout)["verified"] is False


def test_a_proof_naming_a_key_the_document_lacks_does_not_verify(
    checked: dict[str, Any], did_file: Path, tmp_path: Path
) -> None:
    """A forger points the proof at a key of theirs that the service's document lacks."""
    forged = copy.deepcopy(checked["recordCredential"])
    forged["proof"]["verificationMethod"] = f"{SERVICE_DID}#key-forged"
    record = write(tmp_path / "forged.json", forged)
    result = run("verify", "--did-document", str(did_file), str(record))
    assert result.returncode == 1
    details = " ".join(p["detail"] for p in json.loads(result.stdout)["problemDetails"])
    assert "no such method" in details


def test_a_did_document_for_another_did_does_not_verify_the_record(
    record_file: Path, service_document: dict[str, Any], tmp_path: Path
) -> None:
    """The same keys under another DID: the record's issuer is still unresolved."""
    text = json.dumps(service_document).replace(SERVICE_DID, "did:web:other.example")
    other = tmp_path / "other.json"
    other.write_text(text, encoding="utf-8")
    result = run("verify", "--did-document", str(other), str(record_file))
    assert result.returncode == 1, result.stdout + result.stderr
    details = " ".join(p["detail"] for p in json.loads(result.stdout)["problemDetails"])
    assert "no DID document was given" in details


def test_the_right_did_with_another_key_does_not_verify_the_record(
    record_file: Path, tmp_path: Path
) -> None:
    """A document that claims to be the service's DID but carries an impostor's key."""
    impostor = build_did_document(SERVICE_DID, [("key-1", SigningKey.generate().public_key)])
    document = write(tmp_path / "impostor.json", impostor)
    result = run("verify", "--did-document", str(document), str(record_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert json.loads(result.stdout)["verified"] is False


def test_several_documents_may_be_given(record_file: Path, did_file: Path, tmp_path: Path) -> None:
    unrelated = build_did_document(
        "did:web:someone.example", [("key-1", SigningKey.generate().public_key)]
    )
    other = write(tmp_path / "unrelated.json", unrelated)
    result = run(
        "verify", "--did-document", str(other), "--did-document", str(did_file), str(record_file)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_jsonl_uses_the_documents_for_every_line(
    checked: dict[str, Any], did_file: Path, tmp_path: Path
) -> None:
    record = checked["recordCredential"]
    tampered = copy.deepcopy(record)
    tampered["credentialSubject"]["passed"] = False
    lines = json.dumps(record) + "\n" + json.dumps(tampered) + "\n"
    result = subprocess.run(
        [str(EXE), "verify", "--jsonl", "--did-document", str(did_file)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["verified"] for a in answers] == [True, False]


# --- malformed DID document files: exit 2, one line naming the file and the reason ---------


def _method(did: str, fragment: str = "key-1") -> dict[str, Any]:
    return {
        "id": f"{did}#{fragment}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": SigningKey.generate().public_key.multibase,
    }


def _malformed() -> list[tuple[str, str, str]]:
    """(name, file text, a word the error says)."""
    good_method = _method(SERVICE_DID)
    foreign = _method("did:web:elsewhere.example")
    return [
        ("not-json", "{not json", "not valid JSON"),
        ("empty", "", "not valid JSON"),
        ("array", json.dumps([{"id": SERVICE_DID}]), "not a JSON object"),
        ("no-id", json.dumps({"verificationMethod": [good_method]}), "needs an id"),
        ("id-not-a-did", json.dumps({"id": "https://hub.example"}), "not a DID"),
        ("id-a-did-url", json.dumps({"id": SERVICE_DID + "#key-1"}), "fragment"),
        ("id-a-number", json.dumps({"id": 7}), "must be a string"),
        (
            "duplicate-key",
            f'{{"id": "{SERVICE_DID}", "id": "did:web:other.example"}}',
            "duplicate key",
        ),
        (
            "foreign-method",
            json.dumps({"id": SERVICE_DID, "verificationMethod": [foreign]}),
            "not a verification method of " + SERVICE_DID,
        ),
        (
            "foreign-controller",
            json.dumps(
                {
                    "id": SERVICE_DID,
                    "verificationMethod": [
                        {**good_method, "controller": "did:web:elsewhere.example"}
                    ],
                }
            ),
            "controller",
        ),
        (
            "foreign-reference",
            json.dumps(
                {
                    "id": SERVICE_DID,
                    "verificationMethod": [good_method],
                    "assertionMethod": ["did:web:elsewhere.example#key-1"],
                }
            ),
            "assertionMethod[0]",
        ),
        (
            "method-not-an-object",
            json.dumps({"id": SERVICE_DID, "verificationMethod": ["#key-1"]}),
            "verificationMethod[0]",
        ),
        (
            "relationship-not-a-list",
            json.dumps({"id": SERVICE_DID, "assertionMethod": 5}),
            "assertionMethod",
        ),
        (
            "did-key",
            json.dumps({"id": SigningKey.generate().did_key}),
            "did:key",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "text", "reason"), [pytest.param(*case, id=case[0]) for case in _malformed()]
)
def test_a_malformed_did_document_is_exit_2_with_one_line_naming_the_file(
    record_file: Path, tmp_path: Path, name: str, text: str, reason: str
) -> None:
    bad = tmp_path / f"{name}.json"
    bad.write_text(text, encoding="utf-8")
    result = run("verify", "--did-document", str(bad), str(record_file))
    one_line_error(result, str(bad), reason)


def test_a_missing_or_unreadable_file_is_exit_2(record_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    one_line_error(run("verify", "--did-document", str(missing), str(record_file)), str(missing))
    one_line_error(run("verify", "--did-document", str(tmp_path), str(record_file)), str(tmp_path))


def test_two_documents_for_one_did_are_exit_2(
    record_file: Path, did_file: Path, tmp_path: Path
) -> None:
    impostor = build_did_document(SERVICE_DID, [("key-1", SigningKey.generate().public_key)])
    second = write(tmp_path / "second.json", impostor)
    result = run(
        "verify", "--did-document", str(did_file), "--did-document", str(second), str(record_file)
    )
    one_line_error(result, str(second), "a second DID document for")
