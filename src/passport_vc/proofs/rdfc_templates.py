"""RDFC-1.0 canonical N-Quads of documents this service builds, from per-shape templates.

`jsonld.canonical.canonicalize` converts a document of a known shape cheaply, then hands the
N-Quads to pyoxigraph, which parses them again and runs RDFC-1.0: most of the cost of signing a
badge. The documents the service signs itself (skill badges, their proof configurations) come
in a handful of shapes, and their graphs are simple: every blank node is told apart from the
others by its own quads. For those RDFC-1.0 reduces to its first step (§4.4.3 step 5):
hash each blank node's quads (§4.6, "Hash First Degree Quads"), label the nodes c14n0, c14n1,
... in hash order, sort the lines.

So, once per shape (the document's keys, nesting, types, contexts and non-string scalars, as
in `jsonld.canonical`), the document is filled with sentinel values, canonicalized by the
general path, and the *canonical* N-Quads become a template: each sentinel a literal or IRI
slot, each blank node a label slot. A document of that shape is then written by filling the
slots, hashing its blank nodes and sorting.

The path never guesses; it answers None (the caller then runs `canonicalize`) when:
- the general path refuses or cannot template the shape (a sentinel anywhere but as a whole
  literal or a whole IRI, a sentinel as an rdf:type, null values, embedded contexts, ...);
- a value holds a character canonical N-Quads escapes (quotes, backslashes, controls,
  U+FFFE, U+FFFF), one str.splitlines() breaks lines at (U+0085, U+2028, U+2029), or a lone
  surrogate: the template text would not be what the general path writes;
- an IRI value is not an absolute IRI that expands to itself (compact IRIs, terms, relative
  references and blank node ids are folded into the shape instead, as `jsonld.canonical`
  does), or is not a valid IRI (pyoxigraph refuses it);
- two blank nodes have the same first-degree hash (RDFC-1.0 then needs its N-degree step);
- the document is near the input limits of `jsonld.canonical`.
`tests/credentials/test_own_signing.py` checks the output is byte-identical to the general
path's for many varied badges, proof configurations and crafted values.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import pyoxigraph as ox

from passport_vc.errors import PassportVcError
from passport_vc.jsonld.canonical import (
    _RDF_TYPE,
    _SHAPE_KEYS,
    _SLOT,
    IRI,
    LITERAL,
    MAX_DEPTH,
    MAX_NODES,
    MAX_STRING_CHARS,
    _is_plain_iri,
    canonicalize,
)
from passport_vc.jsonld.contexts import defined_terms

# The shape keys, the slot token, IRI/LITERAL and the plain-IRI test are jsonld.canonical's:
# a shape means the same thing in both.
# What canonical N-Quads (pyoxigraph's serializer) escapes inside a literal: such a value is
# not written verbatim, so the template cannot hold it. U+0085, U+2028 and U+2029 (line ends
# to str.splitlines) are left to the general path too, which is the reference here.
_NOT_VERBATIM = re.compile('[\x00-\x1f\x7f"\\\\\x85\u2028\u2029\ufffe\uffff]')
_BLANK = re.compile(r"_:c14n(\d+)\Z")
_SENTINEL_MARK = "urn:pvc-rdfc-slot:"
_MAX_SHAPES = 512


class _Unsure(Exception):
    """The document is not one this path can write with certainty."""


def _sentinel(i: int) -> str:
    return f"{_SENTINEL_MARK}x{i}x"


def _shape(document: Any) -> tuple[tuple[Any, ...], list[str]]:
    """The document's shape key and its slot values in document order; _Unsure otherwise.

    Strings inside objects and arrays are handled in the loop that meets them (most values
    are strings: a call each would be a third of the walk)."""
    key: list[Any] = []
    values: list[str] = []
    shape_strings: list[str] = []
    add = key.append
    add_value = values.append
    add_shape = shape_strings.append

    def visit(node: Any, depth: int, shape_value: bool) -> None:
        kind = type(node)
        if kind is str:
            if shape_value:
                add(node)
                add_shape(node)
            else:
                add(_SLOT)
                add_value(node)
        elif kind is dict:
            if depth >= MAX_DEPTH:
                raise _Unsure
            add("{")
            depth += 1
            for k, v in node.items():
                if type(k) is not str:
                    raise _Unsure
                add(k)
                if type(v) is str:
                    if shape_value or k in _SHAPE_KEYS:
                        add(v)
                        add_shape(v)
                    else:
                        add(_SLOT)
                        add_value(v)
                    continue
                if k == "@context" and not _plain_context(v):
                    raise _Unsure
                visit(v, depth, shape_value or k in _SHAPE_KEYS)
            add("}")
        elif kind is list:
            if depth >= MAX_DEPTH:
                raise _Unsure
            add("[")
            depth += 1
            for item in node:
                if type(item) is str:
                    if shape_value:
                        add(item)
                        add_shape(item)
                    else:
                        add(_SLOT)
                        add_value(item)
                else:
                    visit(item, depth, shape_value)
            add("]")
        elif kind is bool or kind is int or kind is float:
            add((kind, node))  # 1, 1.0 and True expand differently
        else:
            raise _Unsure  # None, subclasses, other objects: the general path decides

    visit(document, 0, False)
    # Conservative against the general path's limits: it decides near them.
    chars = sum(map(len, values)) + sum(map(len, shape_strings))
    if len(key) >= MAX_NODES or chars >= MAX_STRING_CHARS:
        raise _Unsure
    return tuple(key), values


def _plain_context(value: Any) -> bool:
    if type(value) is str:
        return True
    return type(value) is list and all(type(v) is str for v in value)


def _fill(node: Any, values: Sequence[str], counter: list[int], shape_value: bool) -> Any:
    """A copy of `node` whose slot strings are `values`, in document order."""
    if type(node) is str:
        if shape_value:
            return node
        i = counter[0]
        counter[0] += 1
        return values[i]
    if type(node) is dict:
        return {
            k: _fill(v, values, counter, shape_value or k in _SHAPE_KEYS) for k, v in node.items()
        }
    if type(node) is list:
        return [_fill(v, values, counter, shape_value) for v in node]
    return node


_Getter = Callable[[Sequence[str]], tuple[str, ...]]


def _getter(refs: Sequence[int]) -> _Getter:
    if len(refs) == 1:
        only = refs[0]
        return lambda values: (values[only],)
    get: _Getter = itemgetter(*refs)
    return get


@dataclass(frozen=True)
class _HashLine:
    """One quad of a blank node's first-degree hash: its text with _:a/_:z written in, the
    slots left as `{0}`, `{1}`, ... holes filled from `get(values)`."""

    fmt: str
    get: _Getter | None  # None: no slot, `fmt` is the line


@dataclass(frozen=True)
class _Template:
    """Canonical N-Quads with holes: `{i}` for slot i, `{n + k}` for blank node k."""

    fmt: str
    kinds: tuple[int, ...]  # per slot: LITERAL or IRI (a fixed slot counts as IRI)
    hash_lines: tuple[tuple[_HashLine, ...], ...]  # per blank node
    iris: tuple[int, ...]  # the IRI slots filled at render time (not the fixed ones)


class _Unusable:
    """A shape (or a shape with fixed values) this path leaves to the general one."""


_UNUSABLE = _Unusable()


class TemplateCanonicalizer:
    """RDFC-1.0 canonical N-Quads of documents of known shapes, or None (see the module)."""

    def __init__(self, max_shapes: int = _MAX_SHAPES) -> None:
        self._max_shapes = max_shapes
        self._templates: dict[Any, _Template | _Unusable] = {}
        self._lock = threading.Lock()
        self._terms: frozenset[str] | None = None
        self.stats = {"fast": 0, "general": 0, "templates": 0}

    def canonical(self, document: Mapping[str, Any]) -> str | None:
        """The canonical N-Quads of `document`, exactly as `canonicalize` writes them, or None
        when this path cannot be sure (then call `canonicalize`)."""
        nquads = self.canonical_utf8(document)
        return None if nquads is None else nquads.decode("utf-8")

    def canonical_utf8(self, document: Mapping[str, Any]) -> bytes | None:
        """`canonical(document)` encoded as UTF-8 (what a proof hashes), or None."""
        try:
            shape, values = _shape(document)
        except (_Unsure, RecursionError):
            return self._general()
        template = self._templates.get(shape)
        if template is None:
            template = self._learn(document, shape, values, {})
        if isinstance(template, _Unusable):
            return self._general()
        terms = self._terms
        assert terms is not None  # set by _learn
        fixed: dict[int, str] | None = None
        for i in template.iris:  # the shape's IRI slots (it has no fixed ones)
            if not _is_plain_iri(values[i], terms):
                fixed = fixed or {}
                fixed[i] = values[i]
        if fixed:
            fixed_key = (shape, tuple(fixed.items()))
            template = self._templates.get(fixed_key)
            if template is None:
                template = self._learn(document, fixed_key, values, fixed)
            if isinstance(template, _Unusable):
                return self._general()
        nquads = _render(template, values)
        if nquads is None:
            return self._general()
        self.stats["fast"] += 1
        return nquads

    def _general(self) -> bytes | None:
        """None: the caller is to run the general canonicalization."""
        self.stats["general"] += 1
        return None

    def _learn(
        self, document: Any, key: Any, values: Sequence[str], fixed: Mapping[int, str]
    ) -> _Template | _Unusable:
        if self._terms is None:
            self._terms = defined_terms()
        try:
            template: _Template | _Unusable = _build_template(document, key, len(values), fixed)
        except PassportVcError:
            template = _UNUSABLE  # the general path refuses the shape: it says why
        with self._lock:
            if len(self._templates) >= self._max_shapes:
                self._templates.clear()
            self._templates[key] = template
        if isinstance(template, _Template):
            self.stats["templates"] += 1
        return template


def _build_template(
    document: Any, key: Any, n_slots: int, fixed: Mapping[int, str]
) -> _Template | _Unusable:
    """Canonicalize the shape once with sentinels in its slots (the general path) and turn the
    canonical N-Quads into a template; _UNUSABLE when a slot is not a clean literal or IRI."""
    shape = key[0] if fixed else key
    if any(type(t) is str and _SENTINEL_MARK in t for t in shape) or any(
        _SENTINEL_MARK in v for v in fixed.values()
    ):
        return _UNUSABLE  # a sentinel-like string of the document's own would confuse the count
    sentinels = [fixed.get(i, _sentinel(i)) for i in range(n_slots)]
    text = canonicalize(_fill(document, sentinels, [0], False), fast=False)
    by_sentinel = {_sentinel(i): i for i in range(n_slots) if i not in fixed}
    kinds = [IRI] * n_slots  # a fixed slot's value is written into the template
    seen: dict[int, int] = {}
    blanks: dict[int, int] = {}  # template label number -> blank index (order of appearance)
    # Each line as tokens: ("c", text) constant, ("s", i, suffix) slot, ("b", k) blank node.
    lines: list[list[tuple[Any, ...]]] = []
    for line in text.splitlines():
        parts = line.split(" ")
        # Sentinels, numbers and booleans hold no spaces, so a line is S P O [G] "."
        if len(parts) not in (4, 5) or parts[-1] != ".":
            return _UNUSABLE
        tokens: list[tuple[Any, ...]] = []
        for position, part in enumerate(parts[:-1]):
            token = _token(part, by_sentinel, blanks)
            if token is None:
                return _UNUSABLE
            if token[0] == "s":
                i, suffix = token[1], token[2]
                kind = IRI if suffix is None else LITERAL
                if seen.setdefault(i, kind) != kind or position == 1:
                    return _UNUSABLE  # both an IRI and a literal, or a predicate
                if kind == IRI and position == 2 and parts[1] == _RDF_TYPE:
                    return _UNUSABLE  # a type chosen by value: types change expansion
                kinds[i] = kind
            tokens.append(token)
        lines.append(tokens)
    if set(seen) != set(by_sentinel.values()):
        return _UNUSABLE  # a value that is written nowhere: the general path must decide
    n_blank = len(blanks)
    fmt = "".join(_line_format(tokens, n_slots, None) for tokens in lines)
    hash_lines = tuple(
        tuple(
            _hash_line(tokens, k)
            for tokens in lines
            if any(t[0] == "b" and t[1] == k for t in tokens)
        )
        for k in range(n_blank)
    )
    template = _Template(
        fmt,
        tuple(kinds),
        hash_lines,
        tuple(i for i, kind in enumerate(kinds) if kind == IRI and i not in fixed),
    )
    # The template must give back exactly what it was made from.
    labels = [""] * n_blank
    for number, k in blanks.items():
        labels[k] = f"_:c14n{number}"
    if fmt.format(*sentinels, *labels) != text:
        return _UNUSABLE
    return template


def _token(
    part: str, by_sentinel: Mapping[str, int], blanks: dict[int, int]
) -> tuple[Any, ...] | None:
    match = _BLANK.match(part)
    if match is not None:
        number = int(match.group(1))
        return ("b", blanks.setdefault(number, len(blanks)))
    if part.startswith("<") and part.endswith(">") and part[1:-1] in by_sentinel:
        return ("s", by_sentinel[part[1:-1]], None)
    if part.startswith('"'):
        end = part.find('"', 1)
        if end > 0 and part[1:end] in by_sentinel:
            return ("s", by_sentinel[part[1:end]], part[end + 1 :])
    if _SENTINEL_MARK in part:
        return None  # inside a longer literal or IRI
    return ("c", part)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _line_format(tokens: Sequence[tuple[Any, ...]], n_slots: int, reference: int | None) -> str:
    """The line as a format string: slot i as `{i}`; blank node k as `{n_slots + k}`, or, for
    a first-degree hash of blank node `reference`, as `_:a` (it) or `_:z` (any other)."""
    out = []
    for token in tokens:
        if token[0] == "c":
            out.append(_escape(token[1]))
        elif token[0] == "s":
            i, suffix = token[1], token[2]
            out.append(f"<{{{i}}}>" if suffix is None else f'"{{{i}}}"{_escape(suffix)}')
        elif reference is None:
            out.append(f"{{{n_slots + token[1]}}}")
        else:
            out.append("_:a" if token[1] == reference else "_:z")
    return " ".join(out) + " .\n"


def _hash_line(tokens: Sequence[tuple[Any, ...]], reference: int) -> _HashLine:
    """The line for blank node `reference`'s hash, its slots renumbered 0, 1, ... so that it
    formats from its own few values."""
    refs: list[int] = []
    local: list[tuple[Any, ...]] = []
    for token in tokens:
        if token[0] == "s":
            local.append(("s", len(refs), token[2]))
            refs.append(token[1])
        else:
            local.append(token)
    fmt = _line_format(local, 0, reference)
    if not refs:
        return _HashLine(fmt.format(), None)
    return _HashLine(fmt, _getter(refs))


def _render(template: _Template, values: list[str]) -> bytes | None:
    """Fill `template` (UTF-8); None when a value cannot be written verbatim or RDFC-1.0 needs
    more than first-degree hashes."""
    if _NOT_VERBATIM.search("".join(values)) is not None:
        return None
    for i in template.iris:
        try:
            ox.NamedNode(values[i])
        except ValueError:
            return None  # pyoxigraph refuses it: the general path says so
    try:
        hashes = [
            hashlib.sha256(
                "".join(
                    sorted(
                        {
                            line.fmt if line.get is None else line.fmt.format(*line.get(values))
                            for line in lines
                        }
                    )
                ).encode("utf-8")
            ).hexdigest()
            for lines in template.hash_lines
        ]
        if len(set(hashes)) != len(hashes):
            return None  # blank nodes alike at first degree: RDFC-1.0's N-degree step
        labels = [""] * len(hashes)
        for n, k in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
            labels[k] = f"_:c14n{n}"
        text = template.fmt.format(*values, *labels)
        return "".join(sorted(set(text.splitlines(keepends=True)))).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: the general path refuses it
