"""Reading facilities back: the OKW export, one facility, one machine, and the map search."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from passport_vc.okw import OkwError
from passport_vc.okw import values as okw_values
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, NotFoundError
from passport_vc.store import Equipment, EquipmentOperator, Facility, FacilityTag, Makerspace
from passport_vc.timestamps import format_utc_instant

PROCESS, EQUIPMENT_TYPE = "process", "equipmentType"


def known_id(value: str, what: str) -> str:
    """`value` if it can be an id at all (anything else is simply not found)."""
    try:
        found = okw_values.record_id(value, "id")
    except OkwError:
        found = None
    if found is None or found != value:
        raise NotFoundError(f"no {what} {value[:80]!r}")
    return found


def equipment_rows(session: Session, facility_id: str) -> list[Equipment]:
    return list(
        session.execute(
            select(Equipment)
            .where(col(Equipment.facility_id) == facility_id)
            .order_by(col(Equipment.id))
        ).scalars()
    )


def export_facility(session: Session, facility_id: str) -> dict[str, Any]:
    """The stored facility as OKW JSON, its equipment (with skillsRequired and operators) read
    back from the tables."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFoundError(f"no facility {facility_id!r}")
    record: dict[str, Any] = json.loads(facility.record)
    rows = {row.id: row for row in equipment_rows(session, facility.id)}
    order = [item.get("id") for item in record.get("equipment", [])]
    ordered = [rows.pop(i) for i in order if i in rows] + [rows[i] for i in sorted(rows)]
    operators = operators_of(session, [row.id for row in ordered])
    equipment = []
    for row in ordered:
        item = json.loads(row.record)
        item.pop("skillsRequired", None)
        item.pop("operators", None)
        skills = json.loads(row.skills_required)
        if skills:
            item["skillsRequired"] = skills
        item["operators"] = [op.holder for op in operators.get(row.id, [])]
        equipment.append(item)
    record.pop("equipment", None)
    out = {"id": facility.id, **{k: val for k, val in record.items() if k != "id"}}
    if equipment:
        out["equipment"] = equipment
    return out


def operators_of(session: Session, equipment_ids: list[str]) -> dict[str, list[EquipmentOperator]]:
    found: dict[str, list[EquipmentOperator]] = {}
    if not equipment_ids:
        return found
    for row in session.execute(
        select(EquipmentOperator)
        .where(col(EquipmentOperator.equipment_id).in_(equipment_ids))
        .order_by(col(EquipmentOperator.holder))
    ).scalars():
        found.setdefault(row.equipment_id, []).append(row)
    return found


def _slug(session: Session, makerspace_id: int | None) -> str | None:
    if makerspace_id is None:
        return None
    found = session.get(Makerspace, makerspace_id)
    return found.slug if found else None


def get_facility(ctx: ServiceContext, facility_id: str) -> dict[str, Any]:
    """{id, makerspace (slug), facility (OKW JSON)}."""
    known_id(facility_id, "facility")
    with ctx.db.session() as session:
        facility = session.get(Facility, facility_id)
        if facility is None:
            raise NotFoundError(f"no facility {facility_id!r}")
        return {
            "id": facility.id,
            "makerspace": _slug(session, facility.makerspace_id),
            "facility": export_facility(session, facility.id),
        }


def get_equipment(ctx: ServiceContext, equipment_id: str) -> dict[str, Any]:
    """A machine's OKW JSON with its facility, the skills it requires (labels and level names
    from the taxonomy) and its operators (when and by which check each was added)."""
    known_id(equipment_id, "equipment")
    with ctx.db.session() as session:
        row = session.get(Equipment, equipment_id)
        if row is None:
            raise NotFoundError(f"no equipment {equipment_id!r}")
        facility = session.get(Facility, row.facility_id)
        assert facility is not None
        operators = operators_of(session, [row.id]).get(row.id, [])
        slug = _slug(session, facility.makerspace_id)
    item = json.loads(row.record)
    out: dict[str, Any] = {
        "id": row.id,
        "facility": {"id": facility.id, "name": facility.name},
        "makerspace": slug,
    }
    out.update(
        (k, val) for k, val in item.items() if k not in ("id", "skillsRequired", "operators")
    )
    out["skillsRequired"] = [_skill_view(ctx, req) for req in json.loads(row.skills_required)]
    out["operators"] = [
        {"holder": op.holder, "addedAt": format_utc_instant(op.added_at), "checkId": op.check_id}
        for op in operators
    ]
    return out


