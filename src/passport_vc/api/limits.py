"""Request body size limits, enforced before a handler reads the body; JSON bodies are also
checked for what Python's json module accepts but JSON does not (see strict_json)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from starlette.exceptions import HTTPException

from passport_vc.api.strict_json import json_body_problem
from passport_vc.errors import PARSING_ERROR

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLargeError(HTTPException):
    """Raised while streaming a body past the limit; answered 413 by the problem handlers.

    An HTTPException, because FastAPI re-raises those from body parsing (any other error
    there would become a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class BodySizeLimit:
    """413 problem+json when a body is over the limit: by Content-Length at once, or while
    streaming when the length is not declared (chunked). A JSON body is read whole first
    and refused 400 problem+json when it has duplicate keys, NaN, ... (json_body_problem)."""

    def __init__(
        self, app: ASGIApp, *, default: int, large: int, large_paths: tuple[str, ...]
    ) -> None:
        self.app = app
        self.default = default
        self.large = large
        self.large_paths = large_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.large if path.endswith(self.large_paths) else self.default
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _reject(send, limit)
                    return
        if _is_json(scope):
            await self._json(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await _reject(send, limit)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await _reject(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if len(body) > _INLINE_CHECK_BYTES:  # a batch: ~10 ms per MB, off the event loop
            problem = await anyio.to_thread.run_sync(json_body_problem, body)
        else:
            problem = json_body_problem(body)
        if problem is not None:
            await _send_problem(
                send,
                400,
                {
                    "type": PARSING_ERROR,
                    "title": "Malformed JSON",
                    "status": 400,
                    "detail": f"the request body is not valid JSON: {problem}",
                    "field": "(body)",
                },
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: disconnect notices
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INLINE_CHECK_BYTES = 256 * 1024


def _is_json(scope: Scope) -> bool:
    """A request whose body FastAPI reads as JSON: application/json or application/*+json."""
    if scope.get("method") not in _BODY_METHODS:
        return False
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media: str = bytes(value).decode("latin-1").split(";", 1)[0].strip().lower()
            return media == "application/json" or (
                media.startswith("application/") and media.endswith("+json")
            )
    return False


async def _reject(send: Send, limit: int) -> None:
    await _send_problem(
        send,
        413,
        {
            "type": "https://passport-vc.org/problems#PAYLOAD_TOO_LARGE",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
            "field": "(body)",
        },
        close=True,
    )


async def _send_problem(
    send: Send, status: int, problem: dict[str, Any], *, close: bool = False
) -> None:
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
