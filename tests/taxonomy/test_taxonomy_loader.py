"""The loader refuses a corrupted taxonomy file, naming each problem."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from passport_vc.taxonomy import InvalidTaxonomyError, load_taxonomy_file, parse_taxonomy

Data = dict[str, Any]


@pytest.fixture(scope="module")
def original() -> Data:
    text = (resources.files("passport_vc.taxonomy") / "maker-skills.json").read_text("utf-8")
    data: Data = json.loads(text)
    return data


def skill(data: Data, code: str) -> dict[str, Any]:
    return next(s for s in data["skills"] if s["code"] == code)


def write(tmp_path: Path, data: Data) -> Path:
    path = tmp_path / "maker-skills.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_unchanged_copy_loads(tmp_path: Path, original: Data) -> None:
    taxonomy = load_taxonomy_file(write(tmp_path, original))
    assert len(taxonomy.skills) == len(original["skills"])
    assert taxonomy.skill("LASER-CUT").label == "Laser cutting"


def duplicate_code(data: Data) -> None:
    clone = copy.deepcopy(skill(data, "LASER-CUT"))
    data["skills"].append(clone)


def unknown_prerequisite(data: Data) -> None:
    skill(data, "FDM-PRINT")["prerequisites"].append("MAGIC-WAND")


def prerequisite_cycle(data: Data) -> None:
    skill(data, "SAFETY-WORKSHOP")["prerequisites"] = ["LASER-CUT"]


def self_prerequisite(data: Data) -> None:
    skill(data, "CAD-2D")["prerequisites"] = ["CAD-2D"]


def missing_level_criteria(data: Data) -> None:
    del skill(data, "CNC-ROUTER")["level_criteria"]["3"]


def empty_level_criteria(data: Data) -> None:
    skill(data, "CNC-ROUTER")["level_criteria"]["4"] = "  "


def unknown_category(data: Data) -> None:
    skill(data, "SEWING")["category"] = "textiles"


def invented_esco_uri(data: Data) -> None:
    skill(data, "LASER-CUT")["esco"][0]["uri"] = "http://data.europa.eu/esco/skill/laser-cutting"


def bad_esco_match(data: Data) -> None:
    skill(data, "LASER-CUT")["esco"][0]["match"] = "related"


def duplicate_uri(data: Data) -> None:
    skill(data, "LASER-ENGRAVE")["uri"] = skill(data, "LASER-CUT")["uri"]


def uri_not_from_code(data: Data) -> None:
    skill(data, "LASER-CUT")["uri"] = "https://hub.example/skills/LASER-CUT"


def bad_kind(data: Data) -> None:
    skill(data, "LASER-CUT")["kind"] = "talent"


def missing_level(data: Data) -> None:
    data["levels"].pop()


def bad_version(data: Data) -> None:
    data["version"] = "v1"


def label_not_text(data: Data) -> None:
    skill(data, "LASER-CUT")["label"] = 42


def wikipedia_elsewhere(data: Data) -> None:
    skill(data, "LASER-CUT")["okw_processes"] = ["https://fr.wikipedia.org/wiki/D%C3%A9coupe_laser"]


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (duplicate_code, "duplicate code 'LASER-CUT'"),
        (
            unknown_prerequisite,
            "skills[FDM-PRINT].prerequisites: unknown prerequisite 'MAGIC-WAND'",
        ),
        (prerequisite_cycle, "prerequisite cycle"),
        (self_prerequisite, "skills[CAD-2D].prerequisites: a skill cannot be its own"),
        (
            missing_level_criteria,
            "skills[CNC-ROUTER].level_criteria: missing level criteria for level 3",
        ),
        (
            empty_level_criteria,
            "skills[CNC-ROUTER].level_criteria: missing level criteria for level 4",
        ),
        (unknown_category, "skills[SEWING].category: unknown category 'textiles'"),
        (invented_esco_uri, "is not an ESCO skill URI"),
        (bad_esco_match, "match 'related' is not one of"),
        (duplicate_uri, "duplicate URI 'https://passport-vc.org/skills/LASER-CUT'"),
        (uri_not_from_code, "skills[LASER-CUT].uri: expected"),
        (bad_kind, "skills[LASER-CUT].kind: 'talent'"),
        (missing_level, "levels: expected levels [1, 2, 3, 4]"),
        (bad_version, "version: 'v1' is not a semantic version"),
        (label_not_text, "skills[LASER-CUT].label: expected a string"),
        (wikipedia_elsewhere, "not an English Wikipedia article URL"),
    ],
)
def test_a_corrupted_copy_is_refused(
    tmp_path: Path, original: Data, corrupt: Callable[[Data], None], expected: str
) -> None:
    data = copy.deepcopy(original)
    corrupt(data)
    path = write(tmp_path, data)
    with pytest.raises(InvalidTaxonomyError) as caught:
        load_taxonomy_file(path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_the_cycle_is_spelled_out(original: Data) -> None:
    data = copy.deepcopy(original)
    prerequisite_cycle(data)
    with pytest.raises(InvalidTaxonomyError) as caught:
        parse_taxonomy(json.dumps(data))
    [cycle] = [p for p in caught.value.problems if "cycle" in p]
    assert "SAFETY-WORKSHOP -> LASER-CUT -> LASER-SAFETY -> SAFETY-WORKSHOP" in cycle


def test_every_problem_is_reported_at_once(original: Data) -> None:
    data = copy.deepcopy(original)
    unknown_prerequisite(data)
    missing_level_criteria(data)
    unknown_category(data)
    with pytest.raises(InvalidTaxonomyError) as caught:
        parse_taxonomy(json.dumps(data))
    assert len(caught.value.problems) == 3


def test_not_json_is_refused() -> None:
    with pytest.raises(InvalidTaxonomyError, match="not valid JSON"):
        parse_taxonomy("{skills: [")


def test_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidTaxonomyError, match=r"\$: expected an object"):
        parse_taxonomy("[]")
