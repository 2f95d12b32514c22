"""The straightforward path: JSON-LD to RDF with pyld, refusing every form of silent data loss.

Used for shapes the fast path has not seen, and as the oracle of the differential tests.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pyld import jsonld

from passport_vc.errors import ContextError, DataLossError, MalformedValueError
from passport_vc.jsonld.contexts import load_document
from passport_vc.jsonld.nquads import pyld_dataset_to_nquads

_OPTIONS: dict[str, Any] = {
    "documentLoader": load_document,
    # pyld resolves relative IRIs against a made-up base and signs the result; jsonld.js drops
    # them. With no base they stay relative, and `_check_iris` refuses them.
    "base": None,
    "processingMode": "json-ld-1.1",
}


def _raise_dropped(expanded_property: Any) -> NoReturn:
    raise DataLossError(
        f"property {expanded_property!r} is not defined by any context and would be dropped"
    )


def _is_absolute(iri: str) -> bool:
    scheme, sep, _ = iri.partition(":")
    return bool(sep) and scheme.isascii() and scheme[:1].isalpha()


def _check_iri(value: Any, what: str) -> None:
    if isinstance(value, str) and not (value.startswith("_:") or _is_absolute(value)):
        raise DataLossError(f"{what} {value!r} is a relative IRI; it would not be signed")


def _check_iris(node: Any) -> None:
    """Refuse relative IRIs anywhere in expanded JSON-LD (pyld would skip them silently)."""
    if isinstance(node, list):
        for item in node:
            _check_iris(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if datatype is not None and datatype != "@json":
            _check_iri(datatype, "datatype")
        return
    if "@id" in node:
        _check_iri(node["@id"], "identifier")
    for t in node.get("@type", ()):
        _check_iri(t, "type")
    for key, value in node.items():
        if not key.startswith("@"):
            _check_iri(key, "property")
            _check_iris(value)
        elif key in ("@graph", "@list", "@set", "@included"):
            _check_iris(value)
        elif key == "@reverse":
            for rkey, rvalue in value.items():
                _check_iri(rkey, "reverse property")
                _check_iris(rvalue)


def to_nquads(document: Any) -> str:
    """Non-canonical N-Quads of `document`, raising on any term or IRI that would be lost."""
    processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
    try:
        expanded = processor.expand(document, dict(_OPTIONS))
        _check_iris(expanded)
        dataset = processor.to_rdf(expanded, dict(_OPTIONS))
    except jsonld.JsonLdError as exc:
        raise _translate(exc) from None
    return pyld_dataset_to_nquads(dataset)


def _translate(exc: jsonld.JsonLdError) -> Exception:
    """Turn pyld's nested errors into ours, keeping the innermost cause's message."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContextError | DataLossError | MalformedValueError):
            return cause
        inner = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    code = getattr(cause, "code", None) or getattr(exc, "code", None) or exc.type
    args = getattr(cause, "args", None) or exc.args
    message = str(args[0]) if args else type(cause).__name__
    if "context" in str(code) or "context" in message.lower():
        return ContextError(f"JSON-LD context error ({code}): {message}")
    return MalformedValueError(f"invalid JSON-LD ({code}): {message}")
