"""Rate limits: 429 problem+json with Retry-After, before a handler runs.

Token buckets, per worker process, on four kinds of request: issuing (per API key or console
session, and per client address), verifying and challenge creation (per client address), and
failed authentications (per client address: a wrong API key, admin token, console sign-in or
share token). Once an address has spent its failures, every request from it that carries a
credential is refused until a token returns, so guessing is throttled to
`auth_failures_per_address` a minute per worker on top of the 256-bit secrets. Each failure and
each refusal is logged (address, method, path; never the credential)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from passport_vc.api.limits import ASGIApp, Message, Receive, Scope, Send
from passport_vc.settings import Rate, RateLimits

security_log = logging.getLogger("passport_vc.security")

MAX_TRACKED = 100_000
ISSUE = re.compile(
    r"^/(credentials/issue|makerspaces/[^/]+/badges(/batch)?|console/(issue|batch))$"
)
VERIFY = re.compile(
    r"^/(credentials/verify|presentations/verify|verify|share"
    r"|equipment/[^/]+/authorisations/check|contracts/[^/]+/qualification-checks)$"
)
CONSOLE_COOKIE = b"pvc_console"


class Buckets:
    """Token buckets by key, the least recently used forgotten past `MAX_TRACKED` keys."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = rate.per_minute / 60.0
        self.burst = float(rate.burst)
        self.clock = clock
        self.state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, key: str, now: float) -> float:
        tokens, updated = self.state.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - updated) * self.per_second)

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0: it has one now), without spending it."""
        level = self._level(key, self.clock())
        return 0.0 if level >= 1.0 else (1.0 - level) / self.per_second

    def take(self, key: str) -> float:
        """Spend a token of `key` and return 0, or return the seconds until one is there."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1.0:
            return (1.0 - level) / self.per_second
        self.state[key] = (level - 1.0, now)
        self.state.move_to_end(key)
        if len(self.state) > MAX_TRACKED:
            self.state.popitem(last=False)
        return 0.0


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _session_cookie(scope: Scope) -> bytes | None:
    cookie = _header(scope, b"cookie")
    if not cookie:
        return None
    for part in cookie.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == CONSOLE_COOKIE:
            return value
    return None


def _has_share_token(scope: Scope) -> bool:
    return scope["path"].startswith("/passports/") and b"token=" in scope.get("query_string", b"")


class RateLimit:
    """The middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, limits: RateLimits) -> None:
        self.app = app
        self.issue_key = Buckets(limits.issue_per_key)
        self.issue_address = Buckets(limits.issue_per_address)
        self.verify = Buckets(limits.verify_per_address)
        self.challenge = Buckets(limits.challenge_per_address)
        self.failures = Buckets(limits.auth_failures_per_address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        authorization = _header(scope, b"authorization")
        carries_credential = (
            authorization is not None
            or (method == "POST" and path == "/console/login")
            or _has_share_token(scope)
        )
        if carries_credential and (wait := self.failures.wait(address)) > 0:
            security_log.warning(
                "refused %s %s from %s: too many failed authentications", method, path, address
            )
            await _too_many(send, "auth_failures_per_address", wait)
            return
        if method == "POST" and (over := self._spend(path, address, authorization, scope)):
            await _too_many(send, *over)
            return

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self._failed(
                message["status"], carries_credential, scope
            ):
                self.failures.take(address)
                security_log.warning(
                    "authentication failed from %s on %s %s", address, method, path
                )
            await send(message)

        await self.app(scope, receive, watching_send)

    def _spend(
        self, path: str, address: str, authorization: bytes | None, scope: Scope
    ) -> tuple[str, float] | None:
        """(the limit, seconds to wait) when the request is over a limit; None otherwise."""
        if path == "/challenges":
            wait = self.challenge.take(address)
            return ("challenge_per_address", wait) if wait else None
        if VERIFY.match(path):
            wait = self.verify.take(address)
            return ("verify_per_address", wait) if wait else None
        if ISSUE.match(path):
            credential = authorization or _session_cookie(scope)
            if credential:
                key = hashlib.sha256(credential).hexdigest()
                if wait := self.issue_key.take(key):
                    return "issue_per_key", wait
            if wait := self.issue_address.take(address):
                return "issue_per_address", wait
        return None

    @staticmethod
    def _failed(status: int, carries_credential: bool, scope: Scope) -> bool:
        if status == 401:
            return True
        return status == 404 and carries_credential and _has_share_token(scope)


async def _too_many(send: Send, limit: str, wait: float) -> None:
    retry_after = max(1, math.ceil(wait))
    body = json.dumps(
        {
            "type": "https://passport-vc.org/problems#RATE_LIMITED",
            "title": "Too many requests",
            "status": 429,
            "detail": f"over the {limit} rate limit; retry after {retry_after} s",
            "field": "(rate limit)",
            "limit": limit,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
