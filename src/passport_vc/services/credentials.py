"""Reading stored credentials and changing their status (revoke, suspend, reinstate)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from passport_vc.services import audit, status_lists
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import ConflictError, InvalidFieldError, NotFoundError
from passport_vc.store import CredentialRecord, Makerspace, StatusEntry, StatusListRecord
from passport_vc.timestamps import format_utc_instant

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STATUSES = ("active", "revoked", "suspended")


def find(session: Session, ref: str) -> CredentialRecord | None:
    """By our UUID or by the credential's own `id`."""
    if "\x00" in ref:  # no id has one, and PostgreSQL refuses to compare with it (a 500)
        return None
    if _UUID.fullmatch(ref):
        return session.get(CredentialRecord, ref)
    return session.execute(
        select(CredentialRecord).where(col(CredentialRecord.credential_id) == ref)
    ).scalar_one_or_none()


def statuses_of(session: Session, credential_uuid: str) -> dict[str, tuple[int, int, int]]:
    """purpose: (list id, index, status) for each status entry of the credential."""
    rows = session.execute(
        select(
            col(StatusListRecord.purpose),
            col(StatusEntry.list_id),
            col(StatusEntry.idx),
            col(StatusEntry.status),
        )
        .join(StatusListRecord, col(StatusListRecord.id) == col(StatusEntry.list_id))
        .where(col(StatusEntry.credential_id) == credential_uuid)
    ).all()
    return {purpose: (list_id, idx, status) for purpose, list_id, idx, status in rows}


def summary(
    record: CredentialRecord, statuses: Mapping[str, tuple[int, int, int]]
) -> dict[str, Any]:
    return {
        "id": record.id,
        "credentialId": record.credential_id,
        "holder": record.holder,
        "skill": record.skill_uri,
        "level": record.level,
        "issuedAt": format_utc_instant(record.issued_at),
        "validUntil": format_utc_instant(record.valid_until) if record.valid_until else None,
        "revoked": bool(statuses.get("revocation", (0, 0, 0))[2]),
        "suspended": bool(statuses.get("suspension", (0, 0, 0))[2]),
    }


def document_of(record: CredentialRecord) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(record.document)
    return loaded


@dataclass(frozen=True)
class CredentialPage:
    total: int
    items: list[dict[str, Any]]


def list_issued(
    session: Session,
    makerspace_id: int,
    *,
    holder: str | None = None,
    skill: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CredentialPage:
    """The makerspace's own credentials, newest first, with filters."""
    if status is not None and status not in STATUSES:
        raise InvalidFieldError(f"status must be one of {list(STATUSES)}", field="status")
    conditions = [col(CredentialRecord.makerspace_id) == makerspace_id]
    if holder is not None:
        conditions.append(col(CredentialRecord.holder) == holder)
    if skill is not None:
        conditions.append(col(CredentialRecord.skill_uri) == skill)
    if status is not None:
        revoked = _has_status("revocation")
        suspended = _has_status("suspension")
        if status == "revoked":
            conditions.append(revoked)
        elif status == "suspended":
            conditions.extend([suspended, ~revoked])
        else:
            conditions.extend([~revoked, ~suspended])
    where = and_(*conditions)
    total = session.execute(
        select(func.count()).select_from(CredentialRecord).where(where)
    ).scalar_one()
    records = list(
        session.execute(
            select(CredentialRecord)
            .where(where)
            .order_by(col(CredentialRecord.issued_at).desc(), col(CredentialRecord.id))
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    return CredentialPage(total, [summary(r, statuses_of(session, r.id)) for r in records])


def _has_status(purpose: str) -> Any:
    return (
        select(col(StatusEntry.idx))
        .join(StatusListRecord, col(StatusListRecord.id) == col(StatusEntry.list_id))
        .where(
            col(StatusEntry.credential_id) == col(CredentialRecord.id),
            col(StatusListRecord.purpose) == purpose,
            col(StatusEntry.status) != 0,
        )
        .exists()
    )


def change_status(
    ctx: ServiceContext,
    actor: Actor,
    makerspace: Makerspace,
    credential_ref: str,
    purpose: str,
    value: bool,
) -> bool:
    """Revoke (permanent), suspend or reinstate; returns whether anything changed."""
    if purpose not in status_lists.PURPOSES:
        raise InvalidFieldError(
            f"statusPurpose must be one of {list(status_lists.PURPOSES)}",
            field="credentialStatus.statusPurpose",
        )
    with ctx.db.session(write=True) as session:
        record = find(session, credential_ref)
        if record is None or record.makerspace_id != makerspace.id:
            raise NotFoundError(
                f"no credential {credential_ref!r} issued by {makerspace.slug}",
                field="credentialId",
            )
        statuses = statuses_of(session, record.id)
        if purpose not in statuses:
            raise ConflictError(
                f"credential {credential_ref!r} has no {purpose} status entry",
                field="credentialStatus.statusPurpose",
            )
        list_id, idx, current = statuses[purpose]
        if purpose == "revocation" and current and not value:
            raise ConflictError(
                "revocation is permanent; a revoked credential cannot be reinstated", field="status"
            )
        changed = status_lists.set_status(session, list_id, idx, 1 if value else 0)
        if changed:
            action = {
                ("revocation", True): "credential.revoke",
                ("suspension", True): "credential.suspend",
                ("suspension", False): "credential.reinstate",
            }[(purpose, value)]
            audit.record(
                session, actor, action, record.credential_id, {"list": list_id, "index": idx}
            )
        return changed
