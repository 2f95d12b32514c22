"""The OKW machine catalogue CSVs (3D printers, laser cutters) read as equipment records."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from passport_vc.okw import (
    LASER_CUTTING,
    THREE_D_PRINTING,
    FacilityRecord,
    OkwError,
    parse_facility,
    read_catalogue,
    to_okw_json,
)

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_printer_row_becomes_equipment() -> None:
    rows = _rows("3d_printers.csv")
    equipment = read_catalogue((DATA / "3d_printers.csv").read_text(encoding="utf-8"))
    assert len(equipment) == len(rows) == 855
    assert {e.equipment_type for e in equipment} == {THREE_D_PRINTING}
    for row, item in zip(rows, equipment, strict=True):
        assert item.make == row["Brand"].strip()
        assert item.model == row["Model"].strip()
    first = equipment[0]
    assert first.manufacturing_process == "https://en.wikipedia.org/wiki/Fused_filament_fabrication"
    assert first.materials_worked == ("PLA", "ABS", "Nylon")
    assert first.properties == {
        "technology": "FDM (Fused Deposition Modeling)",
        "buildSize": "200 x 270 x 200 mm",
    }
    processes = {e.manufacturing_process for e in equipment}
    assert "https://en.wikipedia.org/wiki/Stereolithography" in processes
    assert THREE_D_PRINTING in processes  # technologies without a more precise article


def test_every_laser_row_becomes_equipment() -> None:
    rows = _rows("laser.csv")
    equipment = read_catalogue((DATA / "laser.csv").read_text(encoding="utf-8"))
    assert len(equipment) == len(rows) == 227
    assert {(e.equipment_type, e.manufacturing_process) for e in equipment} == {
        (LASER_CUTTING, LASER_CUTTING)
    }
    trotec = equipment[1]
    assert (trotec.make, trotec.model) == ("Trotec Laser", "SP500")
    assert trotec.properties == {"laserType": "CO₂", "workingArea": "1245 x 710 mm"}
    assert trotec.materials_worked[-1] == "Glass and Stone (engraving only)"
    assert equipment[2].properties == {"laserType": "Fiber"}  # empty cells are left out


def test_a_facility_holding_the_whole_catalogue_round_trips() -> None:
    equipment = read_catalogue((DATA / "laser.csv").read_text(encoding="utf-8"))
    equipment += read_catalogue((DATA / "3d_printers.csv").read_text(encoding="utf-8"))
    record = FacilityRecord(name="Catalogue", equipment=tuple(equipment))
    exported = to_okw_json(record)
    assert len(exported["equipment"]) == 227 + 855
    assert parse_facility(exported) == record
    assert to_okw_json(parse_facility(exported)) == exported


def test_bad_catalogues_are_named() -> None:
    with pytest.raises(OkwError) as raised:
        read_catalogue("Name,Colour\nx,y\n")
    assert raised.value.field == "(header)"
    with pytest.raises(OkwError) as raised:
        read_catalogue("model,Brand,Laser Type,Working Area,Materials\nA3,Elek,CO2\n")
    assert raised.value.field == "row[1]"
    with pytest.raises(OkwError) as raised:
        read_catalogue("model,Brand,Laser Type,Working Area,Materials\nA3,Elek\x00s,CO2,,\n")
    assert raised.value.field == "row[1].Brand"
