"""Console sessions: a signed, stateless cookie and the CSRF token derived from it.

The cookie is `<makerspace id>.<expiry>.<nonce>.<mac>`, the MAC an HMAC-SHA256 keyed by a
secret derived from the master key. The MAC also covers the makerspace's API key hash, so
rotating the API key ends every console session. The API key itself is never in the cookie.
Each POST form carries `csrf`, an HMAC of the session nonce, checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from passport_vc.keystore import MasterKey

COOKIE_NAME = "pvc_console"
COOKIE_PATH = "/console"
SESSION_SECONDS = 8 * 60 * 60


@dataclass(frozen=True)
class ConsoleSession:
    makerspace_id: int
    expires: int
    nonce: str


def _secret(master_key: MasterKey) -> bytes:
    return hashlib.blake2b(master_key.secret(), person=b"pvc-console", digest_size=32).digest()


def _mac(master_key: MasterKey, label: str, *parts: object) -> str:
    message = "|".join([label, *(str(p) for p in parts)]).encode()
    return hmac.new(_secret(master_key), message, hashlib.sha256).hexdigest()


def new_session(master_key: MasterKey, makerspace_id: int, api_key_hash: str) -> tuple[str, int]:
    """(cookie value, lifetime in seconds) for a makerspace that has just signed in."""
    expires = int(time.time()) + SESSION_SECONDS
    nonce = secrets.token_urlsafe(16)
    mac = _mac(master_key, "session", makerspace_id, expires, nonce, api_key_hash)
    return f"{makerspace_id}.{expires}.{nonce}.{mac}", SESSION_SECONDS


def parse_session(value: str | None) -> ConsoleSession | None:
    """The unverified fields of a cookie, or None when it is not shaped like one."""
    if not value or len(value) > 200:
        return None
    parts = value.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return ConsoleSession(int(parts[0]), int(parts[1]), parts[2])


def verify_session(
    master_key: MasterKey, value: str, session: ConsoleSession, api_key_hash: str
) -> bool:
    """True when the cookie's MAC is right for this makerspace's current API key and it has
    not expired."""
    if session.expires < time.time():
        return False
    expected = _mac(
        master_key, "session", session.makerspace_id, session.expires, session.nonce, api_key_hash
    )
    return hmac.compare_digest(expected.encode(), value.rsplit(".", 1)[-1].encode())


def csrf_token(master_key: MasterKey, session: ConsoleSession) -> str:
    return _mac(master_key, "csrf", session.nonce)


def check_csrf(master_key: MasterKey, session: ConsoleSession, token: object) -> bool:
    if not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(csrf_token(master_key, session).encode(), token.encode())
