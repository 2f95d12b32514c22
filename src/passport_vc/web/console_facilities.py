"""/console/facilities: the signed-in makerspace's facility records, each with its number of
machines and a link to its public page, and the contracts it initiated or is a party to (the
list GET /contracts answers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from passport_vc.services import contract_list
from passport_vc.services.contract_list import ContractPage
from passport_vc.store import Equipment, Facility
from passport_vc.timestamps import format_utc_instant
from passport_vc.web.console import console_page, ctx_of, signed_in, to_login

router = APIRouter(include_in_schema=False)

MAX_FACILITIES = 500
MAX_CONTRACTS = 100


def facilities_of(session: Session, makerspace_id: int) -> tuple[int, list[dict[str, Any]]]:
    """(how many, the first MAX_FACILITIES by name) of a makerspace's facilities, each with
    its number of machines."""
    total = session.execute(
        select(func.count())
        .select_from(Facility)
        .where(col(Facility.makerspace_id) == makerspace_id)
    ).scalar_one()
    machines = (
        select(col(Equipment.facility_id), func.count().label("machines"))
        .group_by(col(Equipment.facility_id))
        .subquery()
    )
    rows = session.execute(
        select(Facility, func.coalesce(machines.c.machines, 0))
        .join(machines, machines.c.facility_id == col(Facility.id), isouter=True)
        .where(col(Facility.makerspace_id) == makerspace_id)
        .order_by(col(Facility.name), col(Facility.id))
        .limit(MAX_FACILITIES)
    ).all()
    return total, [
        {
            "id": facility.id,
            "name": facility.name,
            "place": ", ".join(p for p in (facility.city, facility.country) if p),
            "machines": int(count),
            "updated": format_utc_instant(facility.updated_at)[:10],
        }
        for facility, count in rows
    ]


@router.get("/console/facilities")
async def console_facilities(request: Request) -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    ctx = ctx_of(request)
    makerspace = signed.makerspace
    assert makerspace.id is not None
    makerspace_id = makerspace.id

    def load() -> tuple[int, list[dict[str, Any]], ContractPage]:
        with ctx.db.session() as db:
            total, facilities = facilities_of(db, makerspace_id)
        contracts = contract_list.list_contracts(ctx, makerspace, limit=MAX_CONTRACTS)
        return total, facilities, contracts

    total, facilities, contracts = await run_in_threadpool(load)
    return console_page(
        request,
        "console_facilities.html",
        {
            "makerspace": makerspace,
            "csrf": signed.csrf,
            "total": total,
            "facilities": facilities,
            "contracts": [{**item, "created": item["createdAt"][:10]} for item in contracts.items],
            "contracts_total": contracts.total,
            "api_path": f"/makerspaces/{makerspace.slug}/facilities",
        },
    )
