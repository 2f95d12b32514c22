"""Issue badges over HTTP against a real `passport-vc serve`, and compare with the library.

In one run:
  1. library   build + sign skill badges in this process, on one core, with the code path the
               server uses (parse_badge_request, issuance.draft_badge, issuance._sign):
               the baseline every HTTP figure is divided by;
  2. single    `passport-vc serve --workers W` on a fresh PostgreSQL database (created and
               dropped here) and/or on SQLite; C keep-alive clients POST
               /makerspaces/{slug}/badges for --seconds: badges/s, p50/p95/p99, errors;
  3. batch     --batch-total badges through POST /makerspaces/{slug}/badges/batch, in
               requests of --batch-size rows, --batch-concurrency at a time: wall time, badges/s.

The clients are raw asyncio HTTP/1.1 (uvloop when installed) so that they take little of the
CPUs they share with the server. CPU figures are per badge: the server's process group, this
client, and (PostgreSQL) every process named `postgres` on the machine, so other activity on
the database server inflates the last one.

Usage: python bench/bench_http.py [--backend {postgresql,sqlite,both}] [--workers 2]
           [--clients 32] [--seconds 30] [--batch-total 100000] [--postgres-url URL]
The server, its workers and the databases are removed at the end, on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    Backend,
    CpuSnapshot,
    CpuUsage,
    add_env_option,
    add_postgres_url_option,
    cpu_between,
    cpu_snapshot,
    fresh_backend,
    interrupt_on_sigterm,
    library_sign_rate,
    percentile,
    run_async,
    shield_signals,
    temp_work_dir,
)
from serve_process import BENCH_ADMIN_TOKEN, ServiceProcess, start_bench_server

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
SKILLS = ("LASER-CUT", "FDM-PRINT", "SOLDER-THT", "CNC-ROUTER")


def badge_row(i: int) -> dict[str, Any]:
    return {"holder": HOLDER, "skill": SKILLS[i % len(SKILLS)], "level": 1 + (i // 4) % 4}


# --- 1. the library baseline ------------------------------------------------------------------


def library_rate(count: int) -> float:
    """Badges per second built and signed in-process (one core), as the server signs them:
    the rows the HTTP clients send (badge_row), sign only (bench_common.library_sign_rate)."""
    return library_sign_rate(count, badge_row)


# --- the server -------------------------------------------------------------------------------


@dataclass
class Snapshot:
    cpu: CpuSnapshot
    pg: tuple[int, int, int] | None  # commits, rollbacks, sessions of the bench database


@dataclass
class Usage:
    """What one phase cost, in total (divide by the badges for per-badge figures)."""

    cpu: CpuUsage
    rollbacks: int | None
    sessions: int | None


def snapshot(server: ServiceProcess, store: Backend) -> Snapshot:
    database = store.database
    return Snapshot(
        cpu_snapshot(server, postgres=database is not None),
        pg_stat(store.admin_url or "", database) if database else None,
    )


def usage_between(a: Snapshot, b: Snapshot) -> Usage:
    return Usage(
        cpu=cpu_between(a.cpu, b.cpu),
        rollbacks=b.pg[1] - a.pg[1] if a.pg and b.pg else None,
        sessions=b.pg[2] - a.pg[2] if a.pg and b.pg else None,
    )


# --- the HTTP/1.1 client ----------------------------------------------------------------------


def _request(
    method: str, path: str, port: int, body: bytes = b"", token: str | None = None
) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body or method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep_alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    else:
        body = await reader.read()
    return status, body, headers.get("connection", "").lower() != "close"


async def _one_request(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
    try:
        writer.write(request)
        status, body, _ = await _read_response(reader)
        return status, body
    finally:
        writer.close()


def post_json(port: int, path: str, payload: Any, token: str) -> tuple[int, Any]:
    status, body = asyncio.run(
        _one_request(port, _request("POST", path, port, json.dumps(payload).encode(), token))
    )
    return status, json.loads(body) if body else None


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    usage: Usage | None = None

    @property
    def ok(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)


async def _client(
    port: int,
    requests: list[bytes],
    offset: int,
    stop_at: float,
    result: LoadResult,
    expect: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            request = requests[i % len(requests)]
            i += 1
            started = time.perf_counter()
            try:
                writer.write(request)
                status, body, keep_alive = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(repr(exc))
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
                continue
            if status == expect:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"{status} {body[:300]!r}")
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
    finally:
        writer.close()


def run_load(port: int, requests: list[bytes], clients: int, seconds: float) -> LoadResult:
    """`clients` connections, each sending the next request as soon as its answer is in."""
    result = LoadResult()

    async def main() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *(_client(port, requests, n * 7, stop_at, result, 201) for n in range(clients))
        )

    started = time.perf_counter()
    run_async(main())
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class BatchResult:
    seconds: float
    issued: int
    failed: int
    requests_failed: int
    sample: str = ""
    usage: Usage | None = None


def run_batches(
    port: int, token: str, slug: str, total: int, size: int, parallel: int
) -> BatchResult:
    bodies = []
    for start in range(0, total, size):
        rows = [badge_row(i) for i in range(start, min(total, start + size))]
        body = json.dumps({"rows": rows}).encode()
        bodies.append(_request("POST", f"/makerspaces/{slug}/badges/batch", port, body, token))
    issued = failed = requests_failed = 0
    sample = ""

    async def main() -> None:
        nonlocal issued, failed, requests_failed, sample
        gate = asyncio.Semaphore(parallel)

        async def send(request: bytes) -> None:
            nonlocal issued, failed, requests_failed, sample
            async with gate:
                status, body = await _one_request(port, request)
            if status != 200:
                requests_failed += 1
                sample = sample or f"{status} {body[:300]!r}"
                return
            answer = json.loads(body)
            issued += answer["issued"]
            failed += answer["failed"]
            if answer["failed"] and not sample:
                sample = json.dumps([r for r in answer["results"] if r["status"] != "issued"][:2])

        await asyncio.gather(*(send(b) for b in bodies))

    started = time.perf_counter()
    run_async(main())
    return BatchResult(time.perf_counter() - started, issued, failed, requests_failed, sample)


# --- one backend ------------------------------------------------------------------------------


@dataclass
class BackendFigures:
    backend: str
    load: LoadResult
    batch: BatchResult | None


def pg_stat(admin_url: str, database: str) -> tuple[int, int, int]:
    """Transactions committed and rolled back, and sessions opened, in the bench database."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        row = connection.execute(
            "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = %s",
            (database,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def bench_backend(
    backend: str, args: argparse.Namespace, cleanup: contextlib.ExitStack
) -> BackendFigures:
    work = temp_work_dir(f"pvc-bench-{backend}-", cleanup)
    store = fresh_backend(backend, args.postgres_url, work, cleanup, prefix="pvc_bench_")
    print(f"[{backend}] starting passport-vc serve --workers {args.workers} ...", flush=True)
    server = start_bench_server(work, store.url, args.workers, dict(args.env))
    cleanup.callback(server.stop, grace=5.0)  # in-flight batches are not waited for
    port = server.port
    status, hub = post_json(port, "/makerspaces", {"name": "Bench HTTP"}, BENCH_ADMIN_TOKEN)
    assert status == 201, hub
    requests = [
        _request(
            "POST",
            f"/makerspaces/{hub['slug']}/badges",
            port,
            json.dumps(badge_row(i)).encode(),
            hub["api_key"],
        )
        for i in range(16)
    ]
    if args.warmup > 0:
        warm = run_load(port, requests, args.clients, args.warmup)
        print(f"[{backend}] warm-up: {warm.ok} badges, {warm.errors} errors", flush=True)
    print(f"[{backend}] single badges: {args.clients} clients for {args.seconds:g} s", flush=True)
    before = snapshot(server, store)
    load = run_load(port, requests, args.clients, args.seconds)
    load.usage = usage_between(before, snapshot(server, store))
    batch = None
    if args.batch_total > 0:
        status, batch_hub = post_json(
            port, "/makerspaces", {"name": "Bench Batch"}, BENCH_ADMIN_TOKEN
        )
        assert status == 201, batch_hub
        print(
            f"[{backend}] batch: {args.batch_total} badges in requests of {args.batch_size} "
            f"rows, {args.batch_concurrency} at a time",
            flush=True,
        )
        before = snapshot(server, store)
        batch = run_batches(
            port,
            batch_hub["api_key"],
            batch_hub["slug"],
            args.batch_total,
            args.batch_size,
            args.batch_concurrency,
        )
        batch.usage = usage_between(before, snapshot(server, store))
    return BackendFigures(backend, load, batch)


# --- report -----------------------------------------------------------------------------------


def _cost_row(backend: str, usage: Usage | None, badges: int) -> str:
    """CPU microseconds per badge, the load of the rest of the machine, database counters."""
    if usage is None or badges == 0:
        return f"{backend:<11}{'-':>10}"
    per = 1e6 / badges
    cpu = usage.cpu
    cells = [
        f"{cpu.server * per:.0f}",
        f"{cpu.server_system * per:.0f}",
        f"{cpu.client * per:.0f}",
        f"{cpu.postgres * per:.0f}" if cpu.postgres is not None else "-",
        f"{cpu.others / cpu.seconds:.2f}",
        str(usage.rollbacks) if usage.rollbacks is not None else "-",
        str(usage.sessions) if usage.sessions is not None else "-",
    ]
    return f"{backend:<11}" + "".join(f"{cell:>10}" for cell in cells)


COST_HEADER = f"{'CPU':<11}" + "".join(
    f"{name:>10}"
    for name in ("server", "(kernel)", "client", "postgres", "others", "rollbacks", "sessions")
)
COST_NOTE = (
    "  CPU: microseconds per badge of the server's process group (of which in the kernel), of\n"
    "  this client and of every process named postgres; others: mean number of CPUs busy with\n"
    "  anything else on the machine; rollbacks and sessions (connections opened) of the bench\n"
    "  database"
)


def report(library: float, figures: list[BackendFigures], args: argparse.Namespace) -> None:
    cpus = os.cpu_count() or 1
    print(
        f"\nlibrary build+sign, in-process, one core: {library:,.0f} badges/s "
        f"({1e6 / library:,.0f} us each); this machine has {cpus} CPUs"
    )
    print(
        f"\nPOST /makerspaces/{{slug}}/badges: {args.workers} workers, {args.clients} clients, "
        f"{args.seconds:g} s"
    )
    print(
        f"{'backend':<11}{'badges/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        f"{'errors':>10}{'x lib':>10}"
    )
    for f in figures:
        load = f.load
        rate = load.ok / load.seconds if load.seconds else 0.0
        print(
            f"{f.backend:<11}{rate:10.0f}{load.percentile(0.50):10.1f}"
            f"{load.percentile(0.95):10.1f}{load.percentile(0.99):10.1f}{load.errors:10d}"
            f"{rate / library:10.2f}"
        )
        for sample in load.error_samples:
            print(f"  error: {sample}")
    print(COST_HEADER)
    for f in figures:
        print(_cost_row(f.backend, f.load.usage, f.load.ok))
    batches = [(f.backend, f.batch) for f in figures if f.batch is not None]
    if batches:
        print(
            f"\nPOST /makerspaces/{{slug}}/badges/batch: {args.batch_total} badges, "
            f"{args.batch_size} rows a request, {args.batch_concurrency} at a time"
        )
        print(
            f"{'backend':<11}{'wall s':>10}{'badges/s':>10}{'issued':>10}{'failed':>10}"
            f"{'x lib':>10}"
        )
        for backend, b in batches:
            rate = b.issued / b.seconds if b.seconds else 0.0
            print(
                f"{backend:<11}{b.seconds:10.1f}{rate:10.0f}{b.issued:10d}"
                f"{b.failed + b.requests_failed:10d}{rate / library:10.2f}"
            )
            if b.sample:
                print(f"  failure: {b.sample[:400]}")
        print(COST_HEADER)
        for backend, b in batches:
            print(_cost_row(backend, b.usage, b.issued))
    print(COST_NOTE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured load duration")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured load first")
    parser.add_argument("--batch-total", type=int, default=100_000, help="0 skips the batch")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--batch-concurrency", type=int, default=2)
    parser.add_argument("--library-badges", type=int, default=3000)
    add_postgres_url_option(parser)
    add_env_option(parser, "PASSPORT_VC_DATABASE_POOL_SIZE=40")
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]

    interrupt_on_sigterm()
    on_interrupt = signal.getsignal(signal.SIGINT)
    print(f"library: building and signing {args.library_badges} badges ...", flush=True)
    library = library_rate(args.library_badges)
    figures: list[BackendFigures] = []
    try:
        for backend in backends:
            with contextlib.ExitStack() as cleanup:
                try:
                    figures.append(bench_backend(backend, args, cleanup))
                finally:
                    shield_signals()
                    print(f"[{backend}] stopping the server, removing its data", flush=True)
            signal.signal(signal.SIGINT, on_interrupt)
            interrupt_on_sigterm()
    except KeyboardInterrupt:
        print("\ninterrupted; the servers are stopped and the databases dropped", file=sys.stderr)
        sys.exit(130)
    report(library, figures, args)


if __name__ == "__main__":
    main()
