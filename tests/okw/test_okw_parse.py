"""OKW v1 facility JSON: canonical records round trip exactly, other spellings are normalised,
and malformed records raise one error naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from passport_vc.errors import PassportVcError
from passport_vc.okw import OkwError, SkillRequirement, parse_facility, to_okw_json

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
OTHER = "did:web:makers.example:amina"
WIKI = "https://en.wikipedia.org/wiki/"

CANONICAL: dict[str, Any] = {
    "id": "fablab-cotonou-1",
    "name": "Fablab Cotonou",
    "description": "A community fab lab on the campus.",
    "location": {
        "address": {
            "number": "12",
            "street": "Rue 1234",
            "district": "Cadjèhoun",
            "city": "Cotonou",
            "region": "Littoral",
            "country": "BJ",
            "postcode": "00229",
        },
        "gpsCoordinates": {"latitude": 6.3736012, "longitude": 2.4257544},
        "directions": "Behind the school, first floor.",
        "what3Words": {"words": "///shares.parks.alone", "language": "en"},
    },
    "owner": {"name": "Fablab Cotonou asbl", "website": "https://fablab.example", "did": OTHER},
    "contact": {"name": "Koffi", "email": "koffi@fablab.example"},
    "affiliation": [{"name": "Fab Foundation", "website": "https://fabfoundation.org"}],
    "facilityStatus": "Active",
    "accessType": "Membership",
    "manufacturingProcesses": [WIKI + "Laser_cutting", WIKI + "3D_printing"],
    "typicalMaterials": ["Plywood", {"materialType": WIKI + "Polylactic_acid", "brand": "X"}],
    "certifications": ["ISO 9001"],
    "equipment": [
        {
            "id": "laser-1",
            "equipmentType": WIKI + "Laser_cutting",
            "manufacturingProcess": WIKI + "Laser_cutting",
            "make": "Trotec Laser",
            "model": "SP500",
            "serialNumber": "SP5-0042",
            "quantity": 1,
            "condition": "Good",
            "notes": "Book a slot first.",
            "owner": {"name": "Université d'Abomey-Calavi"},
            "materialsWorked": ["Acrylic", "Plywood"],
            "properties": {"laserPower": 120, "workingSurface": "1245 x 710 mm", "axes": 2},
            "skillsRequired": [
                {"skill": "https://passport-vc.org/skills/LASER-SAFETY", "minLevel": 1},
                {"skill": "https://passport-vc.org/skills/LASER-CUT", "minLevel": 2},
            ],
            "operators": [HOLDER, OTHER],
            "usageLevels": "daily",
        },
        {
            "equipmentType": WIKI + "3D_printing",
            "make": "Prusa",
            "model": "MK4",
            "operators": [],
        },
    ],
    "dateCreated": "2025-01-31",
    "createdBy": {"name": "Koffi"},
    "lastUpdated": "2026-03-01T10:00:00Z",
    "updatedBy": {"name": "Amina", "did": HOLDER},
    "dateVerified": "2026-03",
    "verifiedBy": {"name": "IoPA"},
    "openingHours": "Mon-Fri 9-18",
    "backupGenerator": True,
}


def test_a_canonical_record_round_trips_exactly() -> None:
    record = parse_facility(copy.deepcopy(CANONICAL))
    assert to_okw_json(record) == CANONICAL
    assert parse_facility(json.loads(json.dumps(to_okw_json(record)))) == record


def test_the_parsed_record_holds_okw_values() -> None:
    record = parse_facility(CANONICAL)
    laser = record.equipment[0]
    assert laser.skills_required == (
        SkillRequirement("https://passport-vc.org/skills/LASER-SAFETY", 1),
        SkillRequirement("https://passport-vc.org/skills/LASER-CUT", 2),
    )
    assert laser.operators == (HOLDER, OTHER)
    assert record.equipment[1].operators == ()  # "nobody", unlike an omitted list
    assert record.location is not None and record.location.country == "BJ"
    assert record.extensions == {"openingHours": "Mon-Fri 9-18", "backupGenerator": True}
    assert laser.extensions == {"usageLevels": "daily"}


def test_other_spellings_are_normalised_once() -> None:
    loose = {
        "name": "  Lab  ",
        "status": "temporary closure",
        "accessType": "public",
        "location": {"city": "Cotonou", "country": "bj", "gps": "6.37, 2.42"},
        "owner": "Fablab Cotonou",
        "contact": {"name": "K", "url": "https://k.example"},
        "affiliation": {"name": "Fab Foundation"},
        "manufacturingProcesses": [
            "http://en.wikipedia.org/wiki/Laser_cutting",
            WIKI + "Laser_cutting",
        ],
        "certifications": [],
        "description": "",
        "equipment": [
            {
                "equipmentType": WIKI + "Laser_cutting",
                "skillsRequired": [{"skill": "LASER-CUT", "minLevel": 3}],
                "operators": [OTHER, HOLDER, OTHER],
                "materialsWorked": None,
            }
        ],
    }
    exported = to_okw_json(parse_facility(loose))
    assert exported == {
        "name": "Lab",
        "location": {
            "address": {"city": "Cotonou", "country": "BJ"},
            "gpsCoordinates": {"latitude": 6.37, "longitude": 2.42},
        },
        "owner": {"name": "Fablab Cotonou"},
        "contact": {"name": "K", "website": "https://k.example"},
        "affiliation": [{"name": "Fab Foundation"}],
        "facilityStatus": "Temporary Closure",
        "accessType": "Public",
        "manufacturingProcesses": [WIKI + "Laser_cutting"],
        "equipment": [
            {
                "equipmentType": WIKI + "Laser_cutting",
                "skillsRequired": [
                    {"skill": "https://passport-vc.org/skills/LASER-CUT", "minLevel": 3}
                ],
                "operators": sorted([HOLDER, OTHER]),
            }
        ],
    }
    assert to_okw_json(parse_facility(exported)) == exported


def _set(path: str, value: Any) -> Any:
    """A change to CANONICAL: set the value at a dotted path (list indices as numbers)."""

    def change(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = record
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return change


BAD = [
    ("location.gpsCoordinates.latitude", 91.5, "location.gpsCoordinates.latitude"),
    ("location.gpsCoordinates.longitude", -180.01, "location.gpsCoordinates.longitude"),
    ("location.gpsCoordinates.latitude", "north", "location.gpsCoordinates.latitude"),
    ("location.gpsCoordinates.latitude", float("nan"), "location.gpsCoordinates.latitude"),
    ("location.gpsCoordinates.latitude", True, "location.gpsCoordinates.latitude"),
    ("location.gpsCoordinates", "6.3 2.4", "location.gpsCoordinates"),
    ("location.gpsCoordinates", {"latitude": 6.3}, "location.gpsCoordinates.longitude"),
    (
        "location.gpsCoordinates",
        {"lat": 6, "latitude": 1, "longitude": 2},
        "location.gpsCoordinates.lat",
    ),
    ("location.address.country", "BEN", "location.address.country"),
    ("location.address.country", "B1", "location.address.country"),
    ("location.address.country", 229, "location.address.country"),
    ("location.city", "Porto-Novo", "location.city"),
    ("location", ["Cotonou"], "location"),
    ("equipment", {"make": "Trotec"}, "equipment"),
    ("equipment", "laser", "equipment"),
    ("equipment.1", "a printer", "equipment[1]"),
    ("equipment.0.skillsRequired.1.skill", "LASER-WIZARD", "equipment[0].skillsRequired[1].skill"),
    ("equipment.0.skillsRequired.1.minLevel", 5, "equipment[0].skillsRequired[1].minLevel"),
    ("equipment.0.skillsRequired.1.minLevel", 0, "equipment[0].skillsRequired[1].minLevel"),
    ("equipment.0.skillsRequired.1.minLevel", "2", "equipment[0].skillsRequired[1].minLevel"),
    ("equipment.0.skillsRequired.1.minLevel", None, "equipment[0].skillsRequired[1].minLevel"),
    ("equipment.0.skillsRequired.1.skill", "LASER-SAFETY", "equipment[0].skillsRequired[1].skill"),
    (
        "equipment.0.skillsRequired.1",
        {"skill": "LASER-CUT", "minLevel": 2, "x": 1},
        "equipment[0].skillsRequired[1].x",
    ),
    ("equipment.0.skillsRequired", {"skill": "LASER-CUT"}, "equipment[0].skillsRequired"),
    ("equipment.0.operators.1", "amina", "equipment[0].operators[1]"),
    ("equipment.0.operators.1", "did:web:x.example#key-1", "equipment[0].operators[1]"),
    ("equipment.0.operators.1", 42, "equipment[0].operators[1]"),
    ("equipment.0.operators", HOLDER, "equipment[0].operators"),
    ("equipment.0.equipmentType", "Laser cutter", "equipment[0].equipmentType"),
    ("equipment.0.equipmentType", "https://example.com/wiki/Laser", "equipment[0].equipmentType"),
    ("equipment.0.quantity", 1.5, "equipment[0].quantity"),
    ("equipment.0.quantity", -1, "equipment[0].quantity"),
    ("equipment.0.properties", ["laserPower"], "equipment[0].properties"),
    ("equipment.0.properties", {"laserPower": float("inf")}, "equipment[0].properties.laserPower"),
    ("equipment.0.id", "not an id!", "equipment[0].id"),
    ("equipment.1.id", "laser-1", "equipment[1].id"),
    ("manufacturingProcesses", WIKI + "Laser_cutting", "manufacturingProcesses"),
    ("manufacturingProcesses.0", "laser cutting", "manufacturingProcesses[0]"),
    ("facilityStatus", "Open", "facilityStatus"),
    ("accessType", "Anyone", "accessType"),
    ("name", "", "name"),
    ("name", "x" * 301, "name"),
    ("name", "Lab\x00", "name"),
    ("name", "\ud800", "name"),
    ("owner.email", "not-an-email", "owner.email"),
    ("owner.did", "fablab", "owner.did"),
    ("owner.website", "fablab.example", "owner.website"),
    ("contact", 7, "contact"),
    ("dateCreated", "31/01/2025", "dateCreated"),
    ("dateCreated", "2025-02-30", "dateCreated"),
    ("lastUpdated", "2026-13", "lastUpdated"),
    ("typicalMaterials", "wood", "typicalMaterials"),
    ("typicalMaterials.0", 3, "typicalMaterials[0]"),
    ("openingHours", float("nan"), "openingHours"),
    ("id", "x" * 37, "id"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), BAD, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD]
)
def test_malformed_records_name_the_field(path: str, value: Any, field: str) -> None:
    record = copy.deepcopy(CANONICAL)
    _set(path, value)(record)
    with pytest.raises(OkwError) as raised:
        parse_facility(record)
    assert raised.value.field == field
    assert raised.value.detail.startswith(field + ": ")
    assert isinstance(raised.value, PassportVcError)


def test_both_spellings_of_one_field_are_refused() -> None:
    with pytest.raises(OkwError) as raised:
        parse_facility({"name": "x", "facilityStatus": "Active", "status": "Closed"})
    assert raised.value.field == "status"


def test_the_record_must_be_an_object() -> None:
    for value in (None, [], "Fablab", 3):
        with pytest.raises(OkwError) as raised:
            parse_facility(value)
        assert raised.value.field == "(record)"
