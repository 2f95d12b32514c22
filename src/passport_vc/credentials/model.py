"""VC Data Model 2.0 conformance checks (§4) and the context policy (DI §4.6, VCDM §4.3).

Each check returns problems instead of raising, so a verifier can report all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from passport_vc import errors
from passport_vc.errors import PassportVcError
from passport_vc.jsonld.contexts import (
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    UNDEFINED_TERMS_V2,
    is_known_context,
)
from passport_vc.timestamps import parse_datetime_stamp

Problem = dict[str, str]
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def problem(problem_type: str, detail: str, title: str = "Malformed value") -> Problem:
    return {"type": problem_type, "title": title, "detail": detail}


def is_url(value: Any) -> bool:
    """An absolute URL/IRI (a scheme, then no whitespace), as VCDM requires for identifiers."""
    return isinstance(value, str) and _URL.match(value) is not None


def issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def types_of(document: Mapping[str, Any]) -> list[Any]:
    return as_list(document.get("type"))


def check_contexts(document: Mapping[str, Any], *, allow_embedded: bool = False) -> list[Problem]:
    """The @context policy: an ordered list of pinned URLs, VC base context first."""
    contexts = document.get("@context")
    if isinstance(contexts, str):
        contexts = [contexts]
    if not isinstance(contexts, list) or not contexts:
        return [
            problem(
                errors.PARSING_ERROR, "@context is required and must be a list", "Parsing error"
            )
        ]
    out: list[Problem] = []
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        out.append(
            problem(
                errors.CONTEXT_VALIDATION_ERROR,
                f"the first @context must be {CREDENTIALS_V2}, not {contexts[0]!r}",
                "Context validation error",
            )
        )
    for i, ctx in enumerate(contexts):
        if isinstance(ctx, str):
            if not is_known_context(ctx):
                out.append(
                    problem(
                        errors.CONTEXT_VALIDATION_ERROR,
                        f"@context[{i}] {ctx!r} is not a known context (never fetched)",
                        "Context validation error",
                    )
                )
        elif not allow_embedded:
            out.append(
                problem(
                    errors.CONTEXT_VALIDATION_ERROR,
                    f"@context[{i}] is an embedded context; only known context URLs are accepted",
                    "Context validation error",
                )
            )
    if UNDEFINED_TERMS_V2 in contexts and contexts[-1] != UNDEFINED_TERMS_V2:
        out.append(
            problem(
                errors.CONTEXT_VALIDATION_ERROR,
                f"{UNDEFINED_TERMS_V2} must be the last @context",
                "Context validation error",
            )
        )
    if not allow_embedded and _has_nested_context(document):
        for path in _nested_contexts(document, "$", root=True):
            out.append(
                problem(
                    errors.CONTEXT_VALIDATION_ERROR,
                    f"{path}: embedded @context is not accepted",
                    "Context validation error",
                )
            )
    return out


def _has_nested_context(document: Mapping[str, Any]) -> bool:
    """Whether `_nested_contexts` would find anything (a walk without building paths)."""
    stack: list[Any] = [
        value
        for key, value in document.items()
        if key not in ("@context", "verifiableCredential", "proof")
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if "@context" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _nested_contexts(node: Any, path: str, root: bool = False) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "@context" and not root:
                yield f"{path}.@context"
            elif key in ("verifiableCredential", "proof") and root:
                continue  # embedded credentials are checked on their own; proofs by the suite
            else:
                yield from _nested_contexts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _nested_contexts(item, f"{path}[{i}]")


def _check_text_or_language(value: Any, name: str, out: list[Problem]) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            continue
        if isinstance(item, Mapping) and isinstance(item.get("@value"), str):
            continue
        out.append(
            problem(
                errors.MALFORMED_VALUE_ERROR, f"{name} must be a string or a language value object"
            )
        )


def check_credential(document: Mapping[str, Any]) -> list[Problem]:
    """VCDM 2.0 (or 1.1, by its base context) required properties and value forms."""
    out: list[Problem] = []

    def bad(detail: str) -> None:
        out.append(problem(errors.MALFORMED_VALUE_ERROR, detail))

    v1 = as_list(document.get("@context"))[:1] == [CREDENTIALS_V1]
    types = types_of(document)
    if "VerifiableCredential" not in types:
        bad("type must include VerifiableCredential")
    if not all(isinstance(t, str) for t in types):
        bad("type must be a string or a list of strings")
    if "id" in document and not is_url(document["id"]):
        bad(f"id must be a URL, not {document['id']!r}")
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            bad("issuer.id must be a URL")
    elif not is_url(issuer):
        bad("issuer is required: a URL or an object with an id URL")
    subjects = as_list(document.get("credentialSubject"))
    if not subjects:
        bad("credentialSubject is required")
    for i, subject in enumerate(subjects):
        if not isinstance(subject, Mapping):
            bad(f"credentialSubject[{i}] must be an object")
        elif "id" in subject and not is_url(subject["id"]):
            bad(f"credentialSubject[{i}].id must be a URL")
    for name in ("name", "description"):
        if name in document:
            _check_text_or_language(document[name], name, out)
    window = ("issuanceDate", "expirationDate") if v1 else ("validFrom", "validUntil")
    if v1 and "issuanceDate" not in document:
        bad("issuanceDate is required in a VC 1.1 credential")
    moments = {}
    for name in window:
        if name in document:
            try:
                moments[name] = parse_datetime_stamp(document[name], name)
            except PassportVcError as exc:
                bad(exc.detail)
    start, end = (moments.get(n) for n in window)
    if start and end and start > end:
        bad(f"{window[0]} is after {window[1]}")
    for i, status in enumerate(as_list(document.get("credentialStatus"))):
        if not isinstance(status, Mapping) or not isinstance(status.get("type"), str | list):
            bad(f"credentialStatus[{i}] must be an object with a type")
        elif "id" in status and not is_url(status["id"]):
            bad(f"credentialStatus[{i}].id must be a URL")
    for i, schema in enumerate(as_list(document.get("credentialSchema"))):
        if not isinstance(schema, Mapping) or not is_url(schema.get("id")) or "type" not in schema:
            bad(f"credentialSchema[{i}] must be an object with an id URL and a type")
    # imported here: related_resource imports Problem and problem() from this module
    from passport_vc.credentials.related_resource import check_related_resources

    out.extend(check_related_resources(document))
    return out


def check_presentation(document: Mapping[str, Any]) -> list[Problem]:
    """VCDM 2.0 §4.13: type VerifiablePresentation, holder a URL, credentials as objects."""
    out: list[Problem] = []
    if "VerifiablePresentation" not in types_of(document):
        out.append(
            problem(errors.MALFORMED_VALUE_ERROR, "type must include VerifiablePresentation")
        )
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if "holder" in document and not is_url(holder):
        out.append(problem(errors.MALFORMED_VALUE_ERROR, "holder must be a URL"))
    for i, vc in enumerate(as_list(document.get("verifiableCredential"))):
        if not isinstance(vc, Mapping):
            out.append(
                problem(
                    errors.MALFORMED_VALUE_ERROR, f"verifiableCredential[{i}] must be an object"
                )
            )
    return out
