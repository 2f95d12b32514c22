"""The passport-vc command line, run as a user runs it (a subprocess of the installed script)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXE = shutil.which("passport-vc", path=str(Path(sys.executable).parent))


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    assert EXE, "passport-vc is not installed in this environment"
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def key() -> dict[str, str]:
    out = run("keygen")
    assert out.returncode == 0
    data: dict[str, str] = json.loads(out.stdout)
    assert data["did"] == "did:key:" + data["publicKeyMultibase"]
    assert data["verificationMethod"] == f"{data['did']}#{data['publicKeyMultibase']}"
    assert data["secretKeyMultibase"].startswith("z3u2")
    return data


def credential(issuer: str, n: int = 0) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:maker", "name": f"maker {n}"},
    }


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_sign_then_verify(key: dict[str, str], tmp_path: Path, suite: str) -> None:
    src = tmp_path / "vc.json"
    src.write_text(json.dumps(credential(key["did"])))
    signed = run("sign", "--key", key["secretKeyMultibase"], "--suite", suite, str(src))
    assert signed.returncode == 0, signed.stderr
    doc = json.loads(signed.stdout)
    assert doc["proof"]["cryptosuite"] == suite
    ok = run("verify", "-", stdin=signed.stdout)
    assert ok.returncode == 0 and json.loads(ok.stdout)["verified"] is True
    doc["credentialSubject"]["name"] = "someone else"
    bad = run("verify", "-", stdin=json.dumps(doc))
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["verified"] is False


def test_presentation_with_challenge(key: dict[str, str]) -> None:
    vc = json.loads(
        run(
            "sign",
            "--key",
            key["secretKeyMultibase"],
            "-",
            stdin=json.dumps(credential(key["did"])),
        ).stdout
    )
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": key["did"],
        "verifiableCredential": [vc],
    }
    signed = run(
        "sign",
        "--key",
        key["secretKeyMultibase"],
        "--challenge",
        "c1",
        "--domain",
        "d.example",
        "-",
        stdin=json.dumps(vp),
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["proof"]["proofPurpose"] == "authentication"
    assert (
        run(
            "verify", "--challenge", "c1", "--domain", "d.example", "-", stdin=signed.stdout
        ).returncode
        == 0
    )
    assert (
        run(
            "verify", "--challenge", "c2", "--domain", "d.example", "-", stdin=signed.stdout
        ).returncode
        == 1
    )


def test_bad_input_exits_2_with_one_line(key: dict[str, str], tmp_path: Path) -> None:
    for args, stdin in [
        (("verify", str(tmp_path / "missing.json")), ""),
        (("verify", "-"), "{not json"),
        (("sign", "--key", "z3u2notakey", "-"), json.dumps(credential(key["did"]))),
        (
            ("sign", "--key", key["secretKeyMultibase"], "-"),
            json.dumps(credential("did:example:someone-else")),
        ),
        (("sign", "-"), json.dumps(credential(key["did"]))),
    ]:
        out = run(*args, stdin=stdin)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert key["secretKeyMultibase"] not in out.stderr + out.stdout


def test_jsonl_batches_keep_order_and_report_each_line(key: dict[str, str]) -> None:
    lines = [json.dumps(credential(key["did"], n)) for n in range(25)]
    signed = run(
        "sign", "--jsonl", "--key", key["secretKeyMultibase"], stdin="\n".join(lines) + "\n"
    )
    assert signed.returncode == 0, signed.stderr
    out = signed.stdout.splitlines()
    assert [json.loads(o)["id"] for o in out] == [json.loads(i)["id"] for i in lines]
    verified = run("verify", "--jsonl", stdin=signed.stdout)
    assert verified.returncode == 0
    assert all(json.loads(o)["verified"] for o in verified.stdout.splitlines())
    mixed = [*out[:3], "{broken", *out[3:5]]
    result = run("verify", "--jsonl", stdin="\n".join(mixed) + "\n")
    assert result.returncode == 1
    assert [json.loads(o)["verified"] for o in result.stdout.splitlines()] == [
        True,
        True,
        True,
        False,
        True,
        True,
    ]
    bad_sign = run(
        "sign",
        "--jsonl",
        "--key",
        key["secretKeyMultibase"],
        stdin=lines[0] + "\n{broken\n" + lines[1] + "\n",
    )
    assert bad_sign.returncode == 2
    assert len(bad_sign.stdout.splitlines()) == 3 and "error" in json.loads(
        bad_sign.stdout.splitlines()[1]
    )


def test_skills_listing() -> None:
    out = run("skills", "--search", "laser", "--json")
    assert out.returncode == 0
    codes = [s["code"] for s in json.loads(out.stdout)]
    assert codes and "LASER" in codes[0]
    cat = run("skills", "--category", "electronics")
    assert cat.returncode == 0 and len(cat.stdout.splitlines()) >= 5
    assert run("skills", "--category", "no-such-category").returncode == 2
