"""What the public browse pages show beyond the API's answers: the filter values that exist on
the map, each listed facility's processes and required skills, and the machines that require a
given skill."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from passport_vc.services.context import ServiceContext
from passport_vc.services.facility_views import EQUIPMENT_TYPE, PROCESS
from passport_vc.store import Equipment, Facility, FacilityTag, Makerspace


@dataclass(frozen=True)
class FilterOptions:
    """The values the map can be filtered by, as stored: country codes and Wikipedia URLs."""

    countries: list[str]
    processes: list[str]
    equipment_types: list[str]


@dataclass(frozen=True)
class FacilityExtras:
    """A facility's processes (its own and its machines') and the skills its machines require
    (taxonomy skill URIs, each once, in the order its machines list them)."""

    processes: list[str]
    skills: list[str]


@dataclass(frozen=True)
class MachineUse:
    """A machine that requires a skill, where it is, and the minimum level it requires."""

    equipment_id: str
    facility_id: str
    facility_name: str
    city: str | None
    country: str | None
    makerspace: str | None
    equipment_type: str | None
    process: str | None
    make: str | None
    model: str | None
    quantity: int
    min_level: int


def filter_options(ctx: ServiceContext) -> FilterOptions:
    """Every country, process and equipment type at least one facility is listed with."""
    with ctx.db.session() as session:
        countries = session.execute(
            select(col(Facility.country))
            .where(col(Facility.country).is_not(None))
            .distinct()
            .order_by(col(Facility.country))
        ).scalars()
        found = [str(c) for c in countries]
        tags = session.execute(
            select(col(FacilityTag.kind), col(FacilityTag.value))
            .distinct()
            .order_by(col(FacilityTag.kind), col(FacilityTag.value))
        ).all()
    return FilterOptions(
        countries=found,
        processes=[value for kind, value in tags if kind == PROCESS],
        equipment_types=[value for kind, value in tags if kind == EQUIPMENT_TYPE],
    )


def facility_extras(ctx: ServiceContext, facility_ids: Sequence[str]) -> dict[str, FacilityExtras]:
    """Processes and required skills of each of these facilities (one query for each)."""
    if not facility_ids:
        return {}
    processes: dict[str, list[str]] = {fid: [] for fid in facility_ids}
    skills: dict[str, list[str]] = {fid: [] for fid in facility_ids}
    with ctx.db.session() as session:
        for facility_id, value in session.execute(
            select(col(FacilityTag.facility_id), col(FacilityTag.value))
            .where(col(FacilityTag.facility_id).in_(facility_ids), col(FacilityTag.kind) == PROCESS)
            .order_by(col(FacilityTag.facility_id), col(FacilityTag.value))
        ).all():
            processes[facility_id].append(value)
        for facility_id, required in session.execute(
            select(col(Equipment.facility_id), col(Equipment.skills_required))
            .where(col(Equipment.facility_id).in_(facility_ids))
            .order_by(col(Equipment.facility_id), col(Equipment.id))
        ).all():
            listed = skills[facility_id]
            for requirement in _requirements(required):
                if requirement["skill"] not in listed:
                    listed.append(requirement["skill"])
    return {fid: FacilityExtras(processes[fid], skills[fid]) for fid in facility_ids}


def machines_requiring(
    ctx: ServiceContext, skill_uri: str, *, limit: int = 200
) -> tuple[list[MachineUse], bool]:
    """The machines whose skillsRequired names `skill_uri` (by facility name), at most `limit`
    of them, and whether there are more."""
    # The stored list is JSON whose only strings are skill URIs, so the quoted URI finds exactly
    # the machines that name it; each is still checked once parsed.
    quoted = json.dumps(skill_uri)
    pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: list[MachineUse] = []
    with ctx.db.session() as session:
        rows = session.execute(
            select(Equipment, Facility, col(Makerspace.slug))
            .join(Facility, col(Facility.id) == col(Equipment.facility_id))
            .join(Makerspace, col(Makerspace.id) == col(Facility.makerspace_id), isouter=True)
            .where(col(Equipment.skills_required).like(pattern, escape="\\"))
            .order_by(col(Facility.name), col(Facility.id), col(Equipment.id))
            .limit(limit + 1)
        ).all()
        for equipment, facility, slug in rows:
            levels = [
                r["minLevel"]
                for r in _requirements(equipment.skills_required)
                if r["skill"] == skill_uri
            ]
            if levels:
                found.append(_use(equipment, facility, slug, min(levels)))
    return found[:limit], len(found) > limit


def _requirements(stored: str) -> list[dict[str, Any]]:
    loaded = json.loads(stored)
    return [r for r in loaded if isinstance(r, dict) and isinstance(r.get("skill"), str)]


def _use(equipment: Equipment, facility: Facility, slug: str | None, level: int) -> MachineUse:
    record: dict[str, Any] = json.loads(equipment.record)

    def text(key: str) -> str | None:
        value = record.get(key)
        return str(value) if value is not None else None

    quantity = record.get("quantity")
    return MachineUse(
        equipment_id=equipment.id,
        facility_id=facility.id,
        facility_name=facility.name,
        city=facility.city,
        country=facility.country,
        makerspace=slug,
        equipment_type=equipment.equipment_type,
        process=equipment.manufacturing_process,
        make=text("make"),
        model=text("model"),
        quantity=quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 1,
        min_level=level,
    )
