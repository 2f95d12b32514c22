"""The audit log: who did what, when, with which API key, from where."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from passport_vc.store import AuditEvent
from passport_vc.timestamps import format_utc_instant, utc_now


@dataclass(frozen=True)
class Actor:
    """Who acts: the administrator, the operator's CLI, or a makerspace by its API key."""

    name: str
    makerspace_id: int | None = None
    api_key_hint: str | None = None
    client: str | None = None


def audit_row(
    actor: Actor, action: str, target: str, detail: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "at": utc_now(),
        "actor": actor.name,
        "api_key_hint": actor.api_key_hint,
        "makerspace_id": actor.makerspace_id,
        "action": action,
        "target": target[:2000],
        "detail": json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":")),
        "client": actor.client,
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one event in the caller's transaction (so it exists exactly when the change does)."""
    session.execute(insert(AuditEvent), [audit_row(actor, action, target, detail)])


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AuditEvent), rows)


def list_events(
    session: Session,
    *,
    makerspace_id: int | None = None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    query = select(AuditEvent)
    count = select(func.count()).select_from(AuditEvent)
    if makerspace_id is not None:
        query = query.where(col(AuditEvent.makerspace_id) == makerspace_id)
        count = count.where(col(AuditEvent.makerspace_id) == makerspace_id)
    if action is not None:
        query = query.where(col(AuditEvent.action) == action)
        count = count.where(col(AuditEvent.action) == action)
    total = session.execute(count).scalar_one()
    rows = session.execute(
        query.order_by(col(AuditEvent.id).desc()).limit(limit).offset(offset)
    ).scalars()
    return total, [
        {
            "id": row.id,
            "at": format_utc_instant(row.at),
            "actor": row.actor,
            "apiKeyHint": row.api_key_hint,
            "action": row.action,
            "target": row.target,
            "detail": json.loads(row.detail),
            "client": row.client,
        }
        for row in rows
    ]