def _skill_view(ctx: ServiceContext, requirement: dict[str, Any]) -> dict[str, Any]:
    view = {"skill": requirement["skill"], "minLevel": requirement["minLevel"]}
    skill = ctx.taxonomy.find(requirement["skill"])
    level = next((lv for lv in ctx.taxonomy.levels if lv.number == requirement["minLevel"]), None)
    view["code"] = skill.code if skill else None
    view["label"] = skill.label_in("en") if skill else None
    view["levelName"] = level.name_in("en") if level else None
    return view


@dataclass(frozen=True)
class FacilityPage:
    total: int
    items: list[dict[str, Any]]


def _tag_filter(kind: str, value: str, field: str) -> ColumnElement[bool]:
    """Facilities tagged with `value`: the Wikipedia URL exactly, or a case-insensitive
    title at its end ("Laser_cutting", "laser cutting")."""
    given = okw_values.text(value, field, okw_values.URL_MAX) if value else None
    if given is None:
        raise InvalidFieldError(f"{field} must not be empty", field=field)
    if given.lower().startswith(("http://", "https://")):
        matches = col(FacilityTag.value) == "https://" + given.split("://", 1)[1]
    else:
        title = given.replace(" ", "_").lower()
        escaped = title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = func.lower(col(FacilityTag.value)).like("%/" + escaped, escape="\\")
    return col(Facility.id).in_(
        select(col(FacilityTag.facility_id)).where(col(FacilityTag.kind) == kind, matches)
    )


def list_facilities(
    ctx: ServiceContext,
    *,
    country: str | None = None,
    process: str | None = None,
    equipment_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FacilityPage:
    """The map of machines: facilities with where they are and what they have, by name."""
    conditions: list[ColumnElement[bool]] = []
    try:
        if country is not None:
            code = okw_values.country(country, "country")
            if code is None:
                raise InvalidFieldError("country must not be empty", field="country")
            conditions.append(col(Facility.country) == code)
        if process is not None:
            conditions.append(_tag_filter(PROCESS, process, "process"))
        if equipment_type is not None:
            conditions.append(_tag_filter(EQUIPMENT_TYPE, equipment_type, "equipmentType"))
    except OkwError as exc:
        raise InvalidFieldError(exc.detail, field=exc.field) from None
    with ctx.db.session() as session:
        total = session.execute(
            select(func.count()).select_from(Facility).where(*conditions)
        ).scalar_one()
        rows = session.execute(
            select(Facility, col(Makerspace.slug))
            .join(Makerspace, col(Makerspace.id) == col(Facility.makerspace_id), isouter=True)
            .where(*conditions)
            .order_by(col(Facility.name), col(Facility.id))
            .limit(limit)
            .offset(offset)
        ).all()
        equipment: dict[str, list[dict[str, Any]]] = {}
        if rows:
            for row in session.execute(
                select(Equipment)
                .where(col(Equipment.facility_id).in_([f.id for f, _ in rows]))
                .order_by(col(Equipment.id))
            ).scalars():
                equipment.setdefault(row.facility_id, []).append(_summary(row))
    return FacilityPage(total, [_map_item(f, slug, equipment.get(f.id, [])) for f, slug in rows])


def _summary(row: Equipment) -> dict[str, Any]:
    item = json.loads(row.record)
    out = {"id": row.id}
    out.update(
        (k, item[k])
        for k in ("equipmentType", "manufacturingProcess", "make", "model", "quantity")
        if k in item
    )
    return out


def _map_item(
    facility: Facility, slug: str | None, equipment: list[dict[str, Any]]
) -> dict[str, Any]:
    listed = [item.get("id") for item in json.loads(facility.record).get("equipment", [])]
    rank = {equipment_id: i for i, equipment_id in enumerate(listed)}
    equipment = sorted(equipment, key=lambda e: (rank.get(e["id"], len(rank)), e["id"]))
    gps = None
    if facility.latitude is not None and facility.longitude is not None:
        gps = {"latitude": facility.latitude, "longitude": facility.longitude}
    return {
        "id": facility.id,
        "name": facility.name,
        "country": facility.country,
        "city": facility.city,
        "gps": gps,
        "makerspace": slug,
        "equipment": equipment,
    }
