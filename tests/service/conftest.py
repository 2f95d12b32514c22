"""Fixtures for the service: a fresh database per test on SQLite and, when
PASSPORT_VC_TEST_POSTGRES_URL is set, on PostgreSQL too (each xdist worker gets its own
PostgreSQL database, emptied between tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from passport_vc.api import create_app
from passport_vc.services.context import ServiceContext, open_service
from passport_vc.settings import Settings

PG_URL = os.environ.get("PASSPORT_VC_TEST_POSTGRES_URL")
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
TABLES = (
    "audit_event, challenge, idempotency_key, status_entry, credential, status_list, "
    "signing_key, "
    "trusted_issuer, equipment_operator, qualification_check, equipment, facility_tag, "
    "facility, contract, status_list_copy, share_link, makerspace"
)


def _admin_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[str | None]:
    """A database of this worker's own on the PostgreSQL server, dropped at the end."""
    if not PG_URL:
        yield None
        return
    name = f"pvc_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'passport-vc.sqlite3'}"
        return
    assert postgres_database is not None
    engine = create_engine(_admin_url(postgres_database))
    with engine.begin() as connection:
        exists = connection.execute(text("SELECT to_regclass('public.makerspace')")).scalar()
        if exists:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield postgres_database


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "database_url": database_url,
        "public_url": "https://hub.example",
        "admin_token": "test-admin-token-0123456789",
        "master_key": "A" * 43,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[ServiceContext]:
    opened = open_service(settings)
    yield opened
    opened.close()


@pytest.fixture
def client(ctx: ServiceContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as test_client:
        yield test_client


ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}


@dataclass
class Hub:
    slug: str
    did: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def register(client: TestClient, name: str, **extra: Any) -> Hub:
    response = client.post("/makerspaces", json={"name": name, **extra}, headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    return Hub(body["slug"], body["did"], body["api_key"])


@pytest.fixture
def hub(client: TestClient) -> Hub:
    return register(client, "Fablab Cotonou", url="https://fablab-cotonou.example")


@pytest.fixture
def other_hub(client: TestClient) -> Hub:
    return register(client, "Makerspace Berlin")


def issue_badge(client: TestClient, hub: Hub, **fields: Any) -> dict[str, Any]:
    body = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3, **fields}
    response = client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential
