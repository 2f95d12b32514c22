"""Reading the taxonomy data file: JSON in, a validated, immutable `Taxonomy` out."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any, cast

from passport_vc.taxonomy.errors import InvalidTaxonomyError
from passport_vc.taxonomy.model import (
    Category,
    EscoAlignment,
    EscoMatch,
    Level,
    Skill,
    SkillKind,
    SkillStatus,
    Taxonomy,
)
from passport_vc.taxonomy.validation import taxonomy_problems

TAXONOMY_FILE = "maker-skills.json"


@functools.cache
def load_taxonomy() -> Taxonomy:
    """The maker skills taxonomy shipped with passport-vc, parsed and validated once."""
    text = (resources.files("passport_vc.taxonomy") / TAXONOMY_FILE).read_text(encoding="utf-8")
    return parse_taxonomy(text, source=f"passport_vc/taxonomy/{TAXONOMY_FILE}")


def load_taxonomy_file(path: str | os.PathLike[str]) -> Taxonomy:
    """A taxonomy from a JSON file at `path`, validated; raises `InvalidTaxonomyError`."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return parse_taxonomy(text, source=os.fspath(path))


def parse_taxonomy(text: str, *, source: str = "<text>") -> Taxonomy:
    """A taxonomy from its JSON text; raises `InvalidTaxonomyError` listing every problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidTaxonomyError(source, [f"not valid JSON: {exc}"]) from None
    reader = _Reader()
    taxonomy = reader.taxonomy(data)
    # Structural problems make the invariants meaningless, so report those alone.
    problems = reader.problems or taxonomy_problems(taxonomy)
    if problems:
        raise InvalidTaxonomyError(source, problems)
    return taxonomy


class _Reader:
    """Turns decoded JSON into model objects, noting each shape problem with its JSON path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def taxonomy(self, data: Any) -> Taxonomy:
        root = self._object(data, "$")
        publisher = self._object(root.get("publisher"), "publisher")
        return Taxonomy(
            id=self._text(root, "id", ""),
            name=self._text(root, "name", ""),
            version=self._text(root, "version", ""),
            publisher=self._text(publisher, "name", "publisher."),
            publisher_url=self._optional_text(publisher, "url", "publisher."),
            licence=self._text(root, "licence", ""),
            attribution=self._text(root, "attribution", ""),
            level_scale=self._text(root, "level_scale", ""),
            levels=tuple(
                self._level(item, f"levels[{i}]")
                for i, item in enumerate(self._array(root, "levels", ""))
            ),
            categories=tuple(
                self._category(item, f"categories[{i}]")
                for i, item in enumerate(self._array(root, "categories", ""))
            ),
            skills=tuple(
                self._skill(item, f"skills[{i}]")
                for i, item in enumerate(self._array(root, "skills", ""))
            ),
        )

    def _level(self, data: Any, path: str) -> Level:
        node = self._object(data, path)
        number = node.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            self.problems.append(f"{path}.number: expected an integer")
            number = 0
        return Level(
            number=number,
            uri=self._text(node, "uri", f"{path}."),
            name=self._text(node, "name", f"{path}."),
            description=self._text(node, "description", f"{path}."),
            labels=self._labels(node, f"{path}."),
        )

    def _category(self, data: Any, path: str) -> Category:
        node = self._object(data, path)
        return Category(
            code=self._text(node, "code", f"{path}."),
            uri=self._text(node, "uri", f"{path}."),
            label=self._text(node, "label", f"{path}."),
            labels=self._labels(node, f"{path}."),
        )

    def _skill(self, data: Any, path: str) -> Skill:
        node = self._object(data, path)
        code = self._text(node, "code", f"{path}.")
        # Name the skill by its code in later messages: an index is hard to find in the file.
        where = f"skills[{code}]." if code else f"{path}."
        months = node.get("default_validity_months")
        if months is not None and (not isinstance(months, int) or isinstance(months, bool)):
            self.problems.append(f"{where}default_validity_months: expected an integer or null")
            months = None
        return Skill(
            uri=self._text(node, "uri", where),
            code=code,
            label=self._text(node, "label", where),
            labels=self._labels(node, where),
            definition=self._text(node, "definition", where),
            category=self._text(node, "category", where),
            kind=cast(SkillKind, self._text(node, "kind", where)),
            level_criteria=self._level_criteria(node, where),
            esco=tuple(
                self._esco(item, f"{where}esco[{i}]")
                for i, item in enumerate(self._array(node, "esco", where))
            ),
            okw_equipment_types=self._strings(node, "okw_equipment_types", where),
            okw_processes=self._strings(node, "okw_processes", where),
            prerequisites=self._strings(node, "prerequisites", where),
            default_validity_months=months,
            status=cast(SkillStatus, self._text(node, "status", where)),
        )

    def _level_criteria(self, node: Mapping[str, Any], where: str) -> Mapping[int, str]:
        raw = self._object(node.get("level_criteria", {}), f"{where}level_criteria")
        criteria: dict[int, str] = {}
        for key, text in raw.items():
            if not key.isdigit() or not isinstance(text, str):
                self.problems.append(
                    f"{where}level_criteria.{key}: expected a level number mapped to a text"
                )
                continue
            criteria[int(key)] = text
        return MappingProxyType(criteria)

    def _esco(self, data: Any, path: str) -> EscoAlignment:
        node = self._object(data, path)
        return EscoAlignment(
            uri=self._text(node, "uri", f"{path}."),
            label=self._text(node, "label", f"{path}."),
            match=cast(EscoMatch, self._text(node, "match", f"{path}.")),
        )

    def _labels(self, node: Mapping[str, Any], where: str) -> Mapping[str, str]:
        raw = self._object(node.get("labels", {}), f"{where}labels")
        labels: dict[str, str] = {}
        for lang, text in raw.items():
            if isinstance(text, str):
                labels[lang] = text
            else:
                self.problems.append(f"{where}labels.{lang}: expected a string")
        return MappingProxyType(labels)

    def _object(self, value: Any, path: str) -> Mapping[str, Any]:
        if isinstance(value, dict):
            return value
        self.problems.append(f"{path}: expected an object")
        return {}

    def _array(self, node: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = node.get(key, [])
        if isinstance(value, list):
            return value
        self.problems.append(f"{where}{key}: expected an array")
        return []

    def _text(self, node: Mapping[str, Any], key: str, where: str) -> str:
        value = node.get(key)
        if isinstance(value, str):
            return value
        self.problems.append(f"{where}{key}: expected a string")
        return ""

    def _optional_text(self, node: Mapping[str, Any], key: str, where: str) -> str | None:
        return None if node.get(key) is None else self._text(node, key, where)

    def _strings(self, node: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        items = self._array(node, key, where)
        if all(isinstance(item, str) for item in items):
            return tuple(items)
        self.problems.append(f"{where}{key}: expected an array of strings")
        return ()
