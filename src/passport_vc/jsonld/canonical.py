"""RDFC-1.0 canonical N-Quads of JSON-LD documents, fast.

Converting JSON-LD to RDF (context processing, expansion) is most of the cost of signing, and
credentials from one issuer come in few shapes. So the conversion is done once per *shape*
(the document's keys, nesting, types, contexts and non-string scalars) on a template whose
strings are replaced by sentinel IRIs; the N-Quads it yields become a template in which each
sentinel is a literal slot or an IRI slot. A document of a known shape is then written by
filling the slots, and canonicalized by pyoxigraph (RDFC-1.0 in Rust).

The fast path never guesses: a sentinel that shows up anywhere but as a whole literal or a whole
IRI (JSON literals, rdf:type objects, vocabulary-relative terms) marks the shape slow, and an
IRI slot whose value is not a plain absolute IRI (a compact IRI, a term, a blank node, a
relative reference) is folded into the shape instead. `canonicalize(doc, fast=False)` is the
straightforward path the differential tests compare against.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from passport_vc.errors import ContextError, DataLossError, InputLimitError
from passport_vc.jsonld.contexts import defined_terms
from passport_vc.jsonld.nquads import canonicalize_nquads, check_text, escape_literal
from passport_vc.jsonld.safe_rdf import to_nquads

# Input limits, checked before any JSON-LD processing (RDFC-1.0 and DI ask for a work bound).
MAX_DEPTH = 32
MAX_NODES = 20_000  # objects, arrays and scalars together
MAX_STRING_CHARS = 1_000_000  # all strings together

# Values of these keys change how the rest is expanded (type-scoped contexts, languages):
# they are part of the shape, never slots.
_SHAPE_KEYS = frozenset(
    {"@context", "type", "@type", "@language", "@direction", "@index", "@vocab", "@base"}
)
_SAFE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|\\^`\x7f]*\Z")
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

LITERAL = 0
IRI = 1


class _Slot:
    """The shape token standing for a string value filled at render time."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<slot>"


_SLOT = _Slot()


_SENTINEL_MARK = "urn:pvc-slot:"


def _sentinel(i: int) -> str:
    return f"{_SENTINEL_MARK}x{i}x"


@dataclass(frozen=True)
class _Template:
    """N-Quads with `{i}` holes, and for each slot whether it is written as literal or IRI."""

    fmt: str
    kinds: tuple[int, ...]


@dataclass(frozen=True)
class _Plan:
    """What is known of a shape: its slots' kinds, or that it must take the slow path."""

    kinds: tuple[int, ...] | None  # None: slow shape


