"""Writing records as OKW v1 JSON: `to_okw_json`, the inverse of `parse_facility`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from passport_vc.okw.model import (
    Address,
    Agent,
    EquipmentRecord,
    FacilityRecord,
    Location,
    Material,
)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` unless the value is absent (None, or an empty list or object)."""
    if value is None or (isinstance(value, list | dict) and not value):
        return
    out[key] = value


def _with_extensions(out: dict[str, Any], extensions: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extensions.items():
        out.setdefault(key, copy.deepcopy(value))
    return out


def agent_json(agent: Agent | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    out: dict[str, Any] = {}
    for key, value in (
        ("name", agent.name),
        ("email", agent.email),
        ("website", agent.website),
        ("did", agent.did),
    ):
        _put(out, key, value)
    return _with_extensions(out, agent.extensions)


def _address_json(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    out: dict[str, Any] = {}
    for key in ("number", "street", "district", "city", "region", "country", "postcode"):
        _put(out, key, getattr(address, key))
    return _with_extensions(out, address.extensions)


def location_json(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    out: dict[str, Any] = {}
    _put(out, "address", _address_json(location.address))
    if location.gps is not None:
        out["gpsCoordinates"] = {
            "latitude": location.gps.latitude,
            "longitude": location.gps.longitude,
        }
    _put(out, "directions", location.directions)
    return _with_extensions(out, location.extensions)


def _materials(materials: tuple[Material, ...]) -> list[Any]:
    return [m if isinstance(m, str) else copy.deepcopy(dict(m)) for m in materials]


def equipment_json(item: EquipmentRecord) -> dict[str, Any]:
    """One equipment object; `operators` appears whenever it was stated (even empty)."""
    out: dict[str, Any] = {}
    for key, value in (
        ("id", item.id),
        ("equipmentType", item.equipment_type),
        ("manufacturingProcess", item.manufacturing_process),
        ("make", item.make),
        ("model", item.model),
        ("serialNumber", item.serial_number),
        ("quantity", item.quantity),
        ("condition", item.condition),
        ("notes", item.notes),
        ("owner", agent_json(item.owner)),
        ("materialsWorked", _materials(item.materials_worked)),
        ("properties", copy.deepcopy(dict(item.properties))),
        (
            "skillsRequired",
            [{"skill": req.skill, "minLevel": req.min_level} for req in item.skills_required],
        ),
    ):
        _put(out, key, value)
    if item.operators is not None:
        out["operators"] = list(item.operators)
    return _with_extensions(out, item.extensions)


def to_okw_json(record: FacilityRecord) -> dict[str, Any]:
    """The facility as OKW v1 JSON; `parse_facility` of it gives `record` back."""
    out: dict[str, Any] = {}
    for key, value in (
        ("id", record.id),
        ("name", record.name),
        ("description", record.description),
        ("location", location_json(record.location)),
        ("owner", agent_json(record.owner)),
        ("contact", agent_json(record.contact)),
        ("affiliation", [agent_json(a) for a in record.affiliation]),
        ("facilityStatus", record.facility_status),
        ("accessType", record.access_type),
        ("manufacturingProcesses", list(record.manufacturing_processes)),
        ("typicalMaterials", _materials(record.typical_materials)),
        ("certifications", list(record.certifications)),
        ("equipment", [equipment_json(e) for e in record.equipment]),
        ("dateCreated", record.date_created),
        ("createdBy", agent_json(record.created_by)),
        ("lastUpdated", record.last_updated),
        ("updatedBy", agent_json(record.updated_by)),
        ("dateVerified", record.date_verified),
        ("verifiedBy", agent_json(record.verified_by)),
    ):
        _put(out, key, value)
    return _with_extensions(out, record.extensions)
