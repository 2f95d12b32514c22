"""Importing OKW facilities: a record in, stored whole in one transaction, replacing the same
facility (same `id`, or same name for the same makerspace) if there is one.

A facility is stored as its OKW JSON (`facility.record`), one `facility_tag` row per process and
equipment type (what the map searches), one `equipment` row per machine (its OKW JSON and its
required skills) and one `equipment_operator` row per holder allowed to operate it. Reads are in
`facility_views`, operators added by authorisation checks in `equipment_operators`; both are
re-exported here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from passport_vc.okw import (
    EquipmentRecord,
    FacilityRecord,
    OkwError,
    equipment_json,
    parse_facility,
    to_okw_json,
)
from passport_vc.services import audit
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.equipment_operators import add_operator, remove_operator
from passport_vc.services.errors import (
    ConflictError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
)
from passport_vc.services.facility_views import (
    EQUIPMENT_TYPE,
    PROCESS,
    FacilityPage,
    equipment_rows,
    export_facility,
    get_equipment,
    get_facility,
    known_id,
    list_facilities,
)
from passport_vc.store import (
    Equipment,
    EquipmentOperator,
    Facility,
    FacilityTag,
    Makerspace,
    QualificationCheck,
)
from passport_vc.timestamps import utc_now

__all__ = [
    "FacilityPage",
    "StoredFacility",
    "add_operator",
    "export_facility",
    "get_equipment",
    "get_facility",
    "import_facility",
    "list_facilities",
    "remove_operator",
    "replace_facility",
]


@dataclass(frozen=True)
class StoredFacility:
    id: str
    name: str
    created: bool
    facility: dict[str, Any]  # the OKW JSON export, as GET /facilities/{id} shows it


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _record(ctx: ServiceContext, data: Any) -> FacilityRecord:
    if isinstance(data, FacilityRecord):
        return data
    try:
        return parse_facility(data, ctx.taxonomy)
    except OkwError as exc:
        raise InvalidFieldError(exc.detail, field=exc.field) from None


def import_facility(
    ctx: ServiceContext, actor: Actor, makerspace: Makerspace, data: Any
) -> StoredFacility:
    """Store an OKW facility for `makerspace`, replacing the one with the same `id` (if the
    record has one) or else the same name; everything in one transaction."""
    return _store(ctx, actor, makerspace, _record(ctx, data), None)


def replace_facility(
    ctx: ServiceContext, actor: Actor, makerspace: Makerspace, facility_id: str, data: Any
) -> StoredFacility:
    """Replace facility `facility_id`, which must belong to `makerspace`."""
    known_id(facility_id, "facility")
    record = _record(ctx, data)
    if record.id is not None and record.id != facility_id:
        raise InvalidFieldError(
            f"id: {record.id!r} is not the facility in the URL ({facility_id!r})", field="id"
        )
    return _store(ctx, actor, makerspace, record, facility_id)


def _store(
    ctx: ServiceContext,
    actor: Actor,
    makerspace: Makerspace,
    record: FacilityRecord,
    facility_id: str | None,
) -> StoredFacility:
    assert makerspace.id is not None
    try:
        with ctx.db.session(write=True) as session:
            # Imports of one makerspace queue here, so two imports of a new facility by the
            # same name cannot both create it (SQLite's write lock does the same).
            session.execute(
                select(col(Makerspace.id))
                .where(col(Makerspace.id) == makerspace.id)
                .with_for_update()
            )
            existing = _existing(session, makerspace, record, facility_id)
            fid = existing.id if existing else (record.id or str(uuid.uuid4()))
            old = equipment_rows(session, fid) if existing else []
            ids = _equipment_ids(session, fid, record.equipment, old)
            stored = replace(
                record,
                id=fid,
                equipment=tuple(
                    replace(e, id=i) for e, i in zip(record.equipment, ids, strict=True)
                ),
            )
            _drop_equipment(session, [row for row in old if row.id not in ids])
            _write_facility(session, makerspace.id, stored, existing)
            _write_equipment(session, fid, stored.equipment, {row.id for row in old})
            _write_tags(session, fid, stored)
            audit.record(
                session,
                replace(actor, makerspace_id=makerspace.id),
                "facility.replace" if existing else "facility.import",
                fid,
                {"name": stored.name, "equipment": len(stored.equipment)},
            )
            view = export_facility(session, fid)
    except IntegrityError:
        raise ConflictError(
            "the facility or its equipment changed at the same time; retry", field="id"
        ) from None
    return StoredFacility(fid, stored.name, existing is None, view)


def _existing(
    session: Session, makerspace: Makerspace, record: FacilityRecord, facility_id: str | None
) -> Facility | None:
    if facility_id is not None:
        found = session.get(Facility, facility_id)
        if found is None:
            raise NotFoundError(f"no facility {facility_id!r}")
        if found.makerspace_id != makerspace.id:
            raise ForbiddenError(f"facility {facility_id} belongs to another makerspace")
        return found
    if record.id is not None:
        found = session.get(Facility, record.id)
        if found is not None and found.makerspace_id != makerspace.id:
            raise ConflictError(
                f"id: facility {record.id} belongs to another makerspace", field="id"
            )
        return found
    return session.execute(
        select(Facility)
        .where(col(Facility.makerspace_id) == makerspace.id, col(Facility.name) == record.name)
        .order_by(col(Facility.created_at), col(Facility.id))
        .limit(1)
    ).scalar_one_or_none()


def _identity(item: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("equipmentType", "manufacturingProcess", "make", "model", "serialNumber")
    return tuple(item.get(k) for k in keys)


def _equipment_ids(
    session: Session, facility_id: str, equipment: Sequence[EquipmentRecord], old: list[Equipment]
) -> list[str]:
    """An id for each machine: its own, else that of a stored machine of this facility with
    the same type, process, make, model and serial number (so a re-import keeps ids and
    operators), else a new one."""
    given = [e.id for e in equipment if e.id is not None]
    if given:
        elsewhere = (
            session.execute(
                select(col(Equipment.id)).where(
                    col(Equipment.id).in_(given), col(Equipment.facility_id) != facility_id
                )
            )
            .scalars()
            .first()
        )
        if elsewhere is not None:
            index = given.index(elsewhere)
            raise ConflictError(
                f"equipment[{index}].id: equipment {elsewhere} belongs to another facility",
                field=f"equipment[{index}].id",
            )
    taken = set(given)
    spare = [(row.id, _identity(json.loads(row.record))) for row in old if row.id not in taken]
    ids: list[str] = []
    for item in equipment:
        if item.id is not None:
            ids.append(item.id)
            continue
        key = _identity(equipment_json(item))
        match = next((i for i, k in spare if k == key and i not in taken), None)
        chosen = match or str(uuid.uuid4())
        taken.add(chosen)
        ids.append(chosen)
    return ids


def _drop_equipment(session: Session, rows: list[Equipment]) -> None:
    gone = [row.id for row in rows]
    if not gone:
        return
    checked = session.execute(
        select(col(QualificationCheck.equipment_id))
        .where(col(QualificationCheck.equipment_id).in_(gone))
        .limit(1)
    ).scalar_one_or_none()
    if checked is not None:
        raise ConflictError(
            f"equipment {checked} has stored qualification checks, so it cannot leave the "
            "record; keep it (with its id) in the equipment list",
            field="equipment",
        )
    # The machines first, as add_operator does (FOR SHARE), so the two cannot deadlock.
    session.execute(select(col(Equipment.id)).where(col(Equipment.id).in_(gone)).with_for_update())
    session.execute(delete(EquipmentOperator).where(col(EquipmentOperator.equipment_id).in_(gone)))
    session.execute(delete(Equipment).where(col(Equipment.id).in_(gone)))


def _write_facility(
    session: Session, makerspace_id: int, record: FacilityRecord, existing: Facility | None
) -> None:
    location = record.location
    values = {
        "makerspace_id": makerspace_id,
        "name": record.name,
        "country": location.country if location else None,
        "city": location.city if location else None,
        "latitude": location.gps.latitude if location and location.gps else None,
        "longitude": location.gps.longitude if location and location.gps else None,
        "record": _dumps(to_okw_json(record)),
        "updated_at": utc_now(),
    }
    if existing is None:
        session.execute(
            insert(Facility).values(id=record.id, created_at=values["updated_at"], **values)
        )
    else:
        session.execute(update(Facility).where(col(Facility.id) == existing.id).values(**values))
        session.execute(delete(FacilityTag).where(col(FacilityTag.facility_id) == existing.id))


def _write_equipment(
    session: Session, facility_id: str, equipment: Iterable[EquipmentRecord], stored: set[str]
) -> None:
    for item in equipment:
        assert item.id is not None
        values = {
            "facility_id": facility_id,
            "equipment_type": item.equipment_type,
            "manufacturing_process": item.manufacturing_process,
            "record": _dumps(equipment_json(item)),
            "skills_required": _dumps(
                [{"skill": r.skill, "minLevel": r.min_level} for r in item.skills_required]
            ),
        }
        if item.id in stored:
            session.execute(update(Equipment).where(col(Equipment.id) == item.id).values(**values))
        else:
            session.execute(insert(Equipment).values(id=item.id, **values))
        if item.operators is not None:  # not stated: the stored operators stay
            _set_operators(session, item.id, item.operators)


def _set_operators(session: Session, equipment_id: str, holders: Sequence[str]) -> None:
    present = set(
        session.execute(
            select(col(EquipmentOperator.holder)).where(
                col(EquipmentOperator.equipment_id) == equipment_id
            )
        ).scalars()
    )
    gone = present - set(holders)
    if gone:
        session.execute(
            delete(EquipmentOperator).where(
                col(EquipmentOperator.equipment_id) == equipment_id,
                col(EquipmentOperator.holder).in_(gone),
            )
        )
    now = utc_now()
    new = [
        {"equipment_id": equipment_id, "holder": h, "added_at": now, "check_id": None}
        for h in holders
        if h not in present
    ]
    if new:
        session.execute(insert(EquipmentOperator), new)


def _write_tags(session: Session, facility_id: str, record: FacilityRecord) -> None:
    tags = {(PROCESS, url) for url in record.manufacturing_processes}
    for item in record.equipment:
        if item.manufacturing_process:
            tags.add((PROCESS, item.manufacturing_process))
        if item.equipment_type:
            tags.add((EQUIPMENT_TYPE, item.equipment_type))
    if tags:
        session.execute(
            insert(FacilityTag),
            [{"facility_id": facility_id, "kind": k, "value": val} for k, val in sorted(tags)],
        )
