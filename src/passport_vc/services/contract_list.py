"""Lists of contracts: the ones a makerspace may see (GET /contracts), and the ones a holder is
a party to (their passport page), each with its latest qualification decision.

A contract's parties and status live in its JSON record, so the filters read the JSON in SQL:
`json_each`/`json_extract` on SQLite, `jsonb` containment on PostgreSQL. Exact matches only (a
DID that is a prefix of another, or a DID quoted in the item's details, does not match).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col

from passport_vc.dids.syntax import parse_did
from passport_vc.errors import DidResolutionError
from passport_vc.services import check_records
from passport_vc.services.context import ServiceContext
from passport_vc.services.contract_terms import CONTRACT_STATUSES
from passport_vc.services.contracts import KIND
from passport_vc.services.errors import InvalidFieldError
from passport_vc.store import Contract, Makerspace, QualificationCheck
from passport_vc.timestamps import format_datetime_stamp

PASSED, FAILED, NONE = "passed", "failed", "none"
MAX_DID = 2000


@dataclass(frozen=True)
class ContractPage:
    total: int
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class _Latest:
    check_id: str
    passed: bool
    checked_at: str
    outcome: str | None  # the stored answer (JSON), read only when a party's decision is wanted


def checked_party(value: str, field: str = "party") -> str:
    """`value` if it is a bare DID; 422 naming `field` otherwise."""
    if len(value) > MAX_DID:
        raise InvalidFieldError(f"{field}: a DID of at most {MAX_DID} characters", field=field)
    try:
        return parse_did(value).did
    except DidResolutionError as exc:
        raise InvalidFieldError(f"{field}: {exc.detail}", field=field) from None


def checked_status(value: str) -> str:
    if value not in CONTRACT_STATUSES:
        raise InvalidFieldError(
            f"status: must be one of {', '.join(CONTRACT_STATUSES)}, not {value[:40]!r}",
            field="status",
        )
    return value


def _has_party(ctx: ServiceContext, did: str) -> ColumnElement[bool]:
    if ctx.db.is_sqlite:
        party = func.json_each(col(Contract.record), "$.parties").table_valued("value").alias()
        return exists(
            select(literal(1))
            .select_from(party)
            .where(func.json_extract(party.c.value, "$.did") == did)
        )
    return cast(col(Contract.record), JSONB).contains({"parties": [{"did": did}]})


def _has_status(ctx: ServiceContext, status: str) -> ColumnElement[bool]:
    if ctx.db.is_sqlite:
        return func.json_extract(col(Contract.record), "$.status") == status
    return cast(col(Contract.record), JSONB).contains({"status": status})


def _latest_checks(
    session: Session, contract_ids: Sequence[str], *, with_outcome: bool = False
) -> dict[str, _Latest]:
    """The newest contract check of each contract (with its stored answer if asked)."""
    if not contract_ids:
        return {}
    ranked = (
        select(
            col(QualificationCheck.id),
            col(QualificationCheck.contract_id),
            col(QualificationCheck.passed),
            col(QualificationCheck.created_at),
            (col(QualificationCheck.outcome) if with_outcome else literal(None)).label("outcome"),
            func.row_number()
            .over(
                partition_by=col(QualificationCheck.contract_id),
                order_by=(
                    col(QualificationCheck.created_at).desc(),
                    col(QualificationCheck.id).desc(),
                ),
            )
            .label("n"),
        )
        .where(
            col(QualificationCheck.contract_id).in_(list(contract_ids)),
            col(QualificationCheck.kind) == KIND,
        )
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.id,
            ranked.c.contract_id,
            ranked.c.passed,
            ranked.c.created_at,
            ranked.c.outcome,
        ).where(ranked.c.n == 1)
    ).all()
    return {
        contract_id: _Latest(check_id, bool(passed), format_datetime_stamp(created), outcome)
        for check_id, contract_id, passed, created, outcome in rows
    }


def _latest_json(ctx: ServiceContext, contract_id: str, latest: _Latest | None) -> dict[str, Any]:
    if latest is None:
        return {"outcome": NONE, "id": None, "checkedAt": None, "url": None}
    return {
        "outcome": PASSED if latest.passed else FAILED,
        "id": latest.check_id,
        "checkedAt": latest.checked_at,
        "url": check_records.check_url(ctx, contract_id, latest.check_id),
    }


def list_contracts(
    ctx: ServiceContext,
    makerspace: Makerspace,
    *,
    party: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ContractPage:
    """The contracts `makerspace` may see (it initiated them, or its DID is a party), newest
    first, filtered by a party's DID and by status; 422 naming the filter that is wrong."""
    conditions: list[ColumnElement[bool]] = [
        or_(
            col(Contract.makerspace_id) == makerspace.id,
            _has_party(ctx, makerspace.did),
        )
    ]
    if party is not None:
        conditions.append(_has_party(ctx, checked_party(party)))
    if status is not None:
        conditions.append(_has_status(ctx, checked_status(status)))
    where = and_(*conditions)
    with ctx.db.session() as session:
        total = session.execute(
            select(func.count()).select_from(Contract).where(where)
        ).scalar_one()
        rows = session.execute(
            select(Contract, col(Makerspace.slug))
            .join(Makerspace, col(Makerspace.id) == col(Contract.makerspace_id), isouter=True)
            .where(where)
            .order_by(col(Contract.created_at).desc(), col(Contract.id))
            .limit(limit)
            .offset(offset)
        ).all()
        latest = _latest_checks(session, [row.id for row, _ in rows])
    items = []
    for row, slug in rows:
        record = json.loads(row.record)
        items.append(
            {
                "id": row.id,
                "url": check_records.contract_url(ctx, row.id),
                "item": {"name": record["item"]["name"]},
                "totalQuantity": record["totalQuantity"],
                "partyCount": len(record.get("parties", [])),
                "status": record.get("status"),
                "makerspace": slug,
                "createdAt": format_datetime_stamp(row.created_at),
                "latestCheck": _latest_json(ctx, row.id, latest.get(row.id)),
            }
        )
    return ContractPage(total, items)


