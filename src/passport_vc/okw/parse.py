"""Reading OKW v1 JSON into records: `parse_facility` and `parse_equipment`.

Every problem raises OkwError naming the JSON path. Known keys are checked and normalised
(trimmed text, https Wikipedia URLs, upper-case country codes, taxonomy URIs for skills,
sorted operators); unknown keys are kept verbatim in `extensions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from passport_vc.okw import values as v
from passport_vc.okw.errors import OkwError, join
from passport_vc.okw.model import (
    ACCESS_TYPES,
    FACILITY_STATUSES,
    Address,
    Agent,
    EquipmentRecord,
    FacilityRecord,
    GpsCoordinates,
    Location,
    Material,
    SkillRequirement,
)
from passport_vc.taxonomy import Taxonomy, TaxonomyError, load_taxonomy


class _Reader:
    """An object's keys as they are taken; what nobody took becomes `extensions`."""

    def __init__(self, data: Any, path: str) -> None:
        self.data = v.obj(data, path)
        self.path = path
        self.taken: set[str] = set()

    def get(self, name: str, *aliases: str) -> tuple[Any, str]:
        """The value under `name` or one alias (not both), and its path."""
        self.taken.update((name, *aliases))
        given = [n for n in (name, *aliases) if self.data.get(n) is not None]
        if len(given) > 1:
            raise OkwError(join(self.path, given[1]), f"give {given[0]} or {given[1]}, not both")
        key = given[0] if given else name
        return self.data.get(key), join(self.path, key)

    def extensions(self) -> dict[str, Any]:
        return {
            key: v.json_value(value, join(self.path, str(key)))
            for key, value in self.data.items()
            if key not in self.taken
        }


def _no_extra(r: _Reader, reason: str) -> None:
    for key in r.data:
        if key not in r.taken:
            raise OkwError(join(r.path, str(key)), reason)


def parse_agent(value: Any, path: str) -> Agent | None:
    """An OKW Agent: an object (name, email, website or url, did) or just a name."""
    if value is None or isinstance(value, str):
        name = v.text(value, path)
        return Agent(name=name) if name else None
    r = _Reader(value, path)
    did_value, did_path = r.get("did")
    agent = Agent(
        name=v.text(*r.get("name")),
        email=v.email(*r.get("email")),
        website=v.web_url(*r.get("website", "url")),
        did=v.did(did_value, did_path) if did_value is not None else None,
        extensions=r.extensions(),
    )
    return None if agent == Agent() else agent


def _agents(value: Any, path: str) -> tuple[Agent, ...]:
    """One agent or a list of them (OKW: "the Agent(s)")."""
    if isinstance(value, list):
        found = [parse_agent(a, join(path, i)) for i, a in enumerate(v.items(value, path))]
    else:
        found = [parse_agent(value, path)]
    return tuple(a for a in found if a is not None)


def _address(value: Any, path: str) -> Address | None:
    if value is None or isinstance(value, str):
        street = v.text(value, path)
        return Address(street=street) if street else None
    r = _Reader(value, path)
    postcode, postcode_path = r.get("postcode")
    if isinstance(postcode, int) and not isinstance(postcode, bool):
        postcode = str(postcode)
    address = Address(
        number=v.text(*r.get("number")),
        street=v.text(*r.get("street")),
        district=v.text(*r.get("district")),
        city=v.text(*r.get("city"), limit=200),
        region=v.text(*r.get("region")),
        country=v.country(*r.get("country")),
        postcode=v.text(postcode, postcode_path, 32),
        extensions=r.extensions(),
    )
    return None if address == Address() else address


