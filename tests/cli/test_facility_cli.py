"""`passport-vc facility import`: the OKW map sample, OKW objects and lists, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from passport_vc.api import create_app
from passport_vc.services.context import open_service
from passport_vc.settings import Settings

EXE = shutil.which("passport-vc", path=str(Path(sys.executable).parent))
SAMPLE = Path(__file__).parent.parent / "okw" / "data" / "okw_map_facilities_sample.json"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PASSPORT_VC_DATA_DIR": str(tmp_path / "var"),
        "PASSPORT_VC_PUBLIC_URL": "https://hub.example",
        "PASSPORT_VC_ADMIN_TOKEN": "cli-admin-token-0123456789",
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "passport-vc is not installed in this environment"
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=env)


def _server(env: dict[str, str]) -> TestClient:
    """The HTTP service over the database the CLI wrote."""
    settings = Settings(
        data_dir=Path(env["PASSPORT_VC_DATA_DIR"]),
        public_url=env["PASSPORT_VC_PUBLIC_URL"],
        admin_token=env["PASSPORT_VC_ADMIN_TOKEN"],
    )
    return TestClient(create_app(ctx=open_service(settings)))


def test_import_the_okw_map_sample(env: dict[str, str]) -> None:
    """The map export imports as four facilities; running it again replaces them."""
    assert run(env, "makerspace", "create", "--name", "OKW Importer").returncode == 0
    out = run(env, "facility", "import", str(SAMPLE), "--makerspace", "okw-importer")
    assert out.returncode == 0, out.stderr
    imported = json.loads(out.stdout)["imported"]
    assert [i["name"] for i in imported] == [
        "Ongola Fablab",
        "Cape Craft and Design Institute",
        "PiNG",
        "IROKO FabLab",
    ]
    assert imported[0]["id"] == "52a0c0f6-c6ed-4ad5-9d13-b685a598a248"
    again = run(env, "facility", "import", str(SAMPLE), "--makerspace", "okw-importer")
    assert json.loads(again.stdout)["imported"] == imported
    with _server(env) as client:
        listed = client.get("/facilities").json()
        assert listed["total"] == 4
        assert {i["country"] for i in listed["items"]} == {"CM", "ZA", "FR", "BJ"}
        assert {i["makerspace"] for i in listed["items"]} == {"okw-importer"}
        shown = client.get(f"/facilities/{imported[3]['id']}").json()["facility"]
        assert shown["location"]["address"]["postcode"] == "00229"


def test_import_okw_objects_and_lists(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "makerspace", "create", "--name", "Lab").returncode == 0
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"name": "Solo", "location": {"country": "KE"}}))
    out = run(env, "facility", "import", str(one), "--makerspace", "lab")
    assert out.returncode == 0, out.stderr
    assert [i["name"] for i in json.loads(out.stdout)["imported"]] == ["Solo"]
    both = tmp_path / "both.json"
    both.write_text(json.dumps([{"name": "Solo"}, {"name": "Duo"}]))
    out = run(env, "facility", "import", str(both), "--makerspace", "lab")
    assert [i["name"] for i in json.loads(out.stdout)["imported"]] == ["Solo", "Duo"]
    with _server(env) as client:
        assert client.get("/facilities").json()["total"] == 2  # Solo was replaced


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (
            [{"name": "ok"}, {"name": "bad", "location": {"country": "KEN"}}],
            "[1].location.country",
        ),
        (
            {"name": "x", "equipment": [{"skillsRequired": [{"skill": "X", "minLevel": 1}]}]},
            "equipment[0].skillsRequired[0].skill",
        ),
        ({"name": "x", "equipment": {"model": "MK4"}}, "equipment"),
        ("just text", "(record)"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    env: dict[str, str], tmp_path: Path, content: object, field: str
) -> None:
    assert run(env, "makerspace", "create", "--name", "Lab").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(content))
    out = run(env, "facility", "import", str(bad), "--makerspace", "lab")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and f"{field}: " in out.stderr
    assert out.stdout == ""
    with _server(env) as client:
        assert client.get("/facilities").json()["total"] == 0


def test_other_failures_exit_2_with_one_line(env: dict[str, str], tmp_path: Path) -> None:
    missing = run(env, "facility", "import", str(tmp_path / "nope.json"), "--makerspace", "lab")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    out = run(env, "facility", "import", str(garbage), "--makerspace", "lab")
    assert out.returncode == 2 and "not JSON" in out.stderr
    out = run(env, "facility", "import", str(SAMPLE), "--makerspace", "no-such-lab")
    assert out.returncode == 2 and "no-such-lab" in out.stderr
