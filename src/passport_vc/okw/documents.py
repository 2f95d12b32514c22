"""A file of facilities: one OKW facility object, a list of them, or the OKW map export."""

from __future__ import annotations

from typing import Any

from passport_vc.okw.errors import OkwError, join
from passport_vc.okw.map_import import facility_from_map, is_map_record
from passport_vc.okw.model import FacilityRecord
from passport_vc.okw.parse import parse_facility
from passport_vc.okw.values import MAX_ITEMS
from passport_vc.taxonomy import Taxonomy, load_taxonomy


def parse_one(item: Any, taxonomy: Taxonomy | None = None, *, path: str = "") -> FacilityRecord:
    """An OKW facility object or one map export record."""
    if is_map_record(item):
        return facility_from_map(item, taxonomy, path=path)
    return parse_facility(item, taxonomy, path=path)


def parse_document(data: Any, taxonomy: Taxonomy | None = None) -> list[FacilityRecord]:
    """Every facility of a parsed JSON document; a list's items are named `[n]` in errors."""
    taxonomy = taxonomy or load_taxonomy()
    if isinstance(data, list):
        if len(data) > MAX_ITEMS:
            raise OkwError("(record)", f"a file may hold at most {MAX_ITEMS} facilities")
        return [parse_one(item, taxonomy, path=join("", i)) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return [parse_one(data, taxonomy)]
    raise OkwError(
        "(record)", "must be an OKW facility object, a list of them, or an OKW map export"
    )