def parse_gps(value: Any, path: str) -> GpsCoordinates | None:
    """GPS coordinates: {latitude, longitude} or the text "latitude, longitude"."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split(",")
        try:
            latitude, longitude = (float(p) for p in parts)
        except ValueError:
            raise OkwError(path, "must be 'latitude, longitude' in decimal degrees") from None
        return GpsCoordinates(v.coordinate(latitude, path, 90), v.coordinate(longitude, path, 180))
    r = _Reader(value, path)
    latitude, latitude_path = r.get("latitude")
    longitude, longitude_path = r.get("longitude")
    _no_extra(r, "GPS coordinates take only latitude and longitude")
    return _coordinates(latitude, latitude_path, longitude, longitude_path)


def _coordinates(
    latitude: Any, latitude_path: str, longitude: Any, longitude_path: str
) -> GpsCoordinates | None:
    if latitude is None and longitude is None:
        return None
    if latitude is None:
        raise OkwError(latitude_path, "is required with a longitude")
    if longitude is None:
        raise OkwError(longitude_path, "is required with a latitude")
    return GpsCoordinates(
        v.coordinate(latitude, latitude_path, 90), v.coordinate(longitude, longitude_path, 180)
    )


def parse_location(value: Any, path: str) -> Location | None:
    """An OKW Location. Also takes `gps`, `latitude`+`longitude`, `city` and `country`
    directly on the location (moved to gpsCoordinates and address)."""
    if value is None:
        return None
    r = _Reader(value, path)
    address = _address(*r.get("address"))
    gps = parse_gps(*r.get("gpsCoordinates", "gps"))
    latitude, latitude_path = r.get("latitude")
    longitude, longitude_path = r.get("longitude")
    flat = _coordinates(latitude, latitude_path, longitude, longitude_path)
    if flat is not None:
        if gps is not None and gps != flat:
            raise OkwError(latitude_path, "differs from gpsCoordinates")
        gps = flat
    city_value, city_path = r.get("city")
    country_value, country_path = r.get("country")
    city = v.text(city_value, city_path, 200)
    country = v.country(country_value, country_path)
    base = address or Address()
    if city is not None:
        _same(base.city, city, city_path, "city")
        base = replace(base, city=city)
    if country is not None:
        _same(base.country, country, country_path, "country")
        base = replace(base, country=country)
    location = Location(
        address=None if base == Address() else base,
        gps=gps,
        directions=v.text(*r.get("directions"), limit=v.LONG_TEXT),
        extensions=r.extensions(),
    )
    return None if location == Location() else location


def _same(held: str | None, given: str, path: str, name: str) -> None:
    if held is not None and held != given:
        raise OkwError(path, f"differs from address.{name} ({held!r})")


def _materials(value: Any, path: str) -> tuple[Material, ...]:
    found: list[Material] = []
    for i, item in enumerate(v.strict_list(value, path)):
        at = join(path, i)
        if isinstance(item, Mapping):
            kept = v.json_value(item, at)
            if kept:
                found.append(kept)
        elif isinstance(item, str):
            name = v.text(item, at)
            if name:
                found.append(name)
        elif item is not None:
            raise OkwError(at, "a material must be a name, a Wikipedia URL or an object")
    return tuple(found)


def _texts(value: Any, path: str, limit: int = v.SHORT_TEXT) -> tuple[str, ...]:
    listed = v.strict_list(value, path)
    found = (v.text(item, join(path, i), limit) for i, item in enumerate(listed))
    return tuple(t for t in found if t)


def _urls(value: Any, path: str) -> tuple[str, ...]:
    found: list[str] = []
    for i, item in enumerate(v.strict_list(value, path)):
        url = v.wikipedia_url(item, join(path, i))
        if url and url not in found:
            found.append(url)
    return tuple(found)


def parse_skills_required(
    value: Any, path: str, taxonomy: Taxonomy
) -> tuple[SkillRequirement, ...]:
    """[{"skill": <code or URI>, "minLevel": n}] against the taxonomy; codes become URIs."""
    found: list[SkillRequirement] = []
    for i, item in enumerate(v.strict_list(value, path)):
        at = join(path, i)
        r = _Reader(item, at)
        skill_value, skill_path = r.get("skill")
        level_value, level_path = r.get("minLevel")
        _no_extra(r, "a skill requirement takes only skill and minLevel")
        code = v.text(skill_value, skill_path, v.URL_MAX)
        if code is None:
            raise OkwError(skill_path, "is required (a skill code such as LASER-CUT or its URI)")
        skill = taxonomy.find(code)
        if skill is None:
            raise OkwError(
                skill_path,
                f"no skill {code!r} in taxonomy {taxonomy.id} version {taxonomy.version}",
            )
        if level_value is None:
            raise OkwError(level_path, "is required (a level from 1 to 4)")
        try:
            level = taxonomy.level(level_value).number
        except TaxonomyError as exc:
            raise OkwError(level_path, exc.detail) from None
        if any(req.skill == skill.uri for req in found):
            raise OkwError(skill_path, f"skill {skill.code} is listed twice")
        found.append(SkillRequirement(skill.uri, level))
    return tuple(found)


def parse_operators(value: Any, path: str) -> tuple[str, ...] | None:
    """Holder DIDs, sorted and without repeats; None when not given."""
    if value is None:
        return None
    dids = {v.did(item, join(path, i)) for i, item in enumerate(v.strict_list(value, path))}
    return tuple(sorted(dids))


def parse_equipment(
    value: Any, path: str = "", taxonomy: Taxonomy | None = None
) -> EquipmentRecord:
    """One OKW equipment object."""
    taxonomy = taxonomy or load_taxonomy()
    r = _Reader(value, path)
    properties, properties_path = r.get("properties")
    return EquipmentRecord(
        id=v.record_id(*r.get("id")),
        equipment_type=v.wikipedia_url(*r.get("equipmentType")),
        manufacturing_process=v.wikipedia_url(*r.get("manufacturingProcess")),
        make=v.text(*r.get("make")),
        model=v.text(*r.get("model")),
        serial_number=v.text(*r.get("serialNumber")),
        condition=v.text(*r.get("condition"), limit=v.LONG_TEXT),
        notes=v.text(*r.get("notes"), limit=v.LONG_TEXT),
        owner=parse_agent(*r.get("owner")),
        quantity=v.integer(*r.get("quantity"), low=0, high=1_000_000),
        materials_worked=_materials(*r.get("materialsWorked")),
        properties=(
            v.json_value(v.obj(properties, properties_path), properties_path)
            if properties is not None
            else {}
        ),
        skills_required=parse_skills_required(*r.get("skillsRequired"), taxonomy=taxonomy),
        operators=parse_operators(*r.get("operators")),
        extensions=r.extensions(),
    )


def parse_facility(
    data: Any, taxonomy: Taxonomy | None = None, *, path: str = ""
) -> FacilityRecord:
    """An OKW v1 facility object; raises OkwError naming the field on malformed input."""
    taxonomy = taxonomy or load_taxonomy()
    r = _Reader(data, path)
    name_value, name_path = r.get("name")
    name = v.text(name_value, name_path)
    if name is None:
        raise OkwError(name_path, "is required (the facility's name)")
    equipment_value, equipment_path = r.get("equipment")
    equipment = tuple(
        parse_equipment(item, join(equipment_path, i), taxonomy)
        for i, item in enumerate(v.strict_list(equipment_value, equipment_path))
    )
    seen: dict[str, int] = {}
    for i, item in enumerate(equipment):
        if item.id is not None:
            if item.id in seen:
                raise OkwError(join(join(equipment_path, i), "id"), "repeats an earlier id")
            seen[item.id] = i
    return FacilityRecord(
        name=name,
        id=v.record_id(*r.get("id")),
        location=parse_location(*r.get("location")),
        owner=parse_agent(*r.get("owner")),
        contact=parse_agent(*r.get("contact")),
        affiliation=_agents(*r.get("affiliation")),
        facility_status=v.one_of(*r.get("facilityStatus", "status"), allowed=FACILITY_STATUSES),
        access_type=v.one_of(*r.get("accessType"), allowed=ACCESS_TYPES),
        description=v.text(*r.get("description"), limit=v.LONG_TEXT),
        equipment=equipment,
        manufacturing_processes=_urls(*r.get("manufacturingProcesses")),
        typical_materials=_materials(*r.get("typicalMaterials")),
        certifications=_texts(*r.get("certifications")),
        date_created=v.iso_date(*r.get("dateCreated")),
        created_by=parse_agent(*r.get("createdBy")),
        last_updated=v.iso_date(*r.get("lastUpdated")),
        updated_by=parse_agent(*r.get("updatedBy")),
        date_verified=v.iso_date(*r.get("dateVerified")),
        verified_by=parse_agent(*r.get("verifiedBy")),
        extensions=r.extensions(),
    )
