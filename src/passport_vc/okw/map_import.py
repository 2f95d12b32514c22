"""The OKW map database export (map.internetofproduction.org): a list of
{geocoding, address, region, location, facility} objects, read into FacilityRecords.

Mapping: facility.facility_id -> id, facility.name/description -> name/description,
facility.url -> contact.website, geocoding.latitude/longitude -> location.gpsCoordinates,
address.extended -> address.street, address.zip_code -> address.postcode,
region.city_town/state_region/country -> address.city/region/country. The join keys
(geocoding_id, address_id, region_id, location_id) are dropped; any other key is kept under
the extension `okwMap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from passport_vc.okw import values as v
from passport_vc.okw.errors import OkwError, join
from passport_vc.okw.model import FacilityRecord
from passport_vc.okw.parse import parse_facility
from passport_vc.taxonomy import Taxonomy

_PARTS = ("geocoding", "address", "region", "location", "facility")
_JOIN_KEYS = ("geocoding_id", "address_id", "region_id", "location_id")
_USED = {
    "geocoding": ("latitude", "longitude"),
    "address": ("zip_code", "extended"),
    "region": ("country", "state_region", "city_town"),
    "location": (),
    "facility": ("name", "url", "description", "facility_id"),
}


def is_map_record(value: Any) -> bool:
    """Whether `value` has the map export's shape (a `facility` object beside its location)."""
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("facility"), Mapping)
        and any(part in value for part in ("geocoding", "region", "location"))
    )


def _part(record: Mapping[str, Any], name: str, path: str) -> Mapping[str, Any]:
    value = record.get(name)
    return {} if value is None else v.obj(value, join(path, name))


def facility_from_map(
    item: Any, taxonomy: Taxonomy | None = None, *, path: str = ""
) -> FacilityRecord:
    """One map export record as a FacilityRecord; errors name the map export's own fields."""
    record = v.obj(item, path)
    parts = {name: _part(record, name, path) for name in _PARTS}
    at = {name: join(path, name) for name in _PARTS}
    facility, geocoding, region = parts["facility"], parts["geocoding"], parts["region"]
    address = parts["address"]
    name_path = join(at["facility"], "name")
    if v.text(facility.get("name"), name_path) is None:
        raise OkwError(name_path, "is required (the facility's name)")
    for key, bound in (("latitude", 90), ("longitude", 180)):
        if geocoding.get(key) is not None:
            v.coordinate(geocoding[key], join(at["geocoding"], key), bound)
    country = v.country(region.get("country"), join(at["region"], "country"))
    postcode, facility_id = _number_as_text(address.get("zip_code")), facility.get("facility_id")
    okw: dict[str, Any] = {
        "id": v.record_id(_number_as_text(facility_id), join(at["facility"], "facility_id")),
        "name": facility.get("name"),
        "description": facility.get("description"),
        "contact": {
            "website": v.web_url(facility.get("url"), join(at["facility"], "url")),
        },
        "location": {
            "address": {
                "street": v.text(address.get("extended"), join(at["address"], "extended")),
                "postcode": v.text(postcode, join(at["address"], "zip_code"), 32),
                "city": v.text(region.get("city_town"), join(at["region"], "city_town"), 200),
                "region": v.text(region.get("state_region"), join(at["region"], "state_region")),
                "country": country,
            },
            "latitude": geocoding.get("latitude"),
            "longitude": geocoding.get("longitude"),
        },
    }
    extra = _extra(record, parts)
    if extra:
        okw["okwMap"] = extra
    return parse_facility(okw, taxonomy, path=path)


def _number_as_text(value: Any) -> Any:
    """The map database's integer ids and postcodes, as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _extra(record: Mapping[str, Any], parts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Whatever the mapping above does not use, so nothing is lost."""
    extra: dict[str, Any] = {k: val for k, val in record.items() if k not in _PARTS}
    for name, used in _USED.items():
        rest = {
            k: val
            for k, val in parts[name].items()
            if k not in used and k not in _JOIN_KEYS and k != f"{name}_id"
        }
        if rest:
            extra[name] = rest
    return extra
