"""Idempotency keys on issuance: a client that retries a request (a timeout, a crash, a
dropped connection) with the same `Idempotency-Key` header gets back what was issued the first
time, never a second badge.

The key is the makerspace's own (two makerspaces may use the same key). A batch row's key is
the request's key, '#', and the row number, so a batch cut off half way is resumed by sending
it again: the rows already stored come back as they were, the others are issued. The key is
stored with the credential, in the same transaction, so it exists exactly when the credential
does. Reusing a key for a different request is refused (422 naming Idempotency-Key), as the
IETF draft "The Idempotency-Key HTTP Header Field" asks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlmodel import Session, col

from passport_vc.services.errors import InvalidFieldError
from passport_vc.store import CredentialRecord, IdempotencyRecord
from passport_vc.timestamps import utc_now

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class RequestKey:
    """The key a stored credential answers to, and the fingerprint of the request."""

    key: str
    request_hash: str


def parse_header(value: str | None) -> str | None:
    """The header's key, or None when absent; 422 naming the header when malformed."""
    if value is None:
        return None
    key = value.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidFieldError(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters "
            "(a UUID is a good choice)",
            field=HEADER,
        )
    return key


def fingerprint(request: Any) -> str:
    """A stable hash of a request body (or a batch row), whatever its key order."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def for_request(key: str | None, request: Any) -> RequestKey | None:
    return None if key is None else RequestKey(key, fingerprint(request))


def for_row(key: str | None, number: int, row: Any) -> RequestKey | None:
    return None if key is None else RequestKey(f"{key}#{number}", fingerprint(row))


@dataclass(frozen=True)
class Replay:
    """A credential stored under a key earlier: its UUID and its signed document."""

    uuid: str
    document: dict[str, Any]


def find(
    session: Session, makerspace_id: int, keys: Sequence[RequestKey]
) -> dict[str, Replay | InvalidFieldError]:
    """By key: the stored credential of each key already used, or the error for a key used
    with a different request. Keys not used yet are absent."""
    found: dict[str, Replay | InvalidFieldError] = {}
    wanted = {k.key: k for k in keys}
    names = list(wanted)
    for start in range(0, len(names), 500):
        part = names[start : start + 500]
        rows = session.execute(
            select(IdempotencyRecord, col(CredentialRecord.document))
            .join(
                CredentialRecord,
                col(CredentialRecord.id) == col(IdempotencyRecord.credential_id),
            )
            .where(
                tuple_(col(IdempotencyRecord.makerspace_id), col(IdempotencyRecord.key)).in_(
                    [(makerspace_id, name) for name in part]
                )
            )
        ).all()
        for record, document in rows:
            if record.request_hash != wanted[record.key].request_hash:
                found[record.key] = InvalidFieldError(
                    f"{HEADER} {record.key!r} was used for a different request; "
                    "use a new key for a new request",
                    field=HEADER,
                )
            else:
                found[record.key] = Replay(record.credential_id, json.loads(document))
    return found


def row(makerspace_id: int, key: RequestKey, credential_uuid: str) -> dict[str, Any]:
    """The idempotency_key row stored beside a credential."""
    return {
        "makerspace_id": makerspace_id,
        "key": key.key,
        "request_hash": key.request_hash,
        "credential_id": credential_uuid,
        "created_at": utc_now(),
    }
