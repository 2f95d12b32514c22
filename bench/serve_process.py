"""`passport-vc serve` in a child process group, for the benchmark and the multi-process tests:
start it on a free port, wait until every worker has started and /health answers, measure its
CPU, and stop the whole group. start_bench_server is how the scripts under bench/ start it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

READY_LINE = b"Application startup complete."
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def passport_vc_command() -> list[str]:
    """The installed console script beside this interpreter (the venv's bin dir)."""
    script = Path(sys.executable).parent / "passport-vc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "passport_vc.cli"]


def processes(keep: Callable[[list[Any]], bool]) -> Iterator[tuple[int, float, float]]:
    """(pid, user CPU s, system CPU s) of the processes whose parsed /proc stat `keep`
    accepts; the parsed stat is [comm, state, pgrp]."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        if keep([comm, rest[0], int(rest[2])]):
            yield int(entry.name), int(rest[11]) / CLK_TCK, int(rest[12]) / CLK_TCK


@dataclass
class ServiceProcess:
    """A running `passport-vc serve`; its process group is the server and all its workers."""

    process: subprocess.Popen[bytes]
    port: int
    workers: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor), or the server itself."""
        if self.workers == 1:
            return [self.process.pid]
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and _is_worker(entry):
                children.append(int(entry.name))
        return sorted(children)

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds of the server's process group (the workers included)."""
        user = system = 0.0
        for _, u, s in processes(lambda stat: stat[2] == self.process.pid):
            user += u
            system += s
        return user, system

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds, then kill any stragglers."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        # Workers left behind by a supervisor that died first go with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)


def _is_worker(proc: Path) -> bool:
    """A uvicorn worker, not multiprocessing's resource tracker (also a child)."""
    try:
        return b"resource_tracker" not in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def start_service(
    data_dir: Path,
    database_url: str,
    *,
    workers: int,
    admin_token: str,
    master_key: str,
    extra_env: dict[str, str] | None = None,
    startup_seconds: float = 60.0,
) -> ServiceProcess:
    """Start the server on a free port; return once every worker has started and /health
    answers 200. Retries on another port if the free one was taken before the server bound it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    last_log = ""
    for _attempt in range(3):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_VC_")}
        env.update(
            {
                "PASSPORT_VC_DATA_DIR": str(data_dir / "var"),
                "PASSPORT_VC_DATABASE_URL": database_url,
                "PASSPORT_VC_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "PASSPORT_VC_ADMIN_TOKEN": admin_token,
                "PASSPORT_VC_MASTER_KEY": master_key,
                **(extra_env or {}),
            }
        )
        log_path = data_dir / f"server-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    *passport_vc_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    "info",
                ],
                env=env,
                cwd=data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = ServiceProcess(process, port, workers, log_path)
        try:
            if _wait_ready(service, startup_seconds):
                return service
        except BaseException:
            service.stop()
            raise
        service.stop()
        last_log = service.log()
        if "address already in use" not in last_log.lower():
            break
    raise RuntimeError(f"passport-vc serve did not start:\n{last_log[-4000:]}")


def _wait_ready(service: ServiceProcess, startup_seconds: float) -> bool:
    """True once /health is 200 and every worker has finished its startup; False if the
    server exits; RuntimeError after `startup_seconds`."""
    deadline = time.monotonic() + startup_seconds
    healthy = False
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            return False
        if not healthy:
            try:
                healthy = httpx.get(f"{service.base_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                healthy = False
        if healthy and service.log_path.read_bytes().count(READY_LINE) >= service.workers:
            return True
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(
        f"passport-vc serve was not ready after {startup_seconds:.0f} s:\n{service.log()[-4000:]}"
    )


# --- the benchmarks' server -------------------------------------------------------------------

BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789"
BENCH_MASTER_KEY = "B" * 43
RATE_LIMITS_NOTE = (
    "rate limits: off (PASSPORT_VC_RATE_LIMITS_ENABLED=false): one API key and one address at "
    "hundreds of requests a second is the load measured here, not abuse"
)


def start_bench_server(
    data_dir: Path,
    database_url: str,
    workers: int,
    extra_env: Mapping[str, str] | None = None,
) -> ServiceProcess:
    """`passport-vc serve --workers N` as the scripts under bench/ measure it: BENCH_ADMIN_TOKEN,
    BENCH_MASTER_KEY, rate limits off (RATE_LIMITS_NOTE), up to 90 s to start; `extra_env`
    (PASSPORT_VC_ settings) last."""
    return start_service(
        data_dir,
        database_url,
        workers=workers,
        admin_token=BENCH_ADMIN_TOKEN,
        master_key=BENCH_MASTER_KEY,
        extra_env={"PASSPORT_VC_RATE_LIMITS_ENABLED": "false", **(extra_env or {})},
        startup_seconds=90.0,
    )
