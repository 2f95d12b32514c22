"""What the scripts under bench/ share: the command-line options that name the PostgreSQL server
and configure `passport-vc serve`, a fresh database (or SQLite file) for each run, the signal
handling that lets the cleanup run, the asyncio runner, CPU accounting from /proc, latency
percentiles, and the in-process library baselines the HTTP figures are compared with.

The server process itself (start, stop, its CPU and its benchmark settings) is
bench/serve_process.py. Nothing here talks to anything but 127.0.0.1 and the PostgreSQL server
named by the caller.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

sys.path.insert(0, str(Path(__file__).parent))
from serve_process import CLK_TCK, ServiceProcess, processes

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

T = TypeVar("T")


# --- the command line -------------------------------------------------------------------------


def add_postgres_url_option(parser: argparse.ArgumentParser) -> None:
    """--postgres-url: PASSPORT_VC_TEST_POSTGRES_URL, else DEFAULT_PG_URL."""
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PASSPORT_VC_TEST_POSTGRES_URL", DEFAULT_PG_URL),
        help="a database on the server where the script may CREATE and DROP its own",
    )


def server_setting(text: str) -> tuple[str, str]:
    """One --env NAME=VALUE: a PASSPORT_VC_ setting for the server."""
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("PASSPORT_VC_"):
        raise argparse.ArgumentTypeError("expected PASSPORT_VC_NAME=VALUE")
    return name, value


def add_env_option(parser: argparse.ArgumentParser, example: str) -> None:
    """--env NAME=VALUE (repeatable): `dict(args.env)` is the server's extra environment."""
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=server_setting,
        metavar="NAME=VALUE",
        help=f"a setting for the server, e.g. {example} (repeatable)",
    )


# --- the database -----------------------------------------------------------------------------


@dataclass
class Backend:
    """Where the server keeps its data: the URL it is given, and how to reach it from here."""

    name: str  # "postgresql" or "sqlite"
    url: str
    admin_url: str | None = None  # the PostgreSQL database the fresh one was created from
    database: str | None = None  # the fresh PostgreSQL database's name


