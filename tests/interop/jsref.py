"""Drive the reference JavaScript implementation (interop/worker.mjs) from Python.

One ``node interop/worker.mjs`` process serves many requests: one JSON object per line
in, one per line out (protocol: interop/README.md). Tests get a shared instance through
the session-scoped ``jsref`` fixture in conftest.py.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEROP_DIR = REPO_ROOT / "interop"
WORKER = INTEROP_DIR / "worker.mjs"
INSTALL_HINT = (
    "install the reference implementation with `make test` "
    "(or `cd interop && npm ci --no-audit --no-fund`)"
)


class JsReferenceError(RuntimeError):
    """The worker answered ``ok: false``, died, or did not answer in time."""

    def __init__(self, message: str, name: str = "Error", error: Any = None) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.js_message = message
        self.error = error


class JsReferenceTimeout(JsReferenceError):
    pass


def missing_prerequisite(interop_dir: Path = INTEROP_DIR) -> str | None:
    """Why the reference implementation cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "node is not on PATH (the interop tests need Node.js 18+)"
    if not (interop_dir / "node_modules" / "@digitalbazaar" / "vc" / "package.json").is_file():
        return f"{interop_dir / 'node_modules'} is missing"
    return None


class JsReference:
    """A running ``node interop/worker.mjs``; thread-safe, restarts after a timeout."""

    def __init__(self, interop_dir: Path = INTEROP_DIR, timeout: float = 60.0) -> None:
        self.interop_dir = Path(interop_dir)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: Any = None
        self.info: dict[str, Any] = {}

    # -- process management -------------------------------------------------

    def start(self) -> JsReference:
        with self._lock:
            self._start()
        self.info = self.request({"op": "ping"}, timeout=max(self.timeout, 30.0))
        return self

    def _start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise JsReferenceError("node is not on PATH", "SetupError")
        # lives as long as the worker (closed in _stop); keeps its stderr for error reports
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._lines = queue.Queue()
        self._proc = subprocess.Popen(
            [node, str(self.interop_dir / "worker.mjs")],
            cwd=self.interop_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        threading.Thread(
            target=self._pump, args=(self._proc, self._lines), daemon=True, name="jsref-stdout"
        ).start()

    @staticmethod
    def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # EOF

    def _stderr_tail(self, limit: int = 4000) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-limit:]
        except (OSError, ValueError):
            return ""

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> JsReference:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocol -------------------------------------------------------------

    def request(self, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request; return the response (``ok: true``) or raise JsReferenceError."""
        timeout = self.timeout if timeout is None else timeout
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                self._start()
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            request_id = next(self._ids)
            try:
                proc.stdin.write(json.dumps({**payload, "id": request_id}) + "\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                tail = self._stderr_tail()
                self._stop()
                raise JsReferenceError(
                    f"worker is gone ({exc}); stderr:\n{tail}", "WorkerDied"
                ) from exc
            while True:
                try:
                    line = self._lines.get(timeout=timeout)
                except queue.Empty:
                    tail = self._stderr_tail()
                    self._stop()  # a stuck worker would answer late: start afresh next time
                    raise JsReferenceTimeout(
                        f"no answer to {payload.get('op')!r} within {timeout}s; stderr:\n{tail}",
                        "Timeout",
                    ) from None
                if line is None:
                    tail = self._stderr_tail()
                    self._stop()
                    raise JsReferenceError(f"worker exited; stderr:\n{tail}", "WorkerDied")
                response: dict[str, Any] = json.loads(line)
                if response.get("id") == request_id:
                    break
                # an answer to an earlier request that timed out: drop it
        if not response.get("ok"):
            error = response.get("error") or {}
            raise JsReferenceError(
                str(error.get("message", "unknown error")), str(error.get("name", "Error")), error
            )
        return response

    def sign(
        self,
        document: dict[str, Any],
        secret_multibase: str,
        public_multibase: str,
        suite: str = "eddsa-rdfc-2022",
        purpose: str = "assertionMethod",
        challenge: str | None = None,
        domain: str | None = None,
        created: str | None = None,
        extra_documents: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Sign with the key ``did:key:<public>#<public>``; return the signed document.

        purpose "assertionMethod" issues a credential (vc.issue); "authentication" signs a
        presentation (vc.signPresentation, challenge required, domain optional).
        """
        payload: dict[str, Any] = {
            "op": "sign",
            "suite": suite,
            "document": document,
            "secretKeyMultibase": secret_multibase,
            "publicKeyMultibase": public_multibase,
            "purpose": purpose,
        }
        optional = {
            "challenge": challenge,
            "domain": domain,
            "created": created,
            "extraDocuments": extra_documents,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        signed: dict[str, Any] = self.request(payload)["document"]
        return signed

    def verify(
        self,
        document: dict[str, Any],
        kind: str = "credential",
        challenge: str | None = None,
        domain: str | None = None,
        extra_documents: dict[str, Any] | None = None,
        check_status: bool = False,
        check_issuer: bool = True,
        now: str | None = None,
    ) -> dict[str, Any]:
        """Verify with both cryptosuites; return ``{"verified": bool, "result": {...}}``.

        check_issuer=True (the library default, CredentialIssuancePurpose) also requires the
        verification method's controller to equal the credential's issuer; False uses a
        plain AssertionProofPurpose. check_status=False skips credentialStatus; True checks
        BitstringStatusListEntry against the list credential in extra_documents.
        A presentation without a challenge is checked as unsigned (only its credentials).
        """
        payload: dict[str, Any] = {
            "op": "verify",
            "kind": kind,
            "document": document,
            "checkStatus": check_status,
            "checkIssuer": check_issuer,
        }
        optional = {
            "challenge": challenge,
            "domain": domain,
            "extraDocuments": extra_documents,
            "now": now,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        response = self.request(payload)
        return {"verified": response["verified"], "result": response["result"]}

    def load(self, url: str, extra_documents: dict[str, Any] | None = None) -> Any:
        """What the worker's static document loader serves for ``url``."""
        payload: dict[str, Any] = {"op": "load", "url": url}
        if extra_documents is not None:
            payload["extraDocuments"] = extra_documents
        return self.request(payload)["document"]

    def bench(
        self, request: dict[str, Any], iterations: int = 200, warmup: int = 20
    ) -> dict[str, Any]:
        """Run a sign/verify request ``iterations`` times inside node (no IPC cost)."""
        response = self.request(
            {"op": "bench", "request": request, "iterations": iterations, "warmup": warmup},
            timeout=max(self.timeout, 600.0),
        )
        return {k: v for k, v in response.items() if k not in ("ok", "id", "elapsedMs")}


def ci_requires_interop() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def error_messages(result: dict[str, Any]) -> list[str]:
    """Every error message found anywhere in a verify result (for assertions)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("message"), str) and "name" in node:
                found.append(node["message"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return found
