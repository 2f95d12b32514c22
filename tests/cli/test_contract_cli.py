"""`passport-vc contract check`, run as an operator runs it: the same settings (data dir,
database, master key) as a server that issued the badges, created the contract and handed out
the challenges. Exit 0 passed, 1 failed, 2 bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.test_qualifications import new_challenge, present

from passport_vc.api import create_app
from passport_vc.keys import SigningKey
from passport_vc.services.context import open_service
from passport_vc.settings import Settings

EXE = shutil.which("passport-vc", path=str(Path(sys.executable).parent))
ADMIN_TOKEN = "cli-admin-token-0123456789"
PUBLIC_URL = "https://hub.example"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_VC_")}
    return {
        **clean,
        "PASSPORT_VC_DATA_DIR": str(tmp_path / "var"),
        "PASSPORT_VC_PUBLIC_URL": PUBLIC_URL,
        "PASSPORT_VC_ADMIN_TOKEN": ADMIN_TOKEN,
    }


@pytest.fixture
def server(tmp_path: Path, env: dict[str, str]) -> Iterator[TestClient]:
    """The HTTP service on the same data directory (and so database and master key)."""
    settings = Settings(
        data_dir=tmp_path / "var",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
    )
    ctx = open_service(settings)
    try:
        with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
            yield client
    finally:
        ctx.close()


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "passport-vc is not installed in this environment"
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=env)


@dataclass
class Setup:
    contract: str
    maker: SigningKey
    badge: dict[str, Any]


@pytest.fixture
def setup(server: TestClient) -> Setup:
    created = server.post(
        "/makerspaces",
        json={"name": "Fablab Winam"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert created.status_code == 201, created.text
    auth = {"Authorization": f"Bearer {created.json()['api_key']}"}
    maker = SigningKey.generate()
    issued = server.post(
        f"/makerspaces/{created.json()['slug']}/badges",
        json={"holder": maker.did_key, "skill": "CNC-ROUTER", "level": 3},
        headers=auth,
    )
    assert issued.status_code == 201, issued.text
    contract = server.post(
        "/contracts",
        json={
            "item": {"name": "Plywood stools"},
            "totalQuantity": 20,
            "parties": [
                {"did": "did:web:buyer.example", "role": "buyer"},
                {"did": maker.did_key, "role": "manufacturer", "allocatedQuantity": 20},
            ],
            "requirements": {"manufacturer": [{"skill": "CNC-ROUTER", "minLevel": 2}]},
        },
        headers=auth,
    )
    assert contract.status_code == 201, contract.text
    return Setup(contract.json()["id"], maker, issued.json()["verifiableCredential"])


def _write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_party_that_qualifies_passes_and_a_replay_fails(
    env: dict[str, str], server: TestClient, setup: Setup, tmp_path: Path
) -> None:
    vp = present(setup.maker, [setup.badge], new_challenge(server))
    file = _write(tmp_path / "maker.json", vp)

    passed = run(env, "contract", "check", setup.contract, file)
    assert passed.returncode == 0, passed.stderr
    outcome = json.loads(passed.stdout)
    assert outcome["passed"] is True
    [maker] = [p for p in outcome["parties"] if p["did"] == setup.maker.did_key]
    assert maker["requirements"][0]["achievedLevel"] == 3
    record = outcome["recordCredential"]
    assert record["issuer"] == "did:web:hub.example"
    verified = server.post("/credentials/verify", json={"verifiableCredential": record})
    assert verified.status_code == 200, verified.text
    latest = server.get(f"/contracts/{setup.contract}/qualification-checks/latest")
    assert latest.json()["checkId"] == outcome["checkId"]

    replay = run(env, "contract", "check", setup.contract, file)
    assert replay.returncode == 1, replay.stderr
    [maker] = [p for p in json.loads(replay.stdout)["parties"] if p["did"] == setup.maker.did_key]
    assert maker["requirements"][0]["reason"] == "presentation-invalid"


def test_bad_input_exits_2(
    env: dict[str, str], server: TestClient, setup: Setup, tmp_path: Path
) -> None:
    good = _write(tmp_path / "good.json", present(setup.maker, [setup.badge], "unused"))
    stranger = SigningKey.generate()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    cases = {
        "no such file": (setup.contract, str(tmp_path / "missing.json")),
        "not JSON": (setup.contract, str(bad)),
        "not a presentation": (setup.contract, _write(tmp_path / "list.json", [1, 2])),
        "not a party": (
            setup.contract,
            _write(tmp_path / "stranger.json", present(stranger, [], "unused")),
        ),
        "unknown contract": ("00000000-0000-0000-0000-000000000000", good),
        "two by one holder": (setup.contract, good, good),
    }
    for name, args in cases.items():
        out = run(env, "contract", "check", *args)
        assert out.returncode == 2, (name, out.stdout, out.stderr)
        assert out.stderr.startswith("passport-vc: "), (name, out.stderr)
        assert out.stdout == "", name
    assert server.get(f"/contracts/{setup.contract}/qualification-checks/latest").status_code == 404
