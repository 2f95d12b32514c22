"""Lookups over the loaded taxonomy: by URI or code, by category, by level, and text search."""

from __future__ import annotations

import dataclasses

import pytest

from passport_vc.errors import PassportVcError
from passport_vc.taxonomy import (
    Skill,
    Taxonomy,
    UnknownCategoryError,
    UnknownLevelError,
    UnknownSkillError,
    load_taxonomy,
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def test_load_is_cached(taxonomy: Taxonomy) -> None:
    assert load_taxonomy() is taxonomy


def test_skill_by_code_and_by_uri(taxonomy: Taxonomy) -> None:
    laser = taxonomy.skill("LASER-CUT")
    assert laser.uri == "https://passport-vc.org/skills/LASER-CUT"
    assert taxonomy.skill(laser.uri) is laser
    assert taxonomy.find("LASER-CUT") is laser
    assert laser.label == "Laser cutting"
    assert laser.label_in("fr") == "Découpe laser"
    assert laser.label_in("sw") == "Laser cutting"  # falls back to English
    assert laser.category == "laser-cutting"
    assert laser.kind == "skill"
    assert laser.status == "active"
    assert "±0.2 mm" in laser.criteria(3)
    assert set(laser.level_criteria) == {1, 2, 3, 4}
    assert "https://en.wikipedia.org/wiki/Laser_cutting" in laser.okw_processes
    assert laser.prerequisites == ("LASER-SAFETY",)
    assert {a.match for a in laser.esco} <= {"exact", "close", "broad"}


def test_find_returns_none_for_unknown(taxonomy: Taxonomy) -> None:
    assert taxonomy.find("NOPE") is None
    assert taxonomy.find("laser-cut") is None  # codes are case-sensitive identifiers


@pytest.mark.parametrize("asked", ["NOPE-42", "https://passport-vc.org/skills/NOPE-42", ""])
def test_unknown_skill_names_what_was_asked(taxonomy: Taxonomy, asked: str) -> None:
    with pytest.raises(UnknownSkillError) as caught:
        taxonomy.skill(asked)
    assert repr(asked) in str(caught.value)
    assert isinstance(caught.value, PassportVcError)
    assert isinstance(caught.value, LookupError)
    assert caught.value.problem()["type"].endswith("UNKNOWN_SKILL")


def test_levels(taxonomy: Taxonomy) -> None:
    three = taxonomy.level(3)
    assert three.number == 3
    assert three.uri == "https://passport-vc.org/skills/levels/3"
    assert three.name == "Proficient"
    assert three.description
    assert three.name_in("fr") == "Confirmé"


@pytest.mark.parametrize("number", [0, 5, -1, 99])
def test_unknown_level_names_level_and_range(taxonomy: Taxonomy, number: int) -> None:
    with pytest.raises(UnknownLevelError) as caught:
        taxonomy.level(number)
    message = str(caught.value)
    assert str(number) in message
    assert "1 to 4" in message


def test_a_boolean_is_not_a_level(taxonomy: Taxonomy) -> None:
    with pytest.raises(UnknownLevelError):
        taxonomy.level(True)


def test_skill_criteria_outside_range(taxonomy: Taxonomy) -> None:
    with pytest.raises(UnknownLevelError, match=r"FDM-PRINT.*5"):
        taxonomy.skill("FDM-PRINT").criteria(5)


def test_in_category_by_code_and_uri(taxonomy: Taxonomy) -> None:
    by_code = taxonomy.in_category("laser-cutting")
    by_uri = taxonomy.in_category("https://passport-vc.org/skills/categories/laser-cutting")
    assert by_code == by_uri
    assert {"LASER-CUT", "LASER-ENGRAVE", "LASER-SAFETY"} <= {s.code for s in by_code}
    assert all(s.category == "laser-cutting" for s in by_code)
    assert sum(len(taxonomy.in_category(c.code)) for c in taxonomy.categories) == len(
        taxonomy.skills
    )


def test_unknown_category_lists_the_known_ones(taxonomy: Taxonomy) -> None:
    with pytest.raises(UnknownCategoryError, match=r"'lasers'.*laser-cutting"):
        taxonomy.in_category("lasers")


def test_search_laser_puts_laser_skills_first(taxonomy: Taxonomy) -> None:
    found = [s.code for s in taxonomy.search("laser")]
    laser_skills = {s.code for s in taxonomy.skills if "laser" in s.label.lower()}
    assert len(laser_skills) >= 3
    assert set(found[: len(laser_skills)]) == laser_skills
    # Skills that only mention lasers in their definition come after.
    assert "CAD-2D" in found[len(laser_skills) :]


def test_search_is_case_and_accent_insensitive(taxonomy: Taxonomy) -> None:
    for query in ("découpe", "DECOUPE", "Découpe"):
        found = taxonomy.search(query)
        assert {s.code for s in found} >= {"LASER-CUT", "VINYL-CUT", "PLASMA-CUT"}
        assert all("decoupe" in s.labels["fr"].lower().replace("é", "e") for s in found)


def test_search_in_one_language(taxonomy: Taxonomy) -> None:
    assert taxonomy.search("découpe", lang="en") == []
    assert taxonomy.search("découpe", lang="fr")[0].labels["fr"].startswith("Découpe")
    assert [s.code for s in taxonomy.search("soudage", lang="fr")] == [
        "WELD-MMA",
        "WELD-MIG",
        "WELD-TIG",
    ]


def test_search_by_code_ranks_the_exact_code_first(taxonomy: Taxonomy) -> None:
    assert taxonomy.search("LASER-CUT")[0].code == "LASER-CUT"
    assert taxonomy.search("fdm print")[0].code == "FDM-PRINT"


def test_search_multiword_and_definition(taxonomy: Taxonomy) -> None:
    assert taxonomy.search("3d printing")[0].code == "FDM-PRINT"
    assert "MACHINE-MAINT" in {s.code for s in taxonomy.search("lubrication")}


@pytest.mark.parametrize("query", ["xyzzy", "", "   ", "--"])
def test_search_without_match_is_empty(taxonomy: Taxonomy, query: str) -> None:
    assert taxonomy.search(query) == []


def test_model_is_immutable_and_hashable(taxonomy: Taxonomy) -> None:
    skill = taxonomy.skill("SOLDER-THT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        skill.code = "X"  # type: ignore[misc]
    with pytest.raises(TypeError):
        skill.labels["fr"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        skill.level_criteria[1] = "x"  # type: ignore[index]
    assert len({skill, taxonomy.skill("SOLDER-THT")}) == 1
    assert isinstance(hash(taxonomy.skill("LASER-CUT")), int)
    assert isinstance(skill, Skill)
