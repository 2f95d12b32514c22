"""A guard that refuses and records network access: every connection (but the test
database's and Unix sockets) and every name lookup, in any thread."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

# The test PostgreSQL server: the only address a test may connect to (psycopg connects from
# C, so this is belt and braces), besides Unix sockets.
DATABASE_ADDRESSES = frozenset({("127.0.0.1", 5432), ("::1", 5432)})


class NetworkAccessAttempted(OSError):
    """What a blocked connection or name lookup raises inside the code under test."""


@dataclass
class NetworkGuard:
    """Every connection and name lookup tried while the guard is on, refused and recorded."""

    attempts: list[str] = field(default_factory=list)

    def refuse(self, what: str) -> NetworkAccessAttempted:
        self.attempts.append(what)
        return NetworkAccessAttempted(f"network access blocked in this test: {what}")


def _allowed(address: Any, family: int) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    return isinstance(address, tuple) and (str(address[0]), address[1]) in DATABASE_ADDRESSES


def install(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """Patch the socket module for the rest of the test; the guard records what was tried."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(address, self.family):
            raise guard.refuse(f"connect {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(address, self.family):
            raise guard.refuse(f"connect_ex {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise guard.refuse(f"create_connection {address!r}")

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        raise guard.refuse(f"getaddrinfo {host!r}:{port!r}")

    def gethostbyname(host: Any) -> str:
        raise guard.refuse(f"gethostbyname {host!r}")

    def gethostbyname_ex(host: Any) -> Any:
        raise guard.refuse(f"gethostbyname_ex {host!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
    monkeypatch.setattr(socket, "gethostbyname_ex", gethostbyname_ex)
    return guard
