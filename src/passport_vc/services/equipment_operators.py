"""Who may operate a machine: one `equipment_operator` row per holder, added (idempotently)
when an authorisation check passes, or listed in the facility's OKW record."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from passport_vc.okw import OkwError
from passport_vc.okw import values as okw_values
from passport_vc.services import audit
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, NotFoundError
from passport_vc.services.facility_views import known_id
from passport_vc.store import Equipment, EquipmentOperator, Facility
from passport_vc.timestamps import utc_now

SYSTEM = Actor(name="system")


def _holder(holder_did: str) -> str:
    try:
        return okw_values.did(holder_did, "holder")
    except OkwError as exc:
        raise InvalidFieldError(exc.detail, field="holder") from None


def add_operator(
    ctx: ServiceContext,
    equipment_id: str,
    holder_did: str,
    check_id: str | None = None,
    *,
    actor: Actor = SYSTEM,
) -> bool:
    """Allow `holder_did` to operate the machine; True if added, False if already allowed
    (idempotent and race-safe: the row's primary key is (equipment, holder))."""
    known_id(equipment_id, "equipment")
    holder = _holder(holder_did)
    if check_id is not None and (not check_id or len(check_id) > okw_values.ID_MAX):
        raise InvalidFieldError(
            f"checkId must be 1 to {okw_values.ID_MAX} characters", field="checkId"
        )
    values = {
        "equipment_id": equipment_id,
        "holder": holder,
        "added_at": utc_now(),
        "check_id": check_id,
    }
    with ctx.db.session(write=True) as session:
        # FOR SHARE: the machine cannot be deleted by a concurrent import before this commits.
        found = session.execute(
            select(Equipment).where(col(Equipment.id) == equipment_id).with_for_update(read=True)
        ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(f"no equipment {equipment_id!r}", field="equipmentId")
        dialect = sqlite if ctx.db.is_sqlite else postgresql
        statement = dialect.insert(EquipmentOperator).values(**values)
        inserted = session.execute(
            statement.on_conflict_do_nothing(index_elements=["equipment_id", "holder"]).returning(
                col(EquipmentOperator.holder)
            )
        ).first()
        added = inserted is not None  # RETURNING: rowcount is not reliable on every driver
        if added:
            facility = session.get(Facility, found.facility_id)
            audit.record(
                session,
                replace(actor, makerspace_id=facility.makerspace_id if facility else None),
                "equipment.operator.add",
                equipment_id,
                {"holder": holder, "checkId": check_id},
            )
    return added


def remove_operator(
    ctx: ServiceContext, equipment_id: str, holder_did: str, *, actor: Actor = SYSTEM
) -> bool:
    """Withdraw `holder_did`'s permission to operate the machine; True if there was one."""
    known_id(equipment_id, "equipment")
    holder = _holder(holder_did)
    with ctx.db.session(write=True) as session:
        found = session.get(Equipment, equipment_id)
        if found is None:
            raise NotFoundError(f"no equipment {equipment_id!r}", field="equipmentId")
        removed = (
            session.execute(
                delete(EquipmentOperator)
                .where(
                    col(EquipmentOperator.equipment_id) == equipment_id,
                    col(EquipmentOperator.holder) == holder,
                )
                .returning(col(EquipmentOperator.holder))
            ).first()
            is not None
        )
        if removed:
            facility = session.get(Facility, found.facility_id)
            audit.record(
                session,
                replace(actor, makerspace_id=facility.makerspace_id if facility else None),
                "equipment.operator.remove",
                equipment_id,
                {"holder": holder},
            )
    return removed
