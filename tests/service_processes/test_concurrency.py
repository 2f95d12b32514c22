"""Concurrency against the real server: parallel issuance gets unique status indices, concurrent
revocations all land in the served lists, and every worker serves the same list bytes.

The PostgreSQL tests run four uvicorn workers (separate processes, each with its own caches
and connection pool) on one database; the SQLite test runs one worker with its thread pool.
"""

from __future__ import annotations

import http.client
import random
import threading
from typing import Any

import pytest
from tests.service_processes.conftest import (
    Answer,
    Hub,
    ServiceProcess,
    badge_body,
    connection_owners,
    fetch_list,
    get_json,
    issue_concurrently,
    post_concurrently,
    register,
    status_entries,
)

LIST_LENGTH = 131_072


def revocation(credential: dict[str, Any], hub: Hub) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The POST /credentials/status request that revokes `credential`."""
    body = {
        "credentialId": credential["id"],
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
    }
    return "/credentials/status", body, hub.auth


def _issued_credentials(answers: list[Answer]) -> list[dict[str, Any]]:
    failures = [a for a in answers if a.status != 201]
    assert not failures, f"{len(failures)} requests failed, e.g. {failures[:3]}"
    return [a.body["verifiableCredential"] for a in answers]


@pytest.mark.parametrize(
    ("backend", "count"), [("postgresql", 2000), ("sqlite", 300)], ids=["postgresql", "sqlite"]
)
def test_parallel_issuance_allocates_distinct_indices(
    request: pytest.FixtureRequest, backend: str, count: int
) -> None:
    """32 requests in flight: every badge is issued, with its own revocation and suspension
    entry (4 worker processes on PostgreSQL, one worker's thread pool on SQLite)."""
    service: ServiceProcess = request.getfixturevalue(f"{backend}_service")
    hub = register(service, f"Parallel {backend}")
    credentials = _issued_credentials(issue_concurrently(service, hub, count, concurrency=32))

    assert len({c["id"] for c in credentials}) == count
    pairs = [status_entries(c) for c in credentials]
    for purpose in ("revocation", "suspension"):
        taken = [p[purpose] for p in pairs]
        assert len(set(taken)) == count, f"{count - len(set(taken))} duplicate {purpose} entries"
        assert all(0 <= idx < LIST_LENGTH for _, idx in taken)
        assert all(url.startswith(f"{service.base_url}/status-lists/") for url, _ in taken)
    revocation_lists = {p["revocation"][0] for p in pairs}
    suspension_lists = {p["suspension"][0] for p in pairs}
    assert not revocation_lists & suspension_lists
    # Nothing stored twice or left behind by a retried attempt, and no bit set by accident.
    listed = get_json(service, f"/makerspaces/{hub.slug}/credentials?limit=1", hub.auth)
    assert listed["total"] == count
    for url in revocation_lists | suspension_lists:
        assert fetch_list(url).bits.count_set() == 0  # nothing revoked or suspended yet


def test_concurrent_revocations_all_land(postgresql_service: ServiceProcess) -> None:
    """500 revocations at once on one list: each answers 200 and the served lists then have
    exactly the revoked bits set."""
    service = postgresql_service
    hub = register(service, "Revocations")
    batch = post_concurrently(
        service,
        [
            (
                f"/makerspaces/{hub.slug}/badges/batch?includeCredentials=true",
                {"rows": [badge_body(i) for i in range(1000)]},
                hub.auth,
            )
        ],
        concurrency=1,
    )[0]
    assert batch.status == 200, batch.body
    assert batch.body["issued"] == 1000, batch.body["results"][:3]
    credentials = [row["verifiableCredential"] for row in batch.body["results"]]
    revoked = random.Random(5).sample(credentials, 500)

    answers = post_concurrently(service, [revocation(c, hub) for c in revoked], concurrency=32)
    assert [a.status for a in answers] == [200] * 500, [a for a in answers if a.status != 200][:3]

    revoked_ids = {c["id"] for c in revoked}
    entries = {c["id"]: status_entries(c) for c in credentials}
    urls = {url for entry in entries.values() for url, _ in entry.values()}
    lists = {url: fetch_list(url) for url in urls}
    for credential_entries in entries.values():
        for purpose, (url, _) in credential_entries.items():
            assert lists[url].credential["credentialSubject"]["statusPurpose"] == purpose
    expected_set: dict[str, int] = dict.fromkeys(lists, 0)
    for credential_id, entry in entries.items():
        url, idx = entry["revocation"]
        assert lists[url].bits.get(idx) == (1 if credential_id in revoked_ids else 0), credential_id
        expected_set[url] += credential_id in revoked_ids
        url, idx = entry["suspension"]
        assert lists[url].bits.get(idx) == 0
    # The makerspace is new, so its lists hold only these credentials: no stray bit either.
    assert {url: served.bits.count_set() for url, served in lists.items()} == expected_set


def _get_from_fresh_connections(
    service: ServiceProcess, path: str, count: int = 50, rounds: int = 20
) -> list[tuple[int, str, bytes]]:
    """`count` GETs at once, each on a new connection, so that the kernel hands them to
    different workers; another round of `count` while they all landed on one worker (up to
    `rounds`). Returns (worker pid, ETag, body) per GET: each connection stays open until
    /proc shows which worker holds its server side."""
    answers: list[tuple[int, str, bytes]] = []
    for _ in range(rounds):
        answers += _one_round(service, path, count)
        if len({pid for pid, _, _ in answers} - {0}) >= 2:
            return answers
    workers = {pid for pid, _, _ in answers} - {0}
    raise AssertionError(f"{len(answers)} GETs all went to the worker(s) {workers}")


def _one_round(service: ServiceProcess, path: str, count: int) -> list[tuple[int, str, bytes]]:
    results: list[tuple[int, str, bytes] | None] = [None] * count
    connections: list[http.client.HTTPConnection] = []
    errors: list[BaseException] = []

    def get(i: int) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
            connections.append(connection)
            connection.connect()
            assert connection.sock is not None
            port = connection.sock.getsockname()[1]
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, body[:500]
            results[i] = (port, response.getheader("etag") or "", body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if errors:
            raise errors[0]
        done = [r for r in results if r is not None]
        assert len(done) == count
        owners = connection_owners(service, [port for port, _, _ in done])
    finally:
        for connection in connections:
            connection.close()
    # 0: a connection the server closed already (idle past its keep-alive timeout).
    return [(owners.get(port, 0), etag, body) for port, etag, body in done]


def test_workers_serve_the_same_list(postgresql_service: ServiceProcess) -> None:
    """Workers that cached a list before a revocation all serve the new one after it, with the
    same ETag and the same bytes."""
    service = postgresql_service
    hub = register(service, "Agreeing workers")
    [answer] = issue_concurrently(service, hub, 1)
    [credential] = _issued_credentials([answer])
    url, idx = status_entries(credential)["revocation"]
    path = url.removeprefix(service.base_url)

    # Every worker renders (and caches) the list before the change...
    before = _get_from_fresh_connections(service, path)
    assert len({(etag, body) for _, etag, body in before}) == 1

    [revoke] = post_concurrently(service, [revocation(credential, hub)], concurrency=1)
    assert revoke.status == 200, revoke.body

    # ...and after it every worker serves the new version, byte for byte the same.
    after = _get_from_fresh_connections(service, path)
    assert len({etag for _, etag, _ in after}) == 1
    assert len({body for _, _, body in after}) == 1
    assert after[0][1] != before[0][1]
    served = fetch_list(url)
    assert served.etag == after[0][1] and served.body == after[0][2]
    assert served.bits.get(idx) == 1 and served.bits.count_set() == 1
