"""The taxonomy's data model: levels, categories, skills and the lookups a service needs.

All classes are frozen; a loaded taxonomy is shared process-wide and must not change under its
users. Mapping fields are read-only views and take no part in hashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from passport_vc.taxonomy import search as _search
from passport_vc.taxonomy.errors import (
    UnknownCategoryError,
    UnknownLevelError,
    UnknownSkillError,
)

# Stable, deployment-independent URIs: a hub's own domain never appears in them, so badges
# from every hub name the same skill the same way.
TAXONOMY_ID = "https://passport-vc.org/taxonomy/maker-skills"
SKILLS_BASE = "https://passport-vc.org/skills/"
CATEGORIES_BASE = SKILLS_BASE + "categories/"
LEVEL_SCALE = SKILLS_BASE + "levels"

SkillKind = Literal["skill", "knowledge", "safety"]
SkillStatus = Literal["active", "deprecated"]
EscoMatch = Literal["exact", "close", "broad"]

SKILL_KINDS: tuple[SkillKind, ...] = ("skill", "knowledge", "safety")
SKILL_STATUSES: tuple[SkillStatus, ...] = ("active", "deprecated")
ESCO_MATCHES: tuple[EscoMatch, ...] = ("exact", "close", "broad")


def skill_uri(code: str) -> str:
    """The stable URI of the skill with this code."""
    return SKILLS_BASE + code


def category_uri(code: str) -> str:
    """The stable URI of the category with this code."""
    return CATEGORIES_BASE + code


def level_uri(number: int) -> str:
    """The stable URI of proficiency level `number`."""
    return f"{LEVEL_SCALE}/{number}"


@dataclass(frozen=True)
class Level:
    """One step of the proficiency scale shared by every skill (1 Inducted … 4 Expert/Trainer)."""

    number: int
    uri: str
    name: str
    description: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    def name_in(self, lang: str) -> str:
        """The level's name in `lang`, or the English name when there is none."""
        return self.labels.get(lang, self.name)


@dataclass(frozen=True)
class Category:
    """A group of related skills, e.g. "Laser & cutting"."""

    code: str
    uri: str
    label: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    def label_in(self, lang: str) -> str:
        """The category's label in `lang`, or the English label when there is none."""
        return self.labels.get(lang, self.label)


@dataclass(frozen=True)
class EscoAlignment:
    """A link from a skill to an ESCO concept; `match` says how close (SKOS-style)."""

    uri: str
    label: str
    match: EscoMatch


@dataclass(frozen=True)
class Skill:
    """One skill of the taxonomy, with observable criteria for each proficiency level."""

    uri: str
    code: str
    label: str
    labels: Mapping[str, str] = field(hash=False)
    definition: str
    category: str
    kind: SkillKind
    level_criteria: Mapping[int, str] = field(hash=False)
    esco: tuple[EscoAlignment, ...]
    okw_equipment_types: tuple[str, ...]
    okw_processes: tuple[str, ...]
    prerequisites: tuple[str, ...]
    default_validity_months: int | None
    status: SkillStatus

    def label_in(self, lang: str) -> str:
        """The skill's label in `lang`, or the English label when there is none."""
        return self.labels.get(lang, self.label)

    def criteria(self, level: int) -> str:
        """What a holder of this skill at `level` can be observed to do."""
        try:
            return self.level_criteria[level]
        except KeyError:
            raise UnknownLevelError(
                f"skill {self.code} has no level {level!r}; levels run from 1 to 4"
            ) from None


@dataclass(frozen=True)
class Taxonomy:
    """A versioned skills taxonomy. Build it with `load_taxonomy()`, which also validates it."""

    id: str
    name: str
    version: str
    publisher: str
    publisher_url: str | None
    licence: str
    attribution: str
    level_scale: str
    levels: tuple[Level, ...]
    categories: tuple[Category, ...]
    skills: tuple[Skill, ...]
    _skills_by_key: dict[str, Skill] = field(init=False, repr=False, compare=False, hash=False)
    _categories_by_key: dict[str, Category] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Indexes by code and by URI make every lookup O(1); they are derived, never compared.
        skills = {s.code: s for s in self.skills} | {s.uri: s for s in self.skills}
        categories = {c.code: c for c in self.categories} | {c.uri: c for c in self.categories}
        object.__setattr__(self, "_skills_by_key", skills)
        object.__setattr__(self, "_categories_by_key", categories)

    def find(self, uri_or_code: str) -> Skill | None:
        """The skill with this URI or code, or None."""
        return self._skills_by_key.get(uri_or_code)

    def skill(self, uri_or_code: str) -> Skill:
        """The skill with this URI or code; raises `UnknownSkillError` naming what was asked."""
        found = self.find(uri_or_code)
        if found is None:
            raise UnknownSkillError(
                f"no skill {uri_or_code!r} in taxonomy {self.id} version {self.version}; "
                f"give a skill code such as 'LASER-CUT' or a URI under {SKILLS_BASE}"
            )
        return found

    def level(self, number: int) -> Level:
        """Proficiency level `number`; raises `UnknownLevelError` naming the allowed range."""
        # bool is an int in Python; True must not pass for level 1.
        if not isinstance(number, bool):
            for level in self.levels:
                if level.number == number:
                    return level
        low, high = self.levels[0].number, self.levels[-1].number
        raise UnknownLevelError(f"no skill level {number!r}; levels run from {low} to {high}")

    def category(self, code_or_uri: str) -> Category:
        """The category with this code or URI; raises `UnknownCategoryError` listing the codes."""
        found = self._categories_by_key.get(code_or_uri)
        if found is None:
            known = ", ".join(c.code for c in self.categories)
            raise UnknownCategoryError(f"no skill category {code_or_uri!r}; known: {known}")
        return found

    def in_category(self, code_or_uri: str) -> list[Skill]:
        """The skills of one category, in taxonomy order."""
        code = self.category(code_or_uri).code
        return [s for s in self.skills if s.category == code]

    def search(self, text: str, lang: str | None = None) -> list[Skill]:
        """Skills matching `text` (case- and accent-insensitive), best first.

        Matches the code, the labels and the English definition. With `lang`, only labels in
        that language count (the definition only for "en"). A label hit always ranks above a
        code or definition hit.
        """
        ranked: list[tuple[int, bool, str, Skill]] = []
        for skill in self.skills:
            if lang is None:
                labels = [skill.label, *skill.labels.values()]
                definition: str | None = skill.definition
            else:
                labels = [skill.label_in(lang)]
                definition = skill.definition if lang == "en" else None
            hit = _search.rank(text, code=skill.code, labels=labels, definition=definition)
            if hit is not None:
                deprecated = skill.status != "active"
                shown = skill.label if lang is None else skill.label_in(lang)
                ranked.append((hit, deprecated, _search.fold(shown), skill))
        ranked.sort(key=lambda entry: entry[:3])
        return [entry[3] for entry in ranked]
