"""Status lists as stored rows: allocating indices, changing a status, rendering the list VC.

A list's bits are never stored as a blob: each allocated index is a `status_entry` row, and
the served list is rebuilt from the rows whose status is not 0 whenever the list's `version`
moves. Allocation is unique because (list_id, idx) is the primary key; a collision (another
worker took the same random index) makes the caller retry with fresh indices.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from passport_vc.proofs.data_integrity import ProofOptions, add_proof
from passport_vc.services import makerspaces
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import NotFoundError
from passport_vc.status import BitstringStatusList, build_status_list_credential
from passport_vc.store import Makerspace, StatusEntry, StatusListRecord
from passport_vc.timestamps import utc_now

PURPOSES = ("revocation", "suspension")
_rng = secrets.SystemRandom()


def list_url(ctx: ServiceContext, list_id: int) -> str:
    return f"{ctx.public_url}/status-lists/{list_id}"


def list_id_from_url(ctx: ServiceContext, url: str) -> int | None:
    """The list id if `url` is one of this service's status lists, else None."""
    prefix = f"{ctx.public_url}/status-lists/"
    if not url.startswith(prefix):
        return None
    tail = url[len(prefix) :]
    return int(tail) if tail.isdigit() and len(tail) < 12 else None


def current_list(
    ctx: ServiceContext, session: Session, makerspace_id: int, purpose: str
) -> StatusListRecord:
    """The open list of this purpose, created when there is none (race-safe)."""
    found: StatusListRecord | None = session.execute(
        select(StatusListRecord)
        .where(
            col(StatusListRecord.makerspace_id) == makerspace_id,
            col(StatusListRecord.purpose) == purpose,
            col(StatusListRecord.full) == False,  # noqa: E712
        )
        .order_by(col(StatusListRecord.seq))
        .limit(1)
    ).scalar_one_or_none()
    if found is not None:
        return found
    return _open_next_list(ctx, makerspace_id, purpose)


def _open_next_list(ctx: ServiceContext, makerspace_id: int, purpose: str) -> StatusListRecord:
    for _ in range(10):
        try:
            with ctx.db.session(write=True) as session:
                last: StatusListRecord | None = session.execute(
                    select(StatusListRecord)
                    .where(
                        col(StatusListRecord.makerspace_id) == makerspace_id,
                        col(StatusListRecord.purpose) == purpose,
                    )
                    .order_by(col(StatusListRecord.seq).desc())
                    .limit(1)
                ).scalar_one_or_none()
                if last is not None and not last.full:
                    return last
                record = StatusListRecord(
                    makerspace_id=makerspace_id,
                    purpose=purpose,
                    seq=(last.seq + 1) if last is not None else 1,
                    length=ctx.settings.status_list_length,
                    capacity=ctx.settings.effective_status_list_capacity,
                    updated_at=utc_now(),
                )
                session.add(record)
            return record
        except IntegrityError:
            continue  # another worker opened it first; read theirs
    raise RuntimeError("could not open a status list after 10 attempts")


def mark_full(ctx: ServiceContext, list_id: int) -> None:
    with ctx.db.session(write=True) as session:
        session.execute(
            update(StatusListRecord).where(col(StatusListRecord.id) == list_id).values(full=True)
        )


def used_indices(session: Session, list_id: int) -> set[int]:
    rows = session.execute(
        select(col(StatusEntry.idx)).where(col(StatusEntry.list_id) == list_id)
    ).scalars()
    return set(rows)


def random_indices(capacity: int, count: int, avoid: set[int]) -> list[int]:
    """`count` distinct random free indices in [0, capacity) (caller ensures they exist)."""
    chosen: set[int] = set()
    picks: list[int] = []
    free = capacity - len(avoid)
    if free - count < capacity // 4:
        # Nearly full: draw from the explicit free set instead of rejection sampling.
        pool = [i for i in range(capacity) if i not in avoid]
        return _rng.sample(pool, count)
    while len(picks) < count:
        candidate = _rng.randrange(capacity)
        if candidate in avoid or candidate in chosen:
            continue
        chosen.add(candidate)
        picks.append(candidate)
    return picks


def set_status(session: Session, list_id: int, idx: int, value: int) -> bool:
    """Set one entry; returns whether it changed. Bumps the list's version when it did."""
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(StatusEntry)
            .where(
                col(StatusEntry.list_id) == list_id,
                col(StatusEntry.idx) == idx,
                col(StatusEntry.status) != value,
            )
            .values(status=value)
        ),
    ).rowcount
    if changed:
        session.execute(
            update(StatusListRecord)
            .where(col(StatusListRecord.id) == list_id)
            .values(version=col(StatusListRecord.version) + 1, updated_at=utc_now())
        )
    return bool(changed)


@dataclass(frozen=True)
class RenderedList:
    body: bytes
    etag: str
    max_age: int


def render_list(ctx: ServiceContext, list_id: int) -> RenderedList:
    """The signed BitstringStatusListCredential as served, with its ETag."""
    with ctx.db.session() as session:
        record = session.get(StatusListRecord, list_id)
        if record is None:
            raise NotFoundError(f"no status list {list_id}")
        makerspace = session.get(Makerspace, record.makerspace_id)
        assert makerspace is not None and makerspace.id is not None
        key, method = makerspaces.active_key(ctx, session, makerspace.id)
        cache_key = (list_id, record.version, method)
        # Every worker renders the same bytes for a version (validFrom is the version's time,
        # Ed25519 is deterministic), so this cache cannot make two workers disagree.
        cached = ctx.rendered_lists.get(cache_key)
        if isinstance(cached, RenderedList):
            return cached
        set_bits: Iterable[tuple[int, int]] = session.execute(
            select(col(StatusEntry.idx), col(StatusEntry.status)).where(
                col(StatusEntry.list_id) == list_id,
                col(StatusEntry.status) != 0,
            )
        ).all()
        bits = BitstringStatusList(record.length)
        for idx, status in set_bits:
            bits.set(idx, status)
        ttl = ctx.settings.status_list_ttl_seconds
        unsigned = build_status_list_credential(
            list_url=list_url(ctx, list_id),
            issuer=makerspace.did,
            purpose=record.purpose,
            status_list=bits,
            valid_from=record.updated_at,
            ttl_ms=ttl * 1000,
        )
        created = record.updated_at.replace(microsecond=0)
        signed = add_proof(unsigned, key, ProofOptions(verification_method=method, created=created))
    body = json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode()
    rendered = RenderedList(
        body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"', max_age=ttl
    )
    ctx.rendered_lists.put(cache_key, rendered)
    return rendered
