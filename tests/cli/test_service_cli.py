"""The service commands of the CLI, run as an operator runs them, sharing settings with the
server: a makerspace created on the command line issues over HTTP, and the reverse."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import HOLDER

from passport_vc.api import create_app
from passport_vc.services.context import open_service
from passport_vc.settings import load_settings

EXE = shutil.which("passport-vc", path=str(Path(sys.executable).parent))
ADMIN_TOKEN = "cli-admin-token-0123456789"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PASSPORT_VC_DATA_DIR": str(tmp_path / "var"),
        "PASSPORT_VC_PUBLIC_URL": "https://hub.example",
        "PASSPORT_VC_ADMIN_TOKEN": ADMIN_TOKEN,
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "passport-vc is not installed in this environment"
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=env)


def _server(env: dict[str, str]) -> TestClient:
    """The HTTP service with the same environment as the CLI runs."""
    settings_env = {k: v for k, v in env.items() if k.startswith("PASSPORT_VC_")}
    saved = {k: os.environ.get(k) for k in settings_env}
    os.environ.update(settings_env)
    try:
        ctx = open_service(load_settings())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return TestClient(create_app(ctx=ctx))


def test_makerspace_created_on_the_cli_issues_over_http(env: dict[str, str]) -> None:
    """`makerspace create` prints {id, slug, did, api_key}; the key works against the server."""
    out = run(env, "makerspace", "create", "--name", "Fablab Winam", "--url", "https://winam.example")
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert set(created) == {"id", "slug", "did", "api_key"}
    assert created["slug"] == "fablab-winam"
    assert created["did"] == "did:web:hub.example:makerspaces:fablab-winam"
    master_key = Path(env["PASSPORT_VC_DATA_DIR"]) / "master.key"
    assert master_key.stat().st_mode & 0o077 == 0
    with _server(env) as client:
        response = client.post(
            "/makerspaces/fablab-winam/badges",
            json={"holder": HOLDER, "skill": "FDM-PRINT", "level": 2},
            headers={"Authorization": f"Bearer {created['api_key']}"},
        )
        assert response.status_code == 201, response.text
        badge = response.json()["verifiableCredential"]
        assert client.post("/credentials/verify", json={"verifiableCredential": badge}).json()[
            "verified"
        ]


def test_bad_input_exits_2_with_one_line(env: dict[str, str]) -> None:
    """A bad slug or a duplicate makerspace is exit status 2 and one line on stderr."""
    bad = run(env, "makerspace", "create", "--name", "X", "--slug", "Not A Slug")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "slug" in bad.stderr
    assert run(env, "makerspace", "create", "--name", "Twice").returncode == 0
    again = run(env, "makerspace", "create", "--name", "Twice")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_rotate_and_retire_key(env: dict[str, str]) -> None:
    """rotate-key adds key-2 (key-1 stays published); retire-key removes key-1."""
    assert run(env, "makerspace", "create", "--name", "Rotator").returncode == 0
    rotated = run(env, "makerspace", "rotate-key", "rotator")
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["verificationMethod"].endswith("#key-2")
    with _server(env) as client:
        document = client.get("/makerspaces/rotator/did.json").json()
        assert [m["id"].split("#")[1] for m in document["verificationMethod"]] == ["key-1", "key-2"]
    assert run(env, "makerspace", "retire-key", "rotator", "key-2").returncode == 2
    assert run(env, "makerspace", "retire-key", "rotator", "key-1").returncode == 0
    with _server(env) as client:
        document = client.get("/makerspaces/rotator/did.json").json()
        assert [m["id"].split("#")[1] for m in document["verificationMethod"]] == ["key-2"]


def test_issue_batch_from_csv(env: dict[str, str], tmp_path: Path) -> None:
    """issue-batch issues good rows, reports bad ones by row and field, exits 1 if any failed."""
    assert run(env, "makerspace", "create", "--name", "Batcher").returncode == 0
    csv_file = tmp_path / "badges.csv"
    lines = ["holder,skill,level,holderName"]
    lines += [f"{HOLDER},LASER-CUT,{1 + i % 4},Maker {i}" for i in range(25)]
    lines.append(f"{HOLDER},NO-SUCH-SKILL,2,Bad")
    csv_file.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.json"
    out = run(env, "issue-batch", str(csv_file), "--makerspace", "batcher", "--output", str(report))
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"total": 26, "issued": 25, "failed": 1}
    assert "row 26: skill: unknown skill 'NO-SUCH-SKILL'" in out.stderr
    results = json.loads(report.read_text())["results"]
    assert results[0]["verifiableCredential"]["credentialSubject"]["id"] == HOLDER
    missing = run(env, "issue-batch", str(tmp_path / "nope.csv"), "--makerspace", "batcher")
    assert missing.returncode == 2


def test_demo_is_idempotent(env: dict[str, str]) -> None:
    """`demo` seeds once; a second run answers the same makerspace and badges."""
    first = run(env, "demo")
    assert first.returncode == 0, first.stderr
    second = run(env, "demo")
    assert json.loads(first.stdout) == json.loads(second.stdout)
    with _server(env) as client:
        listed = client.get("/makerspaces").json()["makerspaces"]
        assert [m["slug"] for m in listed] == ["demo-fablab"]
