"""Open Know-Where (OKW) v1 facility and equipment records: parse, export, import (pure core).

OKW v1 prescribes properties, not a serialisation; passport-vc writes them as JSON with the
camelCase of each property name. Names used (OKW v1 specification, IoPA, CC BY 4.0,
https://standards.internetofproduction.org/pub/okw, read from the text in github
iop-alliance/open-knowledge-framework `OpenKnowWhere/OKW Standard.md` @ 4e6f9c0):

- Manufacturing Facility (§4): name, location, owner, contact, affiliation (a list of
  agents), facilityStatus (Active | Planned | Temporary Closure | Closed; `status` accepted),
  description, accessType (Restricted | Restricted with public hours | Shared space | Public |
  Membership), equipment, manufacturingProcesses (Wikipedia URLs), typicalMaterials,
  certifications.
- Agent (§5): name, website (`url` accepted), email (§5.9.4); `did` is ours.
- Location (§6): address {number, street, district, city, region, country, postcode} with
  country as ISO 3166-1 alpha-2, gpsCoordinates {latitude, longitude} in decimal degrees
  (`gps`, or `latitude`/`longitude`/`city`/`country` on the location, accepted), directions.
- Equipment (§7): equipmentType and manufacturingProcess (Wikipedia URLs), make, model,
  serialNumber, condition, notes, owner, quantity, materialsWorked; the §7.20 type-specific
  sub-properties go in one object, `properties`. §7.7 "Skills Required", future work in OKW v1,
  is `skillsRequired` [{skill: taxonomy skill URI, minLevel: 1..4}], and `operators` lists holder
  DIDs; `id` (facility and equipment) is passport-vc's.
- Materials (§8): a name, a Wikipedia URL, or an object kept as given.
- Record data (§9): dateCreated, createdBy, lastUpdated, updatedBy, dateVerified, verifiedBy.

Any other key (openingHours, dateFounded, backupGenerator...) is kept verbatim in `extensions`.
Canonical form: trimmed text, no null, blank or empty-list values (except `operators: []`,
"nobody"), https Wikipedia URLs, upper-case countries, skill URIs, sorted operators; for it,
`to_okw_json(parse_facility(x)) == x`.
"""

from passport_vc.okw.catalogue import (
    LASER_CUTTING,
    THREE_D_PRINTING,
    laser_from_row,
    printer_from_row,
    read_catalogue,
)
from passport_vc.okw.documents import parse_document, parse_one
from passport_vc.okw.errors import OkwError
from passport_vc.okw.export import equipment_json, to_okw_json
from passport_vc.okw.map_import import facility_from_map, is_map_record
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
from passport_vc.okw.parse import parse_equipment, parse_facility

__all__ = [
    "ACCESS_TYPES",
    "FACILITY_STATUSES",
    "LASER_CUTTING",
    "THREE_D_PRINTING",
    "Address",
    "Agent",
    "EquipmentRecord",
    "FacilityRecord",
    "GpsCoordinates",
    "Location",
    "Material",
    "OkwError",
    "SkillRequirement",
    "equipment_json",
    "facility_from_map",
    "is_map_record",
    "laser_from_row",
    "parse_document",
    "parse_equipment",
    "parse_facility",
    "parse_one",
    "printer_from_row",
    "read_catalogue",
    "to_okw_json",
]