def _party_decision(latest: _Latest | None, did: str) -> str:
    """What the latest check decided for one party: passed, failed, or none (never checked,
    or the party was not in that check)."""
    if latest is None or latest.outcome is None:
        return NONE
    for answer in json.loads(latest.outcome).get("parties", []):
        if answer.get("did") == did:
            return PASSED if answer.get("passed") else FAILED
    return NONE


def contracts_of_party(ctx: ServiceContext, did: str, *, limit: int = 100) -> ContractPage:
    """The contracts `did` is a party to, newest first: for each its item, the party's role
    and what the latest check decided for this party. Only for a caller already allowed to
    see this holder (the passport page, behind its share token)."""
    where = _has_party(ctx, checked_party(did, "did"))
    with ctx.db.session() as session:
        total = session.execute(
            select(func.count()).select_from(Contract).where(where)
        ).scalar_one()
        rows = list(
            session.execute(
                select(Contract)
                .where(where)
                .order_by(col(Contract.created_at).desc(), col(Contract.id))
                .limit(limit)
            ).scalars()
        )
        latest = _latest_checks(session, [row.id for row in rows], with_outcome=True)
    items = []
    for row in rows:
        record = json.loads(row.record)
        roles = [p["role"] for p in record.get("parties", []) if p.get("did") == did]
        found = latest.get(row.id)
        items.append(
            {
                "id": row.id,
                "item": {"name": record["item"]["name"]},
                "status": record.get("status"),
                "role": roles[0] if roles else None,
                "createdAt": format_datetime_stamp(row.created_at),
                "decision": _party_decision(found, did),
                "checkedAt": found.checked_at if found else None,
            }
        )
    return ContractPage(total, items)
