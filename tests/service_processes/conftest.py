"""The real server in child processes: `passport-vc serve` with several uvicorn workers on a
fresh PostgreSQL database (when PASSPORT_VC_TEST_POSTGRES_URL is set), and with one worker on
SQLite. The fixtures start it, wait until every worker answers, and kill its process group."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from passport_vc.status import BitstringStatusList

# The server-process helpers live beside the benchmark, which starts the server the same way.
sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from serve_process import ServiceProcess
from serve_process import start_service as _start_service

PG_URL = os.environ.get("PASSPORT_VC_TEST_POSTGRES_URL")
PG_SKIP_REASON = (
    "PASSPORT_VC_TEST_POSTGRES_URL is not set: the multi-worker PostgreSQL server tests need "
    "a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/test)"
)
ADMIN_TOKEN = "process-admin-token-0123456789"
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
def start_service(
    data_dir: Path, database_url: str, *, workers: int, extra_env: dict[str, str] | None = None
) -> ServiceProcess:
    return _start_service(
        data_dir,
        database_url,
        workers=workers,
        admin_token=ADMIN_TOKEN,
        master_key="A" * 43,
        # These tests fire thousands of badges with one key at once: the race, not the limit.
        extra_env={"PASSPORT_VC_RATE_LIMITS_ENABLED": "false", **(extra_env or {})},
    )


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server, dropped (even if in use) at the end."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    import psycopg

    name = f"pvc_proc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def postgresql_service(
    postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """Four uvicorn workers sharing one PostgreSQL database."""
    service = start_service(tmp_path_factory.mktemp("pg-service"), postgres_database, workers=4)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def sqlite_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """One worker on an SQLite file."""
    data_dir = tmp_path_factory.mktemp("sqlite-service")
    url = f"sqlite:///{data_dir / 'passport-vc.sqlite3'}"
    service = start_service(data_dir, url, workers=1)
    try:
        yield service
    finally:
        service.stop()


# --- HTTP helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hub:
    slug: str
    did: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def register(service: ServiceProcess, name: str) -> Hub:
    response = httpx.post(
        f"{service.base_url}/makerspaces",
        json={"name": name},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Hub(body["slug"], body["did"], body["api_key"])


def badge_body(i: int) -> dict[str, Any]:
    skills = ("LASER-CUT", "FDM-PRINT", "SOLDER-THT")
    return {"holder": HOLDER, "skill": skills[i % len(skills)], "level": 1 + i % 4}


def get_json(service: ServiceProcess, path: str, headers: dict[str, str]) -> Any:
    response = httpx.get(f"{service.base_url}{path}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def post_concurrently(
    service: ServiceProcess,
    requests: Sequence[tuple[str, dict[str, Any], dict[str, str]]],
    concurrency: int = 32,
) -> list[Answer]:
    """POST each (path, json, headers) with `concurrency` keep-alive connections, each sending
    its next request when the last is answered; the answers come back in request order.

    A few lines of asyncio HTTP/1.1 rather than httpx: the client shares the CPUs with the
    server's workers, and httpx spends more CPU per request than the server's signing does.
    """
    answers: list[Answer | None] = [None] * len(requests)
    next_item = iter(range(len(requests)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", service.port, limit=1 << 26)
        try:
            for i in next_item:
                path, body, headers = requests[i]
                payload = json.dumps(body).encode()
                head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{service.port}"]
                head += [f"{name}: {value}" for name, value in headers.items()]
                head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                status, content = await _read_response(reader)
                answers[i] = Answer(status, json.loads(content) if content else None)
        finally:
            writer.close()

    async def run() -> None:
        await asyncio.wait_for(
            asyncio.gather(*(connection() for _ in range(min(concurrency, len(requests))))),
            timeout=300,
        )

    asyncio.run(run())
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")
        return status, b"".join(chunks)
    return status, await reader.readexactly(int(headers.get("content-length", "0")))


def issue_concurrently(
    service: ServiceProcess, hub: Hub, count: int, concurrency: int = 32
) -> list[Answer]:
    path = f"/makerspaces/{hub.slug}/badges"
    return post_concurrently(
        service, [(path, badge_body(i), hub.auth) for i in range(count)], concurrency
    )


def status_entries(credential: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """purpose: (status list URL, index) of a credential's BitstringStatusListEntry items."""
    entries = credential["credentialStatus"]
    assert isinstance(entries, list) and len(entries) == 2, entries
    out = {}
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry", entry
        index = entry["statusListIndex"]
        assert isinstance(index, str) and re.fullmatch(r"0|[1-9][0-9]*", index), entry
        out[entry["statusPurpose"]] = (entry["statusListCredential"], int(index))
    assert set(out) == {"revocation", "suspension"}, entries
    return out


@dataclass(frozen=True)
class ServedList:
    etag: str
    body: bytes
    credential: dict[str, Any]
    bits: BitstringStatusList


def fetch_list(url: str) -> ServedList:
    """GET a status list; its bits decoded from credentialSubject.encodedList."""
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    credential = response.json()
    bits = BitstringStatusList.decode(credential["credentialSubject"]["encodedList"])
    return ServedList(response.headers["etag"], response.content, credential, bits)


# --- which worker holds a connection -----------------------------------------------------------


def _tcp_inodes(server_port: int) -> dict[int, int]:
    """Remote (client) port -> socket inode, for established sockets on the server port."""
    out: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server_port and fields[3] == "01":  # 01: ESTABLISHED
                out[remote_port] = int(fields[9])
    return out


def connection_owners(service: ServiceProcess, client_ports: Sequence[int]) -> dict[int, int]:
    """client port -> pid of the worker holding the server side of that open connection."""
    inodes = _tcp_inodes(service.port)
    socket_owner: dict[int, int] = {}
    for pid in service.worker_pids():
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                socket_owner[int(target[8:-1])] = pid
    return {
        port: socket_owner[inodes[port]]
        for port in client_ports
        if port in inodes and inodes[port] in socket_owner
    }
