"""PostgreSQL restarted under load: the service must answer 503, recover by itself, lose nothing.

Against `passport-vc serve --workers 2` on a fresh PostgreSQL database, a smaller load of
issuance, verification and status changes (the mix client of bench/load_client.py, --clients
keep-alive connections), and in the middle of it PostgreSQL is stopped, left down --outage
seconds and started again (`pg_ctlcluster --skip-systemctl-redirect VERSION main stop|start`;
--outage 0 uses `restart`). Shown:

  - every answer per second, by HTTP status, around the outage (a small timeline);
  - during the outage the service answers 503 with a Retry-After header and a problem+json
    body, never 500 (a 503 without them counts as an error too);
  - once PostgreSQL accepts connections again, how long until the service answered
    everything again by itself (the server is not restarted), and whether it did so within
    --max-recovery seconds;
  - the audit of bench/load_client.py: every acknowledged badge and status change is there
    ("lost writes": failures); a write answered 503 (or not at all) that was made anyway is a
    "ghost write", reported separately: a client that retries it gets a second badge.

Exit status 1 on any 500, malformed 503, other unexpected answer (a verification of a valid badge
that says "not verified" included), lost write, or a recovery slower than --max-recovery.

PostgreSQL is started again whatever happens: on failure, Ctrl-C or SIGTERM too (try/finally),
because other work on this machine uses it. Rate limits are off for the server
(PASSPORT_VC_RATE_LIMITS_ENABLED=false).

Usage: python bench/fault_pg_restart.py [--clients 8] [--fault-at 6] [--outage 3] [--after 12]
           [--max-recovery 10] [--postgres-url URL] [--cluster 15/main]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import load_mix
from bench_common import (
    add_postgres_url_option,
    fresh_backend,
    interrupt_on_sigterm,
    run_async,
    shield_signals,
    work_dir,
)
from load_client import (
    ERROR,
    OK,
    UNAVAILABLE,
    AuditReport,
    Ledger,
    LoadConfig,
    MixClient,
    Recorder,
    Sample,
    audit,
    endpoint_table,
    print_audit,
    setup,
    status_timeline,
)
from serve_process import RATE_LIMITS_NOTE, start_bench_server

MIX = {"issue": 45.0, "verify": 40.0, "status_change": 15.0}
FULL_MIX = load_mix.MIX  # --full-mix: every endpoint of the mixed load, presentations too


# --- PostgreSQL -------------------------------------------------------------------------------


def default_cluster() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    if not versions:
        raise SystemExit("no PostgreSQL cluster under /etc/postgresql")
    return f"{versions[-1]}/main"


def pg_ctl(cluster: str, action: str) -> subprocess.CompletedProcess[str]:
    version, name = cluster.split("/", 1)
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def accepts_connections(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=1) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def ensure_running(cluster: str, url: str) -> str:
    """Start the cluster if it is not running and wait until it accepts connections."""
    note = "PostgreSQL was running"
    if pg_ctl(cluster, "status").returncode != 0:
        started = pg_ctl(cluster, "start")
        note = f"PostgreSQL started again (pg_ctlcluster start: exit {started.returncode})"
    deadline = time.monotonic() + 60
    while not accepts_connections(url):
        if time.monotonic() > deadline:
            return note + "; NOT accepting connections after 60 s"
        time.sleep(0.2)
    return note


@dataclass
class Fault:
    """When (seconds on the load's clock) each step of the outage happened."""

    stop_at: float = float("nan")  # stop (or restart) issued
    stopped_at: float = float("nan")  # stop returned (restart: the probe first failed)
    start_at: float = float("nan")  # start issued
    back_at: float = float("nan")  # the first connection that succeeded after the start
    log: list[str] = field(default_factory=list)


async def inject(
    recorder: Recorder, args: argparse.Namespace, fault: Fault, stop: asyncio.Event
) -> None:
    """Stop PostgreSQL at --fault-at, start it --outage seconds later, wait until it accepts
    connections, let the load run --after seconds more, then end it."""
    await asyncio.sleep(max(0.0, args.fault_at - recorder.now()))
    fault.stop_at = recorder.now()
    if args.outage > 0:
        done = await asyncio.to_thread(pg_ctl, args.cluster, "stop")
        fault.stopped_at = recorder.now()
        fault.log.append(f"pg_ctlcluster stop: exit {done.returncode} {done.stderr.strip()}")
        await asyncio.sleep(args.outage)
        fault.start_at = recorder.now()
        starting = asyncio.create_task(asyncio.to_thread(pg_ctl, args.cluster, "start"))
        # PostgreSQL accepts connections before pg_ctlcluster returns: probe meanwhile.
        while not await asyncio.to_thread(accepts_connections, args.postgres_url):
            await asyncio.sleep(0.02)
        fault.back_at = recorder.now()
        done = await starting
        fault.log.append(
            f"pg_ctlcluster start: exit {done.returncode} {done.stderr.strip()} "
            f"(returned at {recorder.now():.2f} s)"
        )
    else:
        restarting = asyncio.create_task(asyncio.to_thread(pg_ctl, args.cluster, "restart"))
        # pg_ctlcluster restart returns a while after PostgreSQL serves again: watch it go
        # down and come back meanwhile (if the probe never sees it down, use the return).
        down = False
        while not restarting.done():
            up = await asyncio.to_thread(accepts_connections, args.postgres_url)
            if not up and not down:
                down, fault.stopped_at = True, recorder.now()
            elif up and down:
                fault.back_at = recorder.now()
                break
            await asyncio.sleep(0.02)
        done = await restarting
        fault.log.append(
            f"pg_ctlcluster restart: exit {done.returncode} {done.stderr.strip()} "
            f"(returned at {recorder.now():.2f} s)"
        )
        while not await asyncio.to_thread(accepts_connections, args.postgres_url):
            await asyncio.sleep(0.02)
        if fault.back_at != fault.back_at:
            fault.back_at = recorder.now()
    await asyncio.sleep(args.after)
    stop.set()


# --- the report -------------------------------------------------------------------------------


@dataclass
class Recovery:
    last_failure: float | None  # end of the last request not answered OK
    first_write_after: float | None  # end of the first acknowledged write begun after back_at
    seconds: float  # last_failure - back_at, at least 0
    ok_after: int  # OK answers after the last failure


def recovery_of(samples: list[Sample], fault: Fault) -> Recovery:
    failures = [s.end for s in samples if s.verdict != OK]
    last = max(failures) if failures else None
    writes = [s.end for s in samples if s.write and s.verdict == OK and s.start >= fault.back_at]
    first = min(writes) if writes else None
    seconds = max(0.0, last - fault.back_at) if last is not None else 0.0
    ok_after = sum(1 for s in samples if s.verdict == OK and s.start > (last or -1.0))
    return Recovery(last, first, seconds, ok_after)


def server_log_findings(log: str) -> list[str]:
    """The distinct error lines the server logged (tracebacks' last lines, 500s, warnings)."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for i, line in enumerate(lines):
        text = line.strip()
        logged = "unexpected " in text or "Exception in ASGI" in text
        last_of_traceback = text.startswith(("sqlalchemy.exc.", "psycopg.", "passport_vc.")) and (
            i + 1 >= len(lines) or not lines[i + 1].startswith(" ")
        )
        if logged or last_of_traceback:
            found[text[:200]] += 1
    return [f"{n:5d}x {text}" for text, n in found.most_common(12)]


def report(
    args: argparse.Namespace,
    client: MixClient,
    seconds: float,
    fault: Fault,
    server_log: str,
    audit_report: AuditReport,
    restart_notes: list[str],
) -> int:
    samples = client.rec.samples
    print(f"\n{RATE_LIMITS_NOTE}")
    outage = "stop, " + f"{args.outage:g} s down, start" if args.outage > 0 else "restart"
    mix = FULL_MIX if args.full_mix else MIX
    print(
        f"PostgreSQL {args.cluster} {outage} under load: serve --workers {args.workers}, "
        f"{args.clients} clients, mix {', '.join(f'{k} {v:g}' for k, v in mix.items())}, "
        f"{seconds:.1f} s"
    )
    for line in fault.log:
        print(f"  {line}")
    steps = (
        (fault.stop_at, "stop issued" if args.outage > 0 else "restart issued"),
        (fault.stopped_at, "down" if args.outage <= 0 else "stopped"),
        (fault.start_at, "start issued"),
        (fault.back_at, "accepting connections again"),
    )
    print("  " + ", ".join(f"{what} at {at:.2f} s" for at, what in steps if at == at))
    marks: dict[int, str] = {}
    for at, what in steps:
        if at == at:  # not NaN
            second = int(at)
            marks[second] = f"{marks[second]}, {what}" if second in marks else what
    print("\nanswers per second (by HTTP status; conn: no HTTP answer)")
    print(status_timeline(samples, marks))
    print()
    print(endpoint_table(samples, seconds, None, None))

    window = [s for s in samples if s.end >= fault.stop_at and s.start <= fault.back_at]
    by_status = Counter(s.status for s in window)
    errors_500 = sum(s.status >= 500 and s.status != 503 for s in samples)
    bad_503 = client.rec.unavailable_bad
    other = [s for s in samples if s.verdict == ERROR and s.status < 500 and s.status != 503]
    print(
        f"\nduring the outage ({fault.stop_at:.1f} s to {fault.back_at:.1f} s): "
        f"{len(window)} answers {dict(sorted(by_status.items()))}"
    )
    unavailable = sum(s.verdict == UNAVAILABLE for s in samples)
    print(
        f"503 answers: {unavailable} well-formed (Retry-After + problem+json), {bad_503} without "
        f"them; 5xx other than 503: {errors_500}; other unexpected answers: {len(other)}"
    )
    for endpoint, notes in client.rec.error_samples.items():
        for note in notes:
            print(f"  error {endpoint}: {note}")
    rec = recovery_of(samples, fault)
    if rec.last_failure is None:
        print("recovery: no request failed")
    else:
        first = (
            f"{rec.first_write_after - fault.back_at:.2f} s"
            if rec.first_write_after is not None
            else "never"
        )
        print(
            f"recovery: last failed request answered {rec.last_failure - fault.back_at:+.2f} s "
            f"after PostgreSQL accepted connections again; first acknowledged write begun after "
            f"that: +{first}; {rec.ok_after} OK answers after the last failure; "
            f"recovered within {rec.seconds:.2f} s (limit {args.max_recovery:g} s), "
            f"without restarting passport-vc"
        )
    findings = server_log_findings(server_log)
    if findings:
        print("server log (distinct error lines):")
        for line in findings:
            print(f"  {line}")
    print_audit(audit_report, client.ledger)
    for note in dict.fromkeys(restart_notes):
        print(note)
    if fault.back_at != fault.back_at:  # NaN: the load ended before the outage was over
        print("the outage did not complete during the load: raise --seconds")
        print("RESULT: FAIL")
        return 1
    recovered = rec.seconds <= args.max_recovery and (rec.last_failure is None or rec.ok_after > 0)
    failed = (
        bool(errors_500 or bad_503 or other or audit_report.lost or audit_report.disagreements)
        or not recovered
    )
    if any(s.status == 0 for s in samples):
        failed = True
    print("RESULT: FAIL" if failed else "RESULT: OK")
    return 1 if failed else 0


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--fault-at", type=float, default=6.0, help="s into the load")
    parser.add_argument("--outage", type=float, default=3.0, help="s down; 0: restart")
    parser.add_argument("--after", type=float, default=12.0, help="s of load once PG is back")
    parser.add_argument("--seconds", type=float, default=60.0, help="the load's upper bound")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--max-recovery", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument(
        "--full-mix", action="store_true", help="the whole mix of load_mix.py, not just writes"
    )
    parser.add_argument("--cluster", default=None, help="VERSION/NAME (default: newest, main)")
    add_postgres_url_option(parser)
    args = parser.parse_args()
    args.cluster = args.cluster or default_cluster()
    interrupt_on_sigterm()
    if not accepts_connections(args.postgres_url):
        print(f"PostgreSQL does not accept connections at {args.postgres_url}", file=sys.stderr)
        return 2

    fault = Fault()
    notes: list[str] = []
    try:
        try:
            with work_dir("pvc-fault-") as (work, cleanup):
                try:
                    backend = fresh_backend(
                        "postgresql", args.postgres_url, work, cleanup, prefix="pvc_load_"
                    )
                    print(f"starting passport-vc serve --workers {args.workers} ...", flush=True)
                    server = start_bench_server(work, backend.url, args.workers)
                    cleanup.callback(server.stop, grace=5.0)
                    client = MixClient(server.base_url, Ledger(), [], Recorder())
                    mix = FULL_MIX if args.full_mix else MIX
                    config = LoadConfig(
                        args.clients, args.seconds, args.max_requests, mix, args.seed
                    )

                    async def load() -> float:
                        async with client.connected(args.clients, timeout=30.0):
                            holders = 4 if args.full_mix else 0
                            await setup(client, 3, 30, holders, random.Random(args.seed))
                            client.rec = Recorder()
                            stop = asyncio.Event()
                            print(
                                f"load: {args.clients} clients; PostgreSQL goes down at "
                                f"{args.fault_at:g} s",
                                flush=True,
                            )
                            injector = asyncio.create_task(inject(client.rec, args, fault, stop))
                            try:
                                return await client.run(config, stop)
                            finally:
                                if not injector.done():
                                    injector.cancel()
                                    await asyncio.gather(injector, return_exceptions=True)

                    seconds = run_async(load())
                    notes.append(ensure_running(args.cluster, args.postgres_url))
                    print("audit ...", flush=True)
                    audit_report = audit(server.base_url, backend, client.ledger)
                    server_log = server.log()
                finally:
                    shield_signals()
                    # The database is dropped by the cleanup: PostgreSQL must be up for that.
                    notes.append(ensure_running(args.cluster, args.postgres_url))
                    print("stopping the server, dropping its database", flush=True)
        finally:
            shield_signals()
            notes.append(ensure_running(args.cluster, args.postgres_url))
    except KeyboardInterrupt:
        print(f"\ninterrupted; {'; '.join(dict.fromkeys(notes))}", file=sys.stderr)
        return 130
    return report(args, client, seconds, fault, server_log, audit_report, notes)


if __name__ == "__main__":
    sys.exit(main())
