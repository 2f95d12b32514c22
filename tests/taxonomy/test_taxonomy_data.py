"""The shipped taxonomy file: its figures and invariants, checked independently of the loader."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from passport_vc.taxonomy import TAXONOMY_ID, load_taxonomy, taxonomy_problems

CATEGORY_CODES = [
    "safety",
    "design-cad",
    "additive",
    "laser-cutting",
    "cnc",
    "electronics",
    "metalwork",
    "woodwork-materials",
    "production-quality",
]
ESCO_URI = re.compile(
    r"http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    text = (resources.files("passport_vc.taxonomy") / "maker-skills.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture(scope="module")
def allowed_esco() -> dict[str, str]:
    lines = (Path(__file__).parent / "esco_maker_skills_uris.tsv").read_text("utf-8").splitlines()
    return dict(line.split("\t") for line in lines if line and not line.startswith("#"))


def test_figures() -> None:
    taxonomy = load_taxonomy()
    assert [c.code for c in taxonomy.categories] == CATEGORY_CODES
    assert 55 <= len(taxonomy.skills) <= 65
    assert [level.number for level in taxonomy.levels] == [1, 2, 3, 4]
    assert [level.name for level in taxonomy.levels] == [
        "Inducted",
        "Independent",
        "Proficient",
        "Expert/Trainer",
    ]
    per_category = Counter(s.category for s in taxonomy.skills)
    assert set(per_category) == set(CATEGORY_CODES)
    assert min(per_category.values()) >= 4


def test_identity_and_attribution() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.id == TAXONOMY_ID == "https://passport-vc.org/taxonomy/maker-skills"
    assert taxonomy.version == "1.0.0"
    assert taxonomy.publisher
    assert taxonomy.licence
    assert "ESCO © European Union" in taxonomy.attribution
    assert "2011/833/EU" in taxonomy.attribution


def test_the_loader_finds_no_problem() -> None:
    assert taxonomy_problems(load_taxonomy()) == []


def test_codes_and_uris_are_unique_and_stable(raw: dict[str, Any]) -> None:
    codes = [s["code"] for s in raw["skills"]]
    assert len(codes) == len(set(codes))
    for skill in raw["skills"]:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*", skill["code"])
        assert skill["uri"] == "https://passport-vc.org/skills/" + skill["code"]
    for category in raw["categories"]:
        assert category["uri"] == "https://passport-vc.org/skills/categories/" + category["code"]
    for level in raw["levels"]:
        assert level["uri"] == f"https://passport-vc.org/skills/levels/{level['number']}"
    examples = {"LASER-CUT", "FDM-PRINT", "CNC-ROUTER", "SOLDER-THT", "SAFETY-WORKSHOP"}
    assert examples <= set(codes)


def test_every_skill_has_specific_criteria_for_each_level(raw: dict[str, Any]) -> None:
    seen: Counter[str] = Counter()
    for skill in raw["skills"]:
        criteria = skill["level_criteria"]
        assert sorted(criteria) == ["1", "2", "3", "4"], skill["code"]
        assert all(len(text) >= 40 for text in criteria.values()), skill["code"]
        assert len(set(criteria.values())) == 4, skill["code"]
        seen.update(criteria.values())
    # Written for each skill: no criterion text is pasted into two skills.
    assert [text for text, n in seen.items() if n > 1] == []


def test_every_skill_is_complete(raw: dict[str, Any]) -> None:
    for skill in raw["skills"]:
        code = skill["code"]
        assert skill["category"] in CATEGORY_CODES, code
        assert skill["kind"] in ("skill", "knowledge", "safety"), code
        assert skill["status"] in ("active", "deprecated"), code
        assert skill["label"] and skill["definition"], code
        assert skill["labels"]["en"] == skill["label"], code
        assert skill["labels"]["fr"], code  # francophone hubs are users
        months = skill["default_validity_months"]
        assert months is None or (isinstance(months, int) and months > 0), code
        for url in skill["okw_equipment_types"] + skill["okw_processes"]:
            assert re.fullmatch(r"https://en\.wikipedia\.org/wiki/[^\s#?]+", url), (code, url)


def test_safety_inductions_expire(raw: dict[str, Any]) -> None:
    by_code = {s["code"]: s for s in raw["skills"]}
    assert by_code["SAFETY-WORKSHOP"]["default_validity_months"] is not None
    assert by_code["LASER-SAFETY"]["default_validity_months"] is not None
    assert by_code["LASER-CUT"]["default_validity_months"] is None


def test_esco_alignments_use_only_the_listed_concepts(
    raw: dict[str, Any], allowed_esco: dict[str, str]
) -> None:
    assert len(allowed_esco) == 74
    aligned = 0
    for skill in raw["skills"]:
        uris = [a["uri"] for a in skill["esco"]]
        assert len(uris) == len(set(uris)), skill["code"]
        for alignment in skill["esco"]:
            assert ESCO_URI.fullmatch(alignment["uri"])
            assert alignment["uri"] in allowed_esco, (skill["code"], alignment["uri"])
            assert alignment["label"] == allowed_esco[alignment["uri"]]
            assert alignment["match"] in ("exact", "close", "broad")
        aligned += bool(skill["esco"])
    assert aligned >= 50  # most skills have an ESCO counterpart


def test_prerequisites_are_known_and_acyclic(raw: dict[str, Any]) -> None:
    graph = {s["code"]: list(s["prerequisites"]) for s in raw["skills"]}
    for code, required in graph.items():
        assert code not in required
        assert set(required) <= set(graph), code
    # Kahn's algorithm: every skill can be placed after all its prerequisites.
    remaining = {code: set(required) for code, required in graph.items()}
    placed: list[str] = []
    while remaining:
        ready = sorted(code for code, required in remaining.items() if not required)
        assert ready, f"prerequisite cycle among {sorted(remaining)}"
        placed += ready
        for code in ready:
            del remaining[code]
        for waiting in remaining.values():
            waiting.difference_update(ready)
    assert len(placed) == len(graph)
    assert "SAFETY-WORKSHOP" in graph["FDM-PRINT"]
    assert "LASER-SAFETY" in graph["LASER-CUT"]
