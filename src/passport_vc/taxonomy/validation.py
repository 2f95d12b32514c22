"""The invariants a taxonomy must keep; `taxonomy_problems` lists every one that is broken."""

from __future__ import annotations

import re
from collections import Counter

from passport_vc.taxonomy.model import (
    ESCO_MATCHES,
    LEVEL_SCALE,
    SKILL_KINDS,
    SKILL_STATUSES,
    TAXONOMY_ID,
    Skill,
    Taxonomy,
    category_uri,
    level_uri,
    skill_uri,
)

LEVEL_NUMBERS = (1, 2, 3, 4)
SKILL_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
CATEGORY_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?")
ESCO_SKILL_URI = re.compile(
    r"http://data\.europa\.eu/esco/skill/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
# OKW names equipment types and processes by English Wikipedia article URL.
WIKIPEDIA_URL = re.compile(r"https://en\.wikipedia\.org/wiki/[^\s#?]+")


def taxonomy_problems(taxonomy: Taxonomy) -> list[str]:
    """Every broken invariant of `taxonomy`, each naming the entry at fault; [] when sound."""
    problems: list[str] = []
    if taxonomy.id != TAXONOMY_ID:
        problems.append(f"id: expected {TAXONOMY_ID!r}, found {taxonomy.id!r}")
    if not SEMVER.fullmatch(taxonomy.version):
        problems.append(f"version: {taxonomy.version!r} is not a semantic version like 1.0.0")
    if taxonomy.level_scale != LEVEL_SCALE:
        problems.append(f"level_scale: expected {LEVEL_SCALE!r}, found {taxonomy.level_scale!r}")
    problems += _level_problems(taxonomy)
    problems += _category_problems(taxonomy)
    problems += _duplicate_problems(taxonomy)
    category_codes = {c.code for c in taxonomy.categories}
    for skill in taxonomy.skills:
        problems += _skill_problems(skill, category_codes)
    problems += _prerequisite_problems(taxonomy)
    return problems


def _level_problems(taxonomy: Taxonomy) -> list[str]:
    problems: list[str] = []
    numbers = tuple(level.number for level in taxonomy.levels)
    if numbers != LEVEL_NUMBERS:
        problems.append(
            f"levels: expected levels {list(LEVEL_NUMBERS)} in order, found {list(numbers)}"
        )
    for level in taxonomy.levels:
        if level.uri != level_uri(level.number):
            problems.append(f"levels[{level.number}].uri: expected {level_uri(level.number)!r}")
        if not level.name.strip() or not level.description.strip():
            problems.append(f"levels[{level.number}]: name and description must not be empty")
    return problems


def _category_problems(taxonomy: Taxonomy) -> list[str]:
    problems: list[str] = []
    for code, count in Counter(c.code for c in taxonomy.categories).items():
        if count > 1:
            problems.append(f"categories: duplicate category code {code!r}")
    for category in taxonomy.categories:
        where = f"categories[{category.code}]"
        if not CATEGORY_CODE.fullmatch(category.code):
            problems.append(f"{where}.code: use lower-case words joined by hyphens")
        if category.uri != category_uri(category.code):
            problems.append(f"{where}.uri: expected {category_uri(category.code)!r}")
        if not category.label.strip():
            problems.append(f"{where}.label: must not be empty")
    return problems


def _duplicate_problems(taxonomy: Taxonomy) -> list[str]:
    problems: list[str] = []
    for code, count in Counter(s.code for s in taxonomy.skills).items():
        if count > 1:
            problems.append(f"skills: duplicate code {code!r} ({count} skills)")
    for uri, count in Counter(s.uri for s in taxonomy.skills).items():
        if count > 1:
            problems.append(f"skills: duplicate URI {uri!r} ({count} skills)")
    return problems


def _skill_problems(skill: Skill, category_codes: set[str]) -> list[str]:
    where = f"skills[{skill.code}]"
    problems: list[str] = []
    if not SKILL_CODE.fullmatch(skill.code):
        problems.append(f"{where}.code: use upper-case words joined by hyphens, e.g. LASER-CUT")
    if skill.uri != skill_uri(skill.code):
        problems.append(f"{where}.uri: expected {skill_uri(skill.code)!r}, found {skill.uri!r}")
    if not skill.label.strip() or not skill.definition.strip():
        problems.append(f"{where}: label and definition must not be empty")
    for lang, label in skill.labels.items():
        if not label.strip():
            problems.append(f"{where}.labels.{lang}: must not be empty")
    if skill.category not in category_codes:
        problems.append(f"{where}.category: unknown category {skill.category!r}")
    if skill.kind not in SKILL_KINDS:
        problems.append(f"{where}.kind: {skill.kind!r} is not one of {list(SKILL_KINDS)}")
    if skill.status not in SKILL_STATUSES:
        problems.append(f"{where}.status: {skill.status!r} is not one of {list(SKILL_STATUSES)}")
    for number in LEVEL_NUMBERS:
        if not skill.level_criteria.get(number, "").strip():
            problems.append(f"{where}.level_criteria: missing level criteria for level {number}")
    extra = sorted(set(skill.level_criteria) - set(LEVEL_NUMBERS))
    if extra:
        problems.append(f"{where}.level_criteria: unknown levels {extra}; levels run from 1 to 4")
    problems += _alignment_problems(skill, where)
    months = skill.default_validity_months
    if months is not None and (isinstance(months, bool) or months < 1):
        problems.append(f"{where}.default_validity_months: must be a positive number of months")
    return problems


def _alignment_problems(skill: Skill, where: str) -> list[str]:
    problems: list[str] = []
    for alignment in skill.esco:
        if not ESCO_SKILL_URI.fullmatch(alignment.uri):
            problems.append(
                f"{where}.esco: {alignment.uri!r} is not an ESCO skill URI "
                "(http://data.europa.eu/esco/skill/<uuid>)"
            )
        if alignment.match not in ESCO_MATCHES:
            problems.append(
                f"{where}.esco: match {alignment.match!r} is not one of {list(ESCO_MATCHES)}"
            )
        if not alignment.label.strip():
            problems.append(f"{where}.esco: {alignment.uri} has an empty label")
    for uri, count in Counter(a.uri for a in skill.esco).items():
        if count > 1:
            problems.append(f"{where}.esco: {uri} is aligned {count} times")
    for name, urls in (
        ("okw_equipment_types", skill.okw_equipment_types),
        ("okw_processes", skill.okw_processes),
    ):
        for url in urls:
            if not WIKIPEDIA_URL.fullmatch(url):
                problems.append(f"{where}.{name}: {url!r} is not an English Wikipedia article URL")
    return problems


def _prerequisite_problems(taxonomy: Taxonomy) -> list[str]:
    problems: list[str] = []
    by_code = {s.code: s for s in taxonomy.skills}
    for skill in taxonomy.skills:
        where = f"skills[{skill.code}].prerequisites"
        for code in skill.prerequisites:
            required = by_code.get(code)
            if required is None:
                problems.append(f"{where}: unknown prerequisite {code!r}")
            elif code == skill.code:
                problems.append(f"{where}: a skill cannot be its own prerequisite")
            elif skill.status == "active" and required.status != "active":
                problems.append(f"{where}: active skill requires deprecated skill {code!r}")
        for code, count in Counter(skill.prerequisites).items():
            if count > 1:
                problems.append(f"{where}: {code!r} is listed {count} times")
    cycle = _find_cycle({s.code: s.prerequisites for s in taxonomy.skills})
    if cycle:
        problems.append("skills: prerequisite cycle " + " -> ".join(cycle))
    return problems


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One cycle of `graph` as a path that ends where it starts, or None if it is acyclic."""
    visiting: list[str] = []
    done: set[str] = set()

    # Iterative depth-first search: a long prerequisite chain must not hit the recursion limit.
    for start in graph:
        if start in done:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        visiting.append(start)
        while stack:
            node, index = stack[-1]
            edges = [e for e in graph.get(node, ()) if e in graph and e != node]
            if index < len(edges):
                stack[-1] = (node, index + 1)
                nxt = edges[index]
                if nxt in visiting:
                    return [*visiting[visiting.index(nxt) :], nxt]
                if nxt not in done:
                    stack.append((nxt, 0))
                    visiting.append(nxt)
            else:
                stack.pop()
                visiting.pop()
                done.add(node)
    return None
