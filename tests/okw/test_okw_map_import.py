"""The OKW map database export (the four sample facilities) read into records, and the round
trip map -> export -> import -> export."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from passport_vc.okw import (
    OkwError,
    facility_from_map,
    is_map_record,
    parse_document,
    parse_facility,
    to_okw_json,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(
        (DATA / "okw_map_facilities_sample.json").read_text(encoding="utf-8")
    )
    return loaded


def test_every_sample_facility_round_trips(sample: list[dict[str, Any]]) -> None:
    """map -> export -> import -> export: equal field for field, and the records are equal."""
    assert all(is_map_record(item) for item in sample)
    records = parse_document(sample)
    assert len(records) == 4
    for record in records:
        exported = to_okw_json(record)
        again = parse_facility(json.loads(json.dumps(exported)))
        assert again == record
        assert to_okw_json(again) == exported


def test_map_fields_land_in_okw_fields(sample: list[dict[str, Any]]) -> None:
    exported = [to_okw_json(r) for r in parse_document(sample)]
    assert [e["location"]["address"]["country"] for e in exported] == ["CM", "ZA", "FR", "BJ"]
    ongola = exported[0]
    assert ongola == {
        "id": "52a0c0f6-c6ed-4ad5-9d13-b685a598a248",
        "name": "Ongola Fablab",
        "description": "fablab",
        "location": {
            "address": {
                "street": "AUF-CAMPUS NUMERIQUE FRANCOPHONE, BLD DE LA REUNIFICATION, "
                "NGOA-EKELLE, BP 8114 YAOUNDE-CAMEROUN",
                "city": "Yaoundé",
                "region": "CENTRE",
                "country": "CM",
            },
            "gpsCoordinates": {"latitude": 3.8577597, "longitude": 11.5070915},
        },
        "contact": {"website": "https://www.fablabs.io/labs/ongolafablab"},
    }
    ping = exported[2]  # its address is null in the export
    assert ping["location"]["address"] == {
        "city": "Nantes",
        "region": "Pays de la Loire",
        "country": "FR",
    }
    assert ping["location"]["gpsCoordinates"]["longitude"] == -1.55362100000002
    assert exported[3]["location"]["address"]["postcode"] == "00229"  # leading zeros kept


def test_unknown_map_keys_are_kept(sample: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(sample[0])
    item["source"] = {"name": "fablabs.io"}
    item["facility"]["capacity"] = 12
    record = facility_from_map(item)
    assert record.extensions == {
        "okwMap": {"source": {"name": "fablabs.io"}, "facility": {"capacity": 12}}
    }
    assert parse_facility(to_okw_json(record)) == record


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["geocoding"].update(latitude=123.0), "[1].geocoding.latitude"),
        (lambda r: r["geocoding"].update(longitude="east"), "[1].geocoding.longitude"),
        (lambda r: r["region"].update(country="ZAF"), "[1].region.country"),
        (lambda r: r["facility"].update(name=" "), "[1].facility.name"),
        (lambda r: r["facility"].update(url="fablabs.io/x"), "[1].facility.url"),
        (lambda r: r.update(region=["ZA"]), "[1].region"),
    ],
)
def test_bad_map_records_name_the_field(
    sample: list[dict[str, Any]], change: Any, field: str
) -> None:
    document = copy.deepcopy(sample)
    change(document[1])
    with pytest.raises(OkwError) as raised:
        parse_document(document)
    assert raised.value.field == field
    assert raised.value.detail.startswith(field + ": ")


def test_a_document_is_an_object_a_list_or_a_map_export(sample: list[dict[str, Any]]) -> None:
    assert [r.name for r in parse_document(sample[0])] == ["Ongola Fablab"]
    assert [r.name for r in parse_document({"name": "Solo"})] == ["Solo"]
    mixed = parse_document([{"name": "Solo"}, sample[3]])
    assert [r.name for r in mixed] == ["Solo", "IROKO FabLab"]
    with pytest.raises(OkwError) as raised:
        parse_document("a facility")
    assert raised.value.field == "(record)"
    with pytest.raises(OkwError) as raised:
        parse_document([{"name": "ok"}, 7])
    assert raised.value.field == "[1]"
