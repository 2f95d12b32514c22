"""OKW v1 records as immutable values: a facility, its location, agents and equipment.

Lists are tuples; unknown keys of an object are kept in its `extensions` (verbatim JSON), so a
record read and written again loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FACILITY_STATUSES = ("Active", "Planned", "Temporary Closure", "Closed")
ACCESS_TYPES = (
    "Restricted",
    "Restricted with public hours",
    "Shared space",
    "Public",
    "Membership",
)

# A material (OKW Materials class): a name or Wikipedia URL, or an object kept as given.
Material = str | Mapping[str, Any]


def _mapping() -> Any:
    return field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Agent:
    """A person or organisation (OKW §5); `did` is passport-vc's addition."""

    name: str | None = None
    email: str | None = None
    website: str | None = None
    did: str | None = None
    extensions: Mapping[str, Any] = _mapping()


@dataclass(frozen=True)
class Address:
    """OKW §6.1 address sub-properties; `country` is ISO 3166-1 alpha-2."""

    number: str | None = None
    street: str | None = None
    district: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postcode: str | None = None
    extensions: Mapping[str, Any] = _mapping()


@dataclass(frozen=True)
class GpsCoordinates:
    """OKW §6.3, in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Location:
    """OKW §6: an address, GPS coordinates, directions."""

    address: Address | None = None
    gps: GpsCoordinates | None = None
    directions: str | None = None
    extensions: Mapping[str, Any] = _mapping()

    @property
    def city(self) -> str | None:
        return self.address.city if self.address else None

    @property
    def country(self) -> str | None:
        return self.address.country if self.address else None


@dataclass(frozen=True)
class SkillRequirement:
    """OKW §7.7 "Skills Required" (future work in OKW v1): a taxonomy skill URI and a level."""

    skill: str
    min_level: int


@dataclass(frozen=True)
class EquipmentRecord:
    """OKW §7 equipment. `operators` None means "not stated" (an import keeps the stored
    operators); an empty tuple means "nobody"."""

    id: str | None = None
    equipment_type: str | None = None
    manufacturing_process: str | None = None
    make: str | None = None
    model: str | None = None
    serial_number: str | None = None
    condition: str | None = None
    notes: str | None = None
    owner: Agent | None = None
    quantity: int | None = None
    materials_worked: tuple[Material, ...] = ()
    properties: Mapping[str, Any] = _mapping()
    skills_required: tuple[SkillRequirement, ...] = ()
    operators: tuple[str, ...] | None = None
    extensions: Mapping[str, Any] = _mapping()


@dataclass(frozen=True)
class FacilityRecord:
    """OKW §4 manufacturing facility with §9 record data; `id` is passport-vc's."""

    name: str
    id: str | None = None
    location: Location | None = None
    owner: Agent | None = None
    contact: Agent | None = None
    affiliation: tuple[Agent, ...] = ()
    facility_status: str | None = None
    access_type: str | None = None
    description: str | None = None
    equipment: tuple[EquipmentRecord, ...] = ()
    manufacturing_processes: tuple[str, ...] = ()
    typical_materials: tuple[Material, ...] = ()
    certifications: tuple[str, ...] = ()
    date_created: str | None = None
    created_by: Agent | None = None
    last_updated: str | None = None
    updated_by: Agent | None = None
    date_verified: str | None = None
    verified_by: Agent | None = None
    extensions: Mapping[str, Any] = _mapping()
