"""A worker killed with SIGKILL in the middle of a batch issuance, on PostgreSQL with two
uvicorn workers: every row is either stored whole (credential, both status entries, audit
event, idempotency key) or not at all; the supervisor brings the workers back by itself; and
the batch sent again under its Idempotency-Key completes without a single duplicate."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from .conftest import ServiceProcess, register, start_service

ROWS = 4_000
KEY = "crash-test-batch-1"


@pytest.fixture(scope="module")
def service(
    postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    started = start_service(tmp_path_factory.mktemp("crash"), postgres_database, workers=2)
    try:
        yield started
    finally:
        started.stop()


def counts(url: str) -> dict[str, int]:
    queries = {
        "credentials": "SELECT count(*) FROM credential",
        "entries": "SELECT count(*) FROM status_entry",
        "issue_events": "SELECT count(*) FROM audit_event WHERE action = 'credential.issue'",
        "keys": "SELECT count(*) FROM idempotency_key",
        "holders": "SELECT count(DISTINCT holder) FROM credential",
        # A credential without exactly one entry per purpose would be a partial write.
        "partial": "SELECT count(*) FROM (SELECT c.id FROM credential c LEFT JOIN status_entry"
        " e ON e.credential_id = c.id GROUP BY c.id HAVING count(e.idx) <> 2) AS broken",
        "unkeyed": "SELECT count(*) FROM credential c WHERE NOT EXISTS"
        " (SELECT 1 FROM idempotency_key k WHERE k.credential_id = c.id)",
    }
    with psycopg.connect(url) as connection:
        return {
            name: int(connection.execute(query).fetchone()[0])  # type: ignore[index]
            for name, query in queries.items()
        }


def wait_healthy(service: ServiceProcess, seconds: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if httpx.get(f"{service.base_url}/health", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the service did not come back within {seconds} s")


def test_a_worker_killed_mid_batch_leaves_whole_rows_and_the_batch_resumes(
    service: ServiceProcess, postgres_database: str
) -> None:
    hub = register(service, "Fablab Crash Test")
    rows = [
        {"holder": f"did:web:makers.example:m{i}", "skill": "FDM-PRINT", "level": 1 + i % 4}
        for i in range(ROWS)
    ]
    path = f"{service.base_url}/makerspaces/{hub.slug}/badges/batch"
    headers = {**hub.auth, "Idempotency-Key": KEY}
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["status"] = httpx.post(
                path, json={"rows": rows}, headers=headers, timeout=300
            ).status_code
        except httpx.HTTPError as exc:
            outcome["error"] = type(exc).__name__

    client = threading.Thread(target=send)
    client.start()
    deadline = time.monotonic() + 240
    while counts(postgres_database)["credentials"] == 0:
        assert time.monotonic() < deadline, "the batch never stored its first chunk"
        assert client.is_alive(), f"the batch ended before the kill: {outcome}"
        time.sleep(0.02)
    workers = service.worker_pids()
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    client.join(timeout=60)
    assert "status" not in outcome, f"the killed request was answered: {outcome}"

    # Each row stored whole, or not at all.
    after_kill = counts(postgres_database)
    stored = after_kill["credentials"]
    print(f"killed with {stored} of {ROWS} rows stored: {after_kill}")
    assert 0 < stored < ROWS, after_kill
    assert after_kill["partial"] == 0 and after_kill["unkeyed"] == 0
    assert after_kill["entries"] == 2 * stored
    assert after_kill["issue_events"] == after_kill["keys"] == stored

    # The supervisor restarts the workers; the same batch, same key, completes it.
    wait_healthy(service)
    assert sorted(service.worker_pids()) != sorted(workers)
    resumed = httpx.post(path, json={"rows": rows}, headers=headers, timeout=300)
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["issued"] == ROWS and body["failed"] == 0
    assert sum(1 for r in body["results"] if r.get("replayed")) == stored

    final = counts(postgres_database)
    assert final["credentials"] == final["holders"] == final["keys"] == ROWS
    assert final["entries"] == 2 * ROWS and final["partial"] == 0
    assert final["issue_events"] == ROWS
