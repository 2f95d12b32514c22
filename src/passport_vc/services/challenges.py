"""Single-use challenges for presentations (replay protection), shared by every worker."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlmodel import col

from passport_vc.services.context import ServiceContext
from passport_vc.store import Challenge
from passport_vc.timestamps import utc_now


def create_challenge(ctx: ServiceContext) -> tuple[str, int]:
    """A new random challenge and its lifetime in seconds."""
    now = utc_now()
    ttl = ctx.settings.challenge_ttl_seconds
    value = secrets.token_urlsafe(32)
    with ctx.db.session(write=True) as session:
        session.add(Challenge(value=value, created_at=now, expires_at=now + timedelta(seconds=ttl)))
        # Housekeeping in the same breath: expired challenges are of no further use.
        session.execute(
            delete(Challenge).where(col(Challenge.expires_at) < now - timedelta(days=1))
        )
    return value, ttl


def consume_challenge(ctx: ServiceContext, value: str) -> bool:
    """True exactly once for a challenge this service issued that has not expired."""
    if not isinstance(value, str) or len(value) > 64:
        return False
    now = utc_now()
    with ctx.db.session(write=True) as session:
        used = cast(
            "CursorResult[Any]",
            session.execute(
                update(Challenge)
                .where(
                    col(Challenge.value) == value,
                    col(Challenge.used_at).is_(None),
                    col(Challenge.expires_at) > now,
                )
                .values(used_at=now)
            ),
        ).rowcount
    return bool(used == 1)
