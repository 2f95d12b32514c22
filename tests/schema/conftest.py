"""The service under Schemathesis: one seeded database per backend (SQLite, and PostgreSQL when
PASSPORT_VC_TEST_POSTGRES_URL is set) that every fuzzed operation of the module shares, the
credentials to call it with, and the ids of real objects for the path parameters."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.hostile.network import NetworkGuard, install
from tests.service.conftest import ADMIN, PG_URL, _admin_url, make_settings
from tests.service.test_qualifications import LASER_TYPE, present

from passport_vc.api import create_app
from passport_vc.keys import SigningKey
from passport_vc.services.context import open_service
from passport_vc.settings import Settings

BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
SLUG = "fuzz-lab"
# A fixed key, so the maker's DID (and so every generated case that names it) is the same
# on every run.
MAKER = SigningKey(bytes(range(32)))
TRUSTED = "did:web:trusted.example"


def fuzz_settings(data_dir: Path, database_url: str) -> Settings:
    """The test settings, with the rate limits off: fuzzing is not abuse, and a 429 after the
    burst would hide what the later cases would have found. The did:web allowlist names a
    host that does not exist, so no generated DID is ever fetched (the network guard fails
    the test if something tries)."""
    return make_settings(
        data_dir,
        database_url,
        rate_limits_enabled=False,
        did_web_allowlist=["allowlisted.invalid"],
    )


def openapi_document() -> dict[str, Any]:
    """The schema /openapi.json serves, built without opening a database (the lifespan, which
    opens one, does not run for `openapi()`)."""
    scratch = Path(tempfile.gettempdir()) / "passport-vc-schema-unused"
    app = create_app(fuzz_settings(scratch, f"sqlite:///{scratch / 'never-opened.sqlite3'}"))
    document: dict[str, Any] = app.openapi()
    return document


@dataclass
class FuzzTarget:
    """The application under test and what a case needs to reach real objects in it."""

    app: FastAPI
    api_key: str
    guard: NetworkGuard
    # Parameter name -> values naming objects that exist (a credential's UUID, a facility's
    # id, the maker's DID, a live share token...).
    known: dict[str, list[Any]]

    def headers_for(self, method: str, path: str) -> dict[str, str]:
        """The admin token for the admin operations; the makerspace's API key for every other
        one (those that do not take a key ignore it; share links and machine checks accept
        one instead of a presentation, so the key reaches their deeper paths)."""
        if path.startswith("/admin/") or (method.upper(), path) == ("POST", "/makerspaces"):
            return dict(ADMIN)
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own: a file on SQLite, a fresh database on PostgreSQL
    (dropped at the end)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz-sqlite') / 'passport-vc.sqlite3'}"
        return
    assert PG_URL is not None
    name = f"pvc_schema_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _seed(client: TestClient) -> tuple[str, dict[str, list[Any]]]:
    """A makerspace with a badge, a facility with a machine, a machine check, a contract with
    a qualification check, a share link and a trusted issuer; (API key, known ids)."""
    registered = _created(
        client.post(
            "/makerspaces",
            json={"name": "Fuzz Lab", "slug": SLUG, "url": "https://fuzz-lab.example"},
            headers=ADMIN,
        )
    )
    key: str = registered["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    badge = {"holder": MAKER.did_key, "skill": "LASER-CUT", "level": 3}
    credential = _created(client.post(f"/makerspaces/{SLUG}/badges", json=badge, headers=auth))[
        "verifiableCredential"
    ]
    credential_uuid = credential["id"].rsplit("/", 1)[1]
    list_ids = sorted(
        {
            int(entry["statusListCredential"].rsplit("/", 1)[1])
            for entry in credential["credentialStatus"]
        }
    )
    facility = _created(
        client.post(
            f"/makerspaces/{SLUG}/facilities",
            json={
                "name": "Fuzz Lab workshop",
                "location": {"address": {"city": "Cotonou", "country": "BJ"}},
                "equipment": [
                    {
                        "equipmentType": LASER_TYPE,
                        "skillsRequired": [{"skill": "LASER-CUT", "minLevel": 2}],
                    }
                ],
            },
            headers=auth,
        )
    )
    facility_id: str = facility["id"]
    equipment_id: str = facility["facility"]["equipment"][0]["id"]
    challenge = _created(client.post("/challenges"))["challenge"]
    machine_check = _created(
        client.post(
            f"/equipment/{equipment_id}/authorisations/check",
            json={
                "verifiablePresentation": present(MAKER, [credential], challenge),
                "options": {"challenge": challenge},
            },
        )
    )
    contract = _created(
        client.post(
            "/contracts",
            json={
                "item": {"name": "Fuzzed enclosure"},
                "totalQuantity": 1,
                "parties": [
                    {"did": registered["did"], "role": "initiator"},
                    {"did": MAKER.did_key, "role": "manufacturer", "allocatedQuantity": 1},
                ],
                "requirements": {"manufacturer": [{"skill": "LASER-CUT", "minLevel": 2}]},
            },
            headers=auth,
        )
    )
    contract_id: str = contract["id"]
    contract_check = _created(
        client.post(f"/contracts/{contract_id}/qualification-checks", json={}, headers=auth)
    )
    links = f"/passports/{quote(MAKER.did_key, safe='')}/share-links"
    # Two links: the fuzzed DELETE may revoke the first; the second's token stays live for
    # the passport reads that come after it.
    revocable = _created(client.post(links, json={}, headers=auth))
    kept = _created(client.post(links, json={}, headers=auth))
    _created(
        client.post(
            "/admin/trusted-issuers", json={"did": TRUSTED, "name": "Trusted"}, headers=ADMIN
        )
    )
    known: dict[str, list[Any]] = {
        "credential_id": [credential_uuid],
        "list_id": list_ids,
        "code": ["LASER-CUT"],
        "facility_id": [facility_id],
        "equipment_id": [equipment_id],
        "check_id": [machine_check["checkId"], contract_check["checkId"]],
        "contract_id": [contract_id],
        "did": [MAKER.did_key, TRUSTED],
        "link_id": [revocable["id"]],
        "token": [kept["url"].split("token=", 1)[1]],
        "holder": [MAKER.did_key],
    }
    return key, known


@pytest.fixture(scope="module")
def fuzz_target(
    fuzz_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzTarget]:
    """The seeded application, with every connection and name lookup refused (but the test
    database's) for the whole module."""
    settings = fuzz_settings(tmp_path_factory.mktemp("fuzz-data"), fuzz_database)
    ctx = open_service(settings)
    patcher = pytest.MonkeyPatch()
    try:
        guard = install(patcher)
        app = create_app(ctx=ctx)
        with TestClient(app, raise_server_exceptions=False) as client:
            api_key, known = _seed(client)
        assert guard.attempts == [], guard.attempts
        yield FuzzTarget(app=app, api_key=api_key, guard=guard, known=known)
    finally:
        patcher.undo()
        ctx.close()