class _Walk:
    """One pass over a document: its shape key, its slot values, and the input limits."""

    __slots__ = ("chars", "key", "nodes", "slow", "values")

    def __init__(self) -> None:
        self.key: list[Any] = []
        self.values: list[str] = []
        self.nodes = 0
        self.chars = 0
        self.slow = False

    def visit(self, node: Any, depth: int, shape_value: bool, where: Any) -> None:
        """Walk `node`; `where` is a lazily formatted path: (parent, key) pairs, or "$"."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputLimitError(f"document has more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise InputLimitError(f"{_path(where)}: nesting deeper than {MAX_DEPTH} levels")
        key = self.key
        if type(node) is str:
            self.chars += len(node)
            if self.chars > MAX_STRING_CHARS:
                raise InputLimitError(f"document strings exceed {MAX_STRING_CHARS} characters")
            if not node.isascii():
                check_text(node, _path(where))
            if shape_value:
                key.append(node)
            else:
                key.append(_SLOT)
                self.values.append(node)
        elif type(node) is dict:
            key.append("{")
            for k, v in node.items():
                if type(k) is not str:
                    raise DataLossError(f"{_path(where)}: object keys must be strings")
                if not k.isascii():
                    check_text(k, _path(where))
                key.append(k)
                if k == "@context" and not _plain_context(v):
                    self.slow = True  # embedded contexts: policy is checked by the caller
                self.visit(v, depth + 1, shape_value or k in _SHAPE_KEYS, (where, k))
            key.append("}")
        elif type(node) is list:
            key.append("[")
            for i, item in enumerate(node):
                self.visit(item, depth + 1, shape_value, (where, i))
            key.append("]")
        elif node is None:
            raise DataLossError(
                f"{_path(where)}: null values are dropped by JSON-LD and cannot be signed"
            )
        elif isinstance(node, bool | int | float):
            # The exact type matters (1 vs 1.0 vs True): keep it in the shape.
            key.append((type(node).__name__, node))
        elif isinstance(node, str | dict | list):
            # Subclasses (e.g. ordered or frozen dicts): walk them as their base type.
            plain: Any = (
                str(node)
                if isinstance(node, str)
                else (dict(node) if isinstance(node, dict) else list(node))
            )
            self.nodes -= 1
            self.visit(plain, depth, shape_value, where)
        else:
            raise DataLossError(f"{_path(where)}: {type(node).__name__} is not a JSON value")


def _path(where: Any) -> str:
    parts: list[str] = []
    while isinstance(where, tuple):
        where, key = where
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "$" + "".join(reversed(parts))


def _plain_context(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _fill(node: Any, values: list[str], counter: list[int], shape_value: bool) -> Any:
    """A copy of `node` with each slot string replaced by `values[i]` (a sentinel or itself)."""
    if isinstance(node, str):
        if shape_value:
            return node
        i = counter[0]
        counter[0] += 1
        return values[i]
    if isinstance(node, dict):
        return {
            k: _fill(v, values, counter, shape_value or k in _SHAPE_KEYS) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_fill(v, values, counter, shape_value) for v in node]
    return node


def _is_plain_iri(value: str, terms: frozenset[str]) -> bool:
    """True when JSON-LD expands `value` in an IRI position to itself, whatever the context."""
    if _SAFE_IRI.match(value) is None or value in terms:
        return False
    prefix, _, suffix = value.partition(":")
    return suffix.startswith("//") or prefix not in terms


class _LruCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        value = self.data.get(key)
        if value is not None:
            with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
                self.data.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class Canonicalizer:
    """RDFC-1.0 canonicalization of JSON-LD with a per-shape template cache."""

    def __init__(self, cache_size: int = 2048) -> None:
        self._plans = _LruCache(cache_size)
        self._templates = _LruCache(cache_size)
        self.stats = {"fast": 0, "slow": 0, "templates": 0}

    def canonicalize(self, document: Any, *, fast: bool = True) -> str:
        """Canonical N-Quads of `document`; raises a PassportVcError on data loss or bad input."""
        return self._run(document, fast=fast, render=True)

    def check_lossless(self, document: Any) -> None:
        """Raise as `canonicalize` would, without writing the N-Quads when the shape is known.

        For suites that sign JSON (eddsa-jcs-2022) but must still refuse undefined terms.
        """
        self._run(document, fast=True, render=False)

    def _run(self, document: Any, *, fast: bool, render: bool) -> str:
        walk = _Walk()
        walk.visit(document, 0, False, "$")
        if not fast or walk.slow:
            return self._slow(document)
        shape = tuple(walk.key)
        plan: _Plan | None = self._plans.get(shape)
        if plan is None:
            plan = self._learn_plan(document, len(walk.values), shape)
        if plan.kinds is None:
            return self._slow(document)
        terms = defined_terms()
        values = walk.values
        fixed = tuple(
            (i, v)
            for i, (kind, v) in enumerate(zip(plan.kinds, values, strict=True))
            if kind == IRI and not _is_plain_iri(v, terms)
        )
        template_key = (shape, fixed) if fixed else shape
        template: _Template | None = self._templates.get(template_key)
        if template is None:
            template = self._build_template(document, len(values), dict(fixed), shape)
            if template is None:
                return self._slow(document)
            self._templates.put(template_key, template)
        self.stats["fast"] += 1
        if not render:
            return ""
        rendered = [
            v if kind == IRI else escape_literal(v)
            for kind, v in zip(template.kinds, values, strict=True)
        ]
        return canonicalize_nquads(template.fmt.format(*rendered))

    def _slow(self, document: Any) -> str:
        self.stats["slow"] += 1
        return canonicalize_nquads(to_nquads(document))

    def _learn_plan(self, document: Any, n_slots: int, shape: tuple[Any, ...]) -> _Plan:
        template = self._build_template(document, n_slots, {}, shape)
        if template is not None:
            self._templates.put(shape, template)
        plan = _Plan(None if template is None else template.kinds)
        self._plans.put(shape, plan)
        return plan

    def _build_template(
        self, document: Any, n_slots: int, fixed: dict[int, str], shape: tuple[Any, ...]
    ) -> _Template | None:
        """Convert the shape once with sentinels in its slots; None if a slot is not clean.

        Slots in `fixed` keep their own value, which the conversion writes into the template
        (expanded as JSON-LD says); the others become `{i}` holes, as literal or as IRI.
        """
        if any(_SENTINEL_MARK in v for v in fixed.values()) or any(
            isinstance(t, str) and _SENTINEL_MARK in t for t in shape
        ):
            return None  # a sentinel-like string of the document's own would confuse the count
        values = [fixed.get(i, _sentinel(i)) for i in range(n_slots)]
        nquads = to_nquads(_fill(document, values, [0], False))
        nquads = nquads.replace("{", "{{").replace("}", "}}")
        kinds = [IRI] * n_slots  # fixed slots: the value is already in the text, never rendered
        for i in range(n_slots):
            if i in fixed:
                continue
            s = _sentinel(i)
            total = nquads.count(s)
            as_literal = nquads.count(f'"{s}"')
            as_iri = nquads.count(f"<{s}>")
            if total == 0 or (as_literal and as_iri) or as_literal + as_iri != total:
                return None
            if as_iri:
                if f"{_RDF_TYPE} <{s}>" in nquads:
                    return None  # a type chosen by value: types change expansion
                nquads = nquads.replace(f"<{s}>", f"<{{{i}}}>")
            else:
                kinds[i] = LITERAL
                nquads = nquads.replace(f'"{s}"', f'"{{{i}}}"')
        self.stats["templates"] += 1
        return _Template(nquads, tuple(kinds))


_default = Canonicalizer()


def canonicalize(document: Any, *, fast: bool = True) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (see `Canonicalizer`)."""
    return _default.canonicalize(document, fast=fast)


def check_lossless(document: Any) -> None:
    """Raise a PassportVcError if JSON-LD processing of `document` would lose anything."""
    _default.check_lossless(document)


def canonicalizer_stats() -> dict[str, int]:
    return dict(_default.stats)


__all__ = [
    "Canonicalizer",
    "ContextError",
    "DataLossError",
    "canonicalize",
    "canonicalizer_stats",
    "check_lossless",
]
