"""The OKW machine catalogue (github iop-alliance/okw_machines_catalog): CSV rows of 3D
printers (Model, Technology, Materials, Brand, Build Size) and laser cutters (model, Brand,
Laser Type, Working Area, Materials), read as equipment records.

Brand -> make, Model -> model, Materials -> materialsWorked (split on ',' and ';'). The other
columns become type-specific `properties` under camelCase column names (technology, buildSize;
laserType, workingArea) as text: OKW's own sub-properties (Build Volume in mm³, Working Surface
in mm) are single integers, which the catalogue does not give.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Literal

from passport_vc.okw import values as v
from passport_vc.okw.errors import OkwError
from passport_vc.okw.model import EquipmentRecord

CatalogueKind = Literal["3d-printer", "laser"]

THREE_D_PRINTING = "https://en.wikipedia.org/wiki/3D_printing"
LASER_CUTTING = "https://en.wikipedia.org/wiki/Laser_cutting"
_WIKI = "https://en.wikipedia.org/wiki/"

PRINTER_COLUMNS = ("Model", "Technology", "Materials", "Brand", "Build Size")
LASER_COLUMNS = ("model", "Brand", "Laser Type", "Working Area", "Materials")

# Technology acronym (the column's first word) -> the Wikipedia article of the process.
_PRINTER_PROCESSES = {
    "FDM": _WIKI + "Fused_filament_fabrication",
    "FFF": _WIKI + "Fused_filament_fabrication",
    "LPD": _WIKI + "Fused_filament_fabrication",
    "SLA": _WIKI + "Stereolithography",
    "DLP": _WIKI + "Stereolithography",
    "DUP": _WIKI + "Stereolithography",
    "SLS": _WIKI + "Selective_laser_sintering",
    "SLM": _WIKI + "Selective_laser_melting",
}


def _cell(row: Mapping[str, str | None], column: str, path: str) -> str | None:
    return v.text(row.get(column), f"{path}.{column}")


def _materials(cell: str | None) -> tuple[str, ...]:
    if not cell:
        return ()
    return tuple(m for m in (part.strip() for part in re.split(r"[,;]", cell)) if m)


def printer_from_row(row: Mapping[str, str | None], path: str = "row[1]") -> EquipmentRecord:
    """A 3D printer row as OKW equipment (equipmentType 3D printing)."""
    technology = _cell(row, "Technology", path)
    acronym = technology.split()[0].upper() if technology else ""
    properties = {
        key: value
        for key, value in (
            ("technology", technology),
            ("buildSize", _cell(row, "Build Size", path)),
        )
        if value
    }
    return EquipmentRecord(
        equipment_type=THREE_D_PRINTING,
        manufacturing_process=_PRINTER_PROCESSES.get(acronym, THREE_D_PRINTING),
        make=_cell(row, "Brand", path),
        model=_cell(row, "Model", path),
        materials_worked=_materials(_cell(row, "Materials", path)),
        properties=properties,
    )


def laser_from_row(row: Mapping[str, str | None], path: str = "row[1]") -> EquipmentRecord:
    """A laser cutter row as OKW equipment (equipmentType and process Laser cutting)."""
    properties = {
        key: value
        for key, value in (
            ("laserType", _cell(row, "Laser Type", path)),
            ("workingArea", _cell(row, "Working Area", path)),
        )
        if value
    }
    return EquipmentRecord(
        equipment_type=LASER_CUTTING,
        manufacturing_process=LASER_CUTTING,
        make=_cell(row, "Brand", path),
        model=_cell(row, "model", path),
        materials_worked=_materials(_cell(row, "Materials", path)),
        properties=properties,
    )


def catalogue_kind(header: list[str]) -> CatalogueKind:
    """Which catalogue a CSV header belongs to; OkwError naming the header otherwise."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    if sorted(names) == sorted(PRINTER_COLUMNS):
        return "3d-printer"
    if sorted(names) == sorted(LASER_COLUMNS):
        return "laser"
    raise OkwError(
        "(header)",
        f"columns {names!r} are neither the 3D printer catalogue ({', '.join(PRINTER_COLUMNS)}) "
        f"nor the laser catalogue ({', '.join(LASER_COLUMNS)})",
    )


def read_catalogue(text: str) -> list[EquipmentRecord]:
    """Every row of a catalogue CSV as one equipment record; rows are named `row[n]` (the
    first data row is 1) in errors."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise OkwError("(header)", "the CSV is empty")
    kind = catalogue_kind(header)
    columns = [h.strip() for h in header]
    convert = printer_from_row if kind == "3d-printer" else laser_from_row
    found: list[EquipmentRecord] = []
    for number, cells in enumerate(reader, start=1):
        path = f"row[{number}]"
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            raise OkwError(path, f"has {len(cells)} columns; the header has {len(columns)}")
        if len(found) >= v.MAX_ITEMS:
            raise OkwError(path, f"a catalogue may have at most {v.MAX_ITEMS} rows")
        found.append(convert(dict(zip(columns, cells, strict=True)), path))
    return found