def fresh_backend(
    backend: str, postgres_url: str, work: Path, cleanup: contextlib.ExitStack, *, prefix: str
) -> Backend:
    """A fresh PostgreSQL database named `prefix` + 10 hex digits (dropped by `cleanup`), or a
    SQLite file under `work`."""
    if backend == "sqlite":
        return Backend("sqlite", f"sqlite:///{work / 'passport-vc.sqlite3'}")
    import psycopg

    database = f"{prefix}{uuid.uuid4().hex[:10]}"

    def drop() -> None:
        with psycopg.connect(postgres_url, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    with psycopg.connect(postgres_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    cleanup.callback(drop)
    url = f"{postgres_url.rsplit('/', 1)[0]}/{database}"
    return Backend("postgresql", url, admin_url=postgres_url, database=database)


def temp_work_dir(prefix: str, cleanup: contextlib.ExitStack) -> Path:
    """A temporary directory that `cleanup` removes."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    cleanup.callback(shutil.rmtree, work, ignore_errors=True)
    return work


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[tuple[Path, contextlib.ExitStack]]:
    """A temporary directory and an ExitStack that removes it (and whatever else is pushed)."""
    with contextlib.ExitStack() as cleanup:
        yield temp_work_dir(prefix, cleanup), cleanup


# --- signals and the event loop ---------------------------------------------------------------


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the cleanup (server, database, PostgreSQL) still runs."""
    signal.signal(signal.SIGTERM, _interrupt)


def shield_signals() -> None:
    """A second Ctrl-C (or a SIGTERM) must not cut the cleanup short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """On uvloop when it is installed (the client then takes less of the shared CPUs)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


# --- CPU --------------------------------------------------------------------------------------


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


@dataclass
class CpuSnapshot:
    at: float
    server: tuple[float, float]  # user, system CPU s of the server's process group
    client: float  # CPU s of this process
    busy: float  # machine_busy_seconds()
    postgres: dict[int, float] | None  # CPU s of each process named postgres, if counted


def cpu_snapshot(server: ServiceProcess, *, postgres: bool) -> CpuSnapshot:
    return CpuSnapshot(
        time.perf_counter(),
        server.cpu_seconds(),
        time.process_time(),
        machine_busy_seconds(),
        {pid: u + s for pid, u, s in processes(lambda stat: stat[0] == "postgres")}
        if postgres
        else None,
    )


@dataclass
class CpuUsage:
    """CPU seconds spent between two snapshots, in total."""

    seconds: float
    server_user: float
    server_system: float
    client: float
    postgres: float | None
    others: float  # everything else on the machine

    @property
    def server(self) -> float:
        return self.server_user + self.server_system


def cpu_between(a: CpuSnapshot, b: CpuSnapshot) -> CpuUsage:
    server_user = b.server[0] - a.server[0]
    server_system = b.server[1] - a.server[1]
    client = b.client - a.client
    postgres = None
    if a.postgres is not None and b.postgres is not None:
        before = a.postgres
        postgres = sum(cpu - before.get(pid, 0.0) for pid, cpu in b.postgres.items())
    others = (b.busy - a.busy) - server_user - server_system - client - (postgres or 0.0)
    return CpuUsage(
        seconds=b.at - a.at,
        server_user=server_user,
        server_system=server_system,
        client=client,
        postgres=postgres,
        others=max(others, 0.0),
    )


# --- latency ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of durations in seconds, in milliseconds; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- the in-process library baselines ---------------------------------------------------------


class LibraryIssuer:
    """Build + sign skill badges in this process with the code path the server uses
    (parse_badge_request, issuance.draft_badge, issuance._sign, status entries included), for a
    did:web makerspace whose key is deterministic: no database, no key store, no HTTP."""

    PUBLIC_URL = "http://127.0.0.1:8000"
    DID = "did:web:127.0.0.1%3A8000:makerspaces:baseline"

    def __init__(self) -> None:
        from passport_vc.keys import SigningKey
        from passport_vc.services import issuance
        from passport_vc.services.badge_requests import parse_badge_request
        from passport_vc.services.context import ServiceContext
        from passport_vc.settings import load_settings
        from passport_vc.store import Makerspace
        from passport_vc.taxonomy import load_taxonomy

        # draft_badge and _sign read only the settings and the taxonomy.
        self.ctx = ServiceContext(
            settings=load_settings(public_url=self.PUBLIC_URL),
            db=cast(Any, None),
            master_key=cast(Any, None),
            taxonomy=load_taxonomy(),
        )
        self.makerspace = Makerspace(
            id=1,
            slug="baseline",
            name="Baseline Lab",
            did=self.DID,
            did_method="web",
            api_key_hash="-",
            api_key_hint="-",
        )
        self.key = SigningKey(hashlib.sha256(b"library-baseline").digest())
        self.method = f"{self.DID}#key-1"
        self._parse = parse_badge_request
        self._draft = issuance.draft_badge
        self._sign = issuance._sign

    def sign(self, body: Mapping[str, Any], i: int) -> dict[str, Any]:
        """The badge the server issues for `body` (holder, skill, level), at status index `i`."""
        request = self._parse(body, self.ctx.taxonomy)
        draft = self._draft(self.ctx, self.makerspace, request)
        draft.indices = {"revocation": (1, i * 7 % 131_072), "suspension": (2, i * 13 % 131_072)}
        return self._sign(draft, self.ctx, self.key, self.method)


def library_sign_rate(count: int, body: Callable[[int], Mapping[str, Any]]) -> float:
    """Badges per second built and signed in-process (one core), as the server signs them:
    `count` badges of `body(i)`, after 100 unmeasured ones. Sign only, no verification."""
    issuer = LibraryIssuer()
    for i in range(100):  # learn the shapes and load the contexts, as a running server has
        issuer.sign(body(i), i)
    start = time.perf_counter()
    for i in range(count):
        issuer.sign(body(i), i)
    return count / (time.perf_counter() - start)


@dataclass
class Library:
    signs_per_s: float
    verifies_per_s: float

    @property
    def pairs_per_s(self) -> float:
        """Sign + verify of one badge, back to back, per second."""
        return 1.0 / (1.0 / self.signs_per_s + 1.0 / self.verifies_per_s)


def library_baseline(seconds: float) -> Library:
    """In-process, one core, `seconds` / 2 each: build + sign a skill badge as the server does
    (LibraryIssuer: 50 holders, every taxonomy skill, 4 levels), and verify it through the
    engine's full pipeline with its DID document and signed status lists served from memory
    (no database, no HTTP)."""
    from datetime import UTC, datetime

    from passport_vc.credentials.verification import VerifyOptions, verify_credential
    from passport_vc.dids.documents import build_did_document
    from passport_vc.keys import SigningKey
    from passport_vc.proofs.data_integrity import ProofOptions, add_proof
    from passport_vc.status import BitstringStatusList, build_status_list_credential

    issuer = LibraryIssuer()
    did, key, method = issuer.DID, issuer.key, issuer.method
    document = build_did_document(did, [("key-1", key.public_key)])

    class Resolver:
        def resolve(self, wanted: str) -> dict[str, Any]:
            return document

    lists = {}
    for list_id, purpose in ((1, "revocation"), (2, "suspension")):
        url = f"{issuer.PUBLIC_URL}/status-lists/{list_id}"
        unsigned = build_status_list_credential(
            list_url=url,
            issuer=did,
            purpose=purpose,
            status_list=BitstringStatusList(131_072),
            valid_from=datetime.now(UTC),
            ttl_ms=60_000,
        )
        lists[url] = add_proof(unsigned, key, ProofOptions(verification_method=method))
    options = VerifyOptions(did_resolver=Resolver(), status_resolver=lists.__getitem__)
    skills = [s.code for s in issuer.ctx.taxonomy.skills]
    holders = [SigningKey(hashlib.sha256(b"h%d" % i).digest()).did_key for i in range(50)]

    def sign(i: int) -> dict[str, Any]:
        body = {"holder": holders[i % 50], "skill": skills[i % len(skills)], "level": 1 + i % 4}
        return issuer.sign(body, i)

    signed = [sign(i) for i in range(200)]  # learn the shapes, as a running server has
    for badge in signed[:50]:
        assert verify_credential(badge, options)["verified"], "baseline badge does not verify"
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds / 2:
        sign(count)
        count += 1
    signs = count / (time.perf_counter() - started)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds / 2:
        verify_credential(signed[count % len(signed)], options)
        count += 1
    return Library(signs, count / (time.perf_counter() - started))
