"""N-Quads writing with RDFC-1.0 escaping, and RDFC-1.0 canonicalization through pyoxigraph.

pyld writes control characters raw (pre-RDFC escaping), so a credential with such a string would
get a signature other verifiers reject. We write N-Quads ourselves and let pyoxigraph (Rust)
canonicalize: it names blank nodes per RDFC-1.0 and escapes literals as the spec requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from passport_vc.errors import InputLimitError, MalformedValueError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Characters that N-Quads input must escape inside a literal. Others pass through as UTF-8.
_LITERAL_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f]')

# Canonicalizing a "poison" graph costs time exponential in its blank nodes (RDFC-1.0 §4.4).
# A skill badge has ~15, a presentation of 30 badges ~500: cap well above real documents.
MAX_BLANK_NODES = 2000


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _LITERAL_ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def escape_literal(value: str) -> str:
    """The N-Quads string body for `value` (without the surrounding quotes)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def check_text(value: str, where: str) -> None:
    """Refuse strings that cannot be written as UTF-8 (lone surrogates from JSON escapes)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedValueError(
                f"{where}: string contains a lone surrogate and is not valid Unicode text"
            ) from None


def _term(term: Mapping[str, Any]) -> str:
    kind = term["type"]
    value = term["value"]
    if kind == "IRI":
        return f"<{value}>"
    if kind == "blank node":
        return str(value)
    out = f'"{escape_literal(value)}"'
    lang = term.get("language")
    if lang:
        return f"{out}@{lang}"
    datatype = term.get("datatype")
    if datatype and datatype not in (XSD_STRING, RDF_LANGSTRING):
        return f"{out}^^<{datatype}>"
    return out


def pyld_dataset_to_nquads(dataset: Mapping[str, Iterable[Mapping[str, Any]]]) -> str:
    """N-Quads for a pyld RDF dataset (as returned by `to_rdf` without a format)."""
    lines = []
    for graph_name, triples in dataset.items():
        graph = ""
        if graph_name != "@default":
            graph = " " + (graph_name if graph_name.startswith("_:") else f"<{graph_name}>")
        for t in triples:
            lines.append(
                f"{_term(t['subject'])} {_term(t['predicate'])} {_term(t['object'])}{graph} .\n"
            )
    return "".join(lines)


def canonicalize_nquads(nquads: str) -> str:
    """RDFC-1.0 canonical N-Quads (sorted lines, canonical blank node labels) of `nquads`."""
    if nquads.count("_:") > 4 * MAX_BLANK_NODES:
        blank = len(set(re.findall(r"_:[A-Za-z0-9_.-]+", nquads)))
        if blank > MAX_BLANK_NODES:
            raise InputLimitError(
                f"document has {blank} blank nodes; the limit is {MAX_BLANK_NODES}"
            )
    try:
        dataset = ox.Dataset(ox.parse(input=nquads, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise MalformedValueError(f"document does not convert to valid RDF: {exc}") from None
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    out = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    assert out is not None
    # Lines end at "\n" only: U+2028, U+2029 and U+0085 stay raw inside literals, and
    # str.splitlines would break a line at them before sorting.
    lines = [line + "\n" for line in out.decode("utf-8").split("\n") if line]
    lines.sort()
    return "".join(lines)
