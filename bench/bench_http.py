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
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).parent))
from serve_process import CLK_TCK, ServiceProcess, processes, start_service

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
SKILLS = ("LASER-CUT", "FDM-PRINT", "SOLDER-THT", "CNC-ROUTER")
ADMIN_TOKEN = "bench-admin-token-0123456789"
MASTER_KEY = "B" * 43
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def badge_row(i: int) -> dict[str, Any]:
    return {"holder": HOLDER, "skill": SKILLS[i % len(SKILLS)], "level": 1 + (i // 4) % 4}


# --- 1. the library baseline ------------------------------------------------------------------


def library_rate(count: int) -> float:
    """Badges per second built and signed in-process (one core), as the server signs them."""
    from passport_vc.keys import SigningKey
    from passport_vc.services import issuance
    from passport_vc.services.badge_requests import parse_badge_request
    from passport_vc.services.context import ServiceContext
    from passport_vc.settings import load_settings
    from passport_vc.store import Makerspace
    from passport_vc.taxonomy import load_taxonomy

    settings = load_settings(public_url="http://127.0.0.1:8000")
    # draft_badge and _sign read only the settings and the taxonomy: no database, no key store.
    ctx = ServiceContext(
        settings=settings,
        db=cast(Any, None),
        master_key=cast(Any, None),
        taxonomy=load_taxonomy(),
    )
    did = "did:web:127.0.0.1%3A8000:makerspaces:bench"
    makerspace = Makerspace(
        id=1,
        slug="bench",
        name="Bench Lab",
        did=did,
        did_method="web",
        api_key_hash="-",
        api_key_hint="-",
    )
    key = SigningKey(hashlib.sha256(b"bench-http").digest())
    method = f"{did}#key-1"

    def one(i: int) -> dict[str, Any]:
        request = parse_badge_request(badge_row(i), ctx.taxonomy)
        draft = issuance.draft_badge(ctx, makerspace, request)
        draft.indices = {"revocation": (1, i * 7 % 131_072), "suspension": (2, i * 13 % 131_072)}
        return issuance._sign(draft, ctx, key, method)

    for i in range(100):  # learn the shapes and load the contexts, as a running server has
        one(i)
    start = time.perf_counter()
    for i in range(count):
        one(i)
    return count / (time.perf_counter() - start)


# --- the server -------------------------------------------------------------------------------


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


@dataclass
class Snapshot:
    at: float
    server: tuple[float, float]
    client: float
    busy: float
    postgres: dict[int, float]
    pg: tuple[int, int, int] | None  # commits, rollbacks, sessions of the bench database


@dataclass
class Usage:
    """What one phase cost, in total (divide by the badges for per-badge figures)."""

    seconds: float
    server_user: float
    server_system: float
    client: float
    postgres: float | None
    others: float  # CPU seconds of everything else on the machine
    rollbacks: int | None
    sessions: int | None


def snapshot(server: ServiceProcess, admin_url: str, database: str | None) -> Snapshot:
    postgres = (
        {pid: u + s for pid, u, s in processes(lambda stat: stat[0] == "postgres")}
        if database
        else {}
    )
    return Snapshot(
        time.perf_counter(),
        server.cpu_seconds(),
        time.process_time(),
        machine_busy_seconds(),
        postgres,
        pg_stat(admin_url, database) if database else None,
    )


def usage_between(a: Snapshot, b: Snapshot) -> Usage:
    server_user = b.server[0] - a.server[0]
    server_system = b.server[1] - a.server[1]
    client = b.client - a.client
    postgres = None
    if a.pg is not None:
        postgres = sum(cpu - a.postgres.get(pid, 0.0) for pid, cpu in b.postgres.items())
    others = (b.busy - a.busy) - server_user - server_system - client - (postgres or 0.0)
    return Usage(
        seconds=b.at - a.at,
        server_user=server_user,
        server_system=server_system,
        client=client,
        postgres=postgres,
        others=max(others, 0.0),
        rollbacks=b.pg[1] - a.pg[1] if a.pg and b.pg else None,
        sessions=b.pg[2] - a.pg[2] if a.pg and b.pg else None,
    )


def start_server(
    data_dir: Path, database_url: str, workers: int, extra_env: dict[str, str] | None = None
) -> ServiceProcess:
    return start_service(
        data_dir,
        database_url,
        workers=workers,
        admin_token=ADMIN_TOKEN,
        master_key=MASTER_KEY,
        # One API key at hundreds of badges a second is the load we measure, not abuse.
        extra_env={"PASSPORT_VC_RATE_LIMITS_ENABLED": "false", **(extra_env or {})},
        startup_seconds=90.0,
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
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


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
    _run(main())
    result.seconds = time.perf_counter() - started
    return result


def _run(coroutine: Any) -> Any:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


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
    _run(main())
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
    work = Path(tempfile.mkdtemp(prefix=f"pvc-bench-{backend}-"))
    cleanup.callback(shutil.rmtree, work, ignore_errors=True)
    database = None
    if backend == "postgresql":
        import psycopg

        database = f"pvc_bench_{uuid.uuid4().hex[:10]}"

        def drop() -> None:
            with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

        cleanup.callback(drop)
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = f"{args.postgres_url.rsplit('/', 1)[0]}/{database}"
    else:
        url = f"sqlite:///{work / 'passport-vc.sqlite3'}"

    print(f"[{backend}] starting passport-vc serve --workers {args.workers} ...", flush=True)
    server = start_server(work, url, args.workers, dict(args.env))
    cleanup.callback(server.stop, grace=5.0)  # in-flight batches are not waited for
    port = server.port
    status, hub = post_json(port, "/makerspaces", {"name": "Bench HTTP"}, ADMIN_TOKEN)
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
    before = snapshot(server, args.postgres_url, database)
    load = run_load(port, requests, args.clients, args.seconds)
    load.usage = usage_between(before, snapshot(server, args.postgres_url, database))
    batch = None
    if args.batch_total > 0:
        status, batch_hub = post_json(port, "/makerspaces", {"name": "Bench Batch"}, ADMIN_TOKEN)
        assert status == 201, batch_hub
        print(
            f"[{backend}] batch: {args.batch_total} badges in requests of {args.batch_size} "
            f"rows, {args.batch_concurrency} at a time",
            flush=True,
        )
        before = snapshot(server, args.postgres_url, database)
        batch = run_batches(
            port,
            batch_hub["api_key"],
            batch_hub["slug"],
            args.batch_total,
            args.batch_size,
            args.batch_concurrency,
        )
        batch.usage = usage_between(before, snapshot(server, args.postgres_url, database))
    return BackendFigures(backend, load, batch)


# --- report -----------------------------------------------------------------------------------


def _cost_row(backend: str, usage: Usage | None, badges: int) -> str:
    """CPU microseconds per badge, the load of the rest of the machine, database counters."""
    if usage is None or badges == 0:
        return f"{backend:<11}{'-':>10}"
    per = 1e6 / badges
    server = usage.server_user + usage.server_system
    cells = [
        f"{server * per:.0f}",
        f"{usage.server_system * per:.0f}",
        f"{usage.client * per:.0f}",
        f"{usage.postgres * per:.0f}" if usage.postgres is not None else "-",
        f"{usage.others / usage.seconds:.2f}",
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


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("PASSPORT_VC_"):
        raise argparse.ArgumentTypeError("expected PASSPORT_VC_NAME=VALUE")
    return name, value


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so the cleanup still stops the server."""
    raise KeyboardInterrupt


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
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PASSPORT_VC_TEST_POSTGRES_URL", DEFAULT_PG_URL),
        help="a database on the server where the bench may CREATE and DROP its own",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=_setting,
        metavar="NAME=VALUE",
        help="a setting for the server, e.g. PASSPORT_VC_DATABASE_POOL_SIZE=40 (repeatable)",
    )
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]

    signal.signal(signal.SIGTERM, _interrupt)
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
                    # A second Ctrl-C (or a SIGTERM) must not cut the cleanup short.
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                    print(f"[{backend}] stopping the server, removing its data", flush=True)
            signal.signal(signal.SIGINT, on_interrupt)
            signal.signal(signal.SIGTERM, _interrupt)
    except KeyboardInterrupt:
        print("\ninterrupted; the servers are stopped and the databases dropped", file=sys.stderr)
        sys.exit(130)
    report(library, figures, args)


if __name__ == "__main__":
    main()
