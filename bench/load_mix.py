"""A mixed, realistic load against `passport-vc serve --workers 2`, then a lost-write audit.

The mix, per 100 operations (an operation is one request, or two for a presentation):

  40  verify a badge issued earlier (POST /credentials/verify). A badge is checked far more
      often than it is issued: at the machine or the door, by an employer, by another
      makerspace; verification is what the service does most.
  25  read a status list (GET the statusListCredential URL of a badge's credentialStatus).
      Remote verifiers and wallets fetch the lists; they may cache them for the list's TTL
      (Cache-Control max-age) and revalidate, so half of the reads that can send an ETag do
      (If-None-Match: 304 when the list has not changed, 200 when it has).
  20  issue one badge (POST /makerspaces/{slug}/badges) to one of 500 makers: badges come out
      after training sessions, in a steady stream across the makerspaces.
  10  a maker proves their skills: 6 challenge + presentation verification (POST /challenges,
      then the holder's signed presentation of two badges to POST /presentations/verify), and
      4 passport reads (GET /passports/{did}?token=…, a share link opened by an employer; it
      verifies each badge live).
   5  change a status (POST /credentials/status): about 3 revocations, 1.25 suspensions and
      0.75 reinstatements of a suspended badge. Revocation is rare, but each one makes the
      status list change, so the next reads and verifications re-render it.

Three makerspaces (--makerspaces) share the load. Verifications only pick badges whose status
has never been changed, and a badge is never revoked while a verification of it is in flight,
so every answer in the mix is a 2xx or a 304: no 4xx is expected, and any other answer is an
error. Requests are bounded in time (--seconds), in number (--max-requests) and by
--clients keep-alive connections (httpx.AsyncClient, loopback only).

Baselines, measured in the same run because the machine is shared and noisy: the in-process
library rate of sign + verify of one badge, one core (the server's issuing code path, the
engine's full verification pipeline); and GET /health per second through the same server with
the same clients (one database round trip, no crypto). Each endpoint's throughput is printed as
a ratio to both.

The audit, after the load: every acknowledged (201) badge must be in the database with both its
status entries; every status list is fetched once and decoded (passport_vc.status), and the bit
of every acknowledged revocation or suspension must be set, of every reinstated or never-changed
entry clear. Prints "lost writes: 0" or the list; exits 1 on any lost write or unexpected answer.

Usage: python bench/load_mix.py [--backend {postgresql,sqlite}] [--workers 2] [--clients 32]
           [--seconds 60] [--max-requests 200000] [--postgres-url URL]
Rate limits are off for the server (PASSPORT_VC_RATE_LIMITS_ENABLED=false). The server and the
database are removed at the end, on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    CpuUsage,
    Library,
    add_env_option,
    add_postgres_url_option,
    cpu_between,
    cpu_snapshot,
    fresh_backend,
    interrupt_on_sigterm,
    library_baseline,
    run_async,
    shield_signals,
    work_dir,
)
from load_client import (
    ERROR,
    UNAVAILABLE,
    AuditReport,
    Ledger,
    LoadConfig,
    MixClient,
    Recorder,
    audit,
    cpu_line,
    endpoint_table,
    health_rate,
    print_audit,
    setup,
)
from serve_process import RATE_LIMITS_NOTE, start_bench_server

MIX = {
    "verify": 40.0,
    "status_read": 25.0,
    "issue": 20.0,
    "presentation": 6.0,
    "passport": 4.0,
    "status_change": 5.0,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured load duration")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap, all phases")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured mix first (s)")
    parser.add_argument("--makerspaces", type=int, default=3)
    parser.add_argument("--seed-badges", type=int, default=60, help="issued before the load")
    parser.add_argument("--holders", type=int, default=8, help="makers with keys and passports")
    parser.add_argument("--library-seconds", type=float, default=4.0)
    parser.add_argument("--health-seconds", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1, help="of the clients' random choices")
    add_postgres_url_option(parser)
    add_env_option(parser, "PASSPORT_VC_DATABASE_POOL_SIZE=24")
    args = parser.parse_args()
    interrupt_on_sigterm()

    print(f"library: sign + verify in-process for {args.library_seconds:g} s ...", flush=True)
    library = library_baseline(args.library_seconds)
    try:
        with work_dir(f"pvc-load-{args.backend}-") as (work, cleanup):
            try:
                backend = fresh_backend(
                    args.backend, args.postgres_url, work, cleanup, prefix="pvc_load_"
                )
                print(
                    f"[{args.backend}] starting passport-vc serve --workers {args.workers} ...",
                    flush=True,
                )
                server = start_bench_server(work, backend.url, args.workers, dict(args.env))
                cleanup.callback(server.stop, grace=5.0)
                ledger = Ledger()
                client = MixClient(server.base_url, ledger, [], Recorder())
                config = LoadConfig(args.clients, args.seconds, args.max_requests, MIX, args.seed)

                async def load() -> tuple[float, float, CpuUsage, int]:
                    async with client.connected(args.clients):
                        await setup(
                            client,
                            args.makerspaces,
                            args.seed_badges,
                            args.holders,
                            random.Random(args.seed),
                        )
                        if args.warmup > 0:
                            warm = LoadConfig(
                                args.clients, args.warmup, args.max_requests, MIX, args.seed + 99
                            )
                            await client.run(warm)
                        warm_errors = sum(s.verdict != "ok" for s in client.rec.samples)
                        print(
                            f"[{args.backend}] set up {len(ledger.makerspaces)} makerspaces, "
                            f"{len(client.holders)} holders; warm-up {args.warmup:g} s: "
                            f"{len(client.rec.samples)} requests, {warm_errors} errors",
                            flush=True,
                        )
                        health, _ = await health_rate(
                            server.base_url, args.clients, args.health_seconds
                        )
                        client.rec = Recorder()  # the table covers the measured load only
                        print(
                            f"[{args.backend}] mixed load: {args.clients} clients for "
                            f"{args.seconds:g} s",
                            flush=True,
                        )
                        postgres = backend.database is not None
                        before = cpu_snapshot(server, postgres=postgres)
                        seconds = await client.run(config)
                        cpu = cpu_between(before, cpu_snapshot(server, postgres=postgres))
                        return seconds, health, cpu, warm_errors

                seconds, health, cpu, warm_failures = run_async(load())
                print(f"[{args.backend}] audit ...", flush=True)
                report = audit(server.base_url, backend, ledger)
            finally:
                shield_signals()
                print(f"[{args.backend}] stopping the server, removing its data", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; the server is stopped and the database dropped", file=sys.stderr)
        return 130
    return print_report(args, library, health, seconds, client, cpu, report, warm_failures)


def print_report(
    args: argparse.Namespace,
    library: Library,
    health: float,
    seconds: float,
    client: MixClient,
    cpu: CpuUsage,
    report: AuditReport,
    warm_failures: int,
) -> int:
    samples = client.rec.samples
    print(
        f"\nbaselines, this run: library sign+verify in-process, one core: "
        f"{library.pairs_per_s:,.0f} badges/s (sign {library.signs_per_s:,.0f}/s, verify "
        f"{library.verifies_per_s:,.0f}/s); GET /health through the server: {health:,.0f}/s"
    )
    print(f"{RATE_LIMITS_NOTE}")
    print(
        f"\nmixed load: {args.backend}, {args.workers} workers, {args.clients} clients, "
        f"{seconds:.1f} s, {len(client.ledger.makerspaces)} makerspaces"
    )
    print(endpoint_table(samples, seconds, library, health))
    print(
        "  latency of the answered requests; 503: well-formed 'unavailable' answers; errors: any\n"
        "  other answer that is not the expected 2xx/304 (or a verification that did not\n"
        "  verify); x lib: requests/s over library sign+verify/s; x health: over GET /health/s"
    )
    print(cpu_line(cpu))
    for endpoint, notes in client.rec.error_samples.items():
        for note in notes:
            print(f"  error {endpoint}: {note}")
    print_audit(report, client.ledger)
    unexpected = sum(s.verdict in (ERROR, UNAVAILABLE) for s in samples) + warm_failures
    print(f"unexpected answers: {unexpected}")
    failed = bool(report.lost or report.ghosts or report.disagreements or unexpected)
    print("RESULT: FAIL" if failed else "RESULT: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
