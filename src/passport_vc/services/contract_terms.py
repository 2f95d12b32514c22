"""A contract's terms, checked field by field: item, quantities, parties and roles, required
qualifications per role, milestones. Every refusal is an InvalidFieldError naming the field
(a JSON path such as `parties[1].did` or `requirements.manufacturer[0].minLevel`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from passport_vc.dids.syntax import parse_did
from passport_vc.errors import PassportVcError
from passport_vc.services.errors import InvalidFieldError
from passport_vc.store import Facility
from passport_vc.taxonomy import Taxonomy

ROLES = ("initiator", "buyer", "manufacturer", "quality-inspector", "designer", "logistics")
MILESTONE_KINDS = ("prototype", "qa-approval", "batch-delivery", "payment")
MILESTONE_STATUSES = ("pending", "done", "late")
CONTRACT_STATUSES = ("draft", "active", "completed", "cancelled")
CAPABILITIES = ("equipmentType", "process")
MAX_PARTIES = 100
MAX_REQUIREMENTS = 50
MAX_MILESTONES = 200
MAX_QUANTITY = 10**9
_WIKIPEDIA = re.compile(r"https://[a-z][a-z-]{1,11}\.(?:m\.)?wikipedia\.org/wiki/[^\s?#]{1,400}\Z")
_HTTP_URL = re.compile(r"https?://[^\s]{1,1990}\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@dataclass(frozen=True)
class Party:
    did: str
    role: str
    allocated_quantity: int | None
    facility: str | None


def _fail(field: str, reason: str) -> InvalidFieldError:
    return InvalidFieldError(f"{field}: {reason}", field=field)


def _object(value: Any, field: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, "must be an object")
    for key in value:
        if key not in allowed:
            where = f"{field}.{key}" if field != "(body)" else str(key)
            raise _fail(where, f"unknown field (expected {', '.join(allowed)})")
    return value


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "must be a non-empty string")
    if len(value) > limit:
        raise _fail(field, f"must be at most {limit} characters")
    return value.strip()


def _integer(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "must be an integer")
    if not low <= value <= high:
        raise _fail(field, f"must be from {low} to {high}, not {value}")
    return value


def _list(value: Any, field: str, limit: int, *, required: bool = True) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise _fail(field, "must be a list")
    if required and not value:
        raise _fail(field, "must not be empty")
    if len(value) > limit:
        raise _fail(field, f"must have at most {limit} items")
    return value


def _did(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise _fail(field, "must be a DID")
    try:
        parse_did(value)
    except PassportVcError as exc:
        raise _fail(field, f"not a valid DID: {exc.detail}") from None
    return value


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(field, f"must be one of {', '.join(choices)}, not {value!r}"[:300])
    assert isinstance(value, str)
    return value


def _item(value: Any) -> dict[str, Any]:
    item = _object(value, "item", ("name", "details", "okhManifest"))
    out: dict[str, Any] = {"name": _text(item.get("name"), "item.name", 300)}
    details = _text(item.get("details"), "item.details", 5000, required=False)
    if details is not None:
        out["details"] = details
    manifest = item.get("okhManifest")
    if manifest is not None:
        if not isinstance(manifest, str) or not _HTTP_URL.match(manifest):
            raise _fail("item.okhManifest", "must be an http(s) URL")
        out["okhManifest"] = manifest
    return out


def _parties(session: Session, value: Any, total: int) -> list[Party]:
    parties: list[Party] = []
    seen: set[str] = set()
    allocated = 0
    for i, raw in enumerate(_list(value, "parties", MAX_PARTIES)):
        where = f"parties[{i}]"
        entry = _object(raw, where, ("did", "role", "allocatedQuantity", "facility"))
        did = _did(entry.get("did"), f"{where}.did")
        if did in seen:
            raise _fail(f"{where}.did", f"{did} is already a party (each DID once)")
        seen.add(did)
        role = _choice(entry.get("role"), f"{where}.role", ROLES)
        quantity = None
        if entry.get("allocatedQuantity") is not None:
            field = f"{where}.allocatedQuantity"
            quantity = _integer(entry["allocatedQuantity"], field, 0, MAX_QUANTITY)
            allocated += quantity
            if allocated > total:
                raise _fail(
                    field,
                    f"allocated quantities add up to {allocated}, above totalQuantity {total}",
                )
        facility = _text(entry.get("facility"), f"{where}.facility", 36, required=False)
        if facility is not None and session.get(Facility, facility) is None:
            raise _fail(f"{where}.facility", f"no facility {facility!r}")
        parties.append(Party(did, role, quantity, facility))
    return parties


def _requirement(taxonomy: Taxonomy, raw: Any, where: str) -> dict[str, Any]:
    entry = _object(raw, where, ("skill", "minLevel", "facilityCapability"))
    if "facilityCapability" in entry:
        if "skill" in entry or "minLevel" in entry:
            raise _fail(where, "give either skill and minLevel or facilityCapability, not both")
        capability = _object(
            entry["facilityCapability"], f"{where}.facilityCapability", CAPABILITIES
        )
        if len(capability) != 1:
            raise _fail(f"{where}.facilityCapability", "give one of equipmentType or process")
        [(kind, url)] = capability.items()
        if not isinstance(url, str) or not _WIKIPEDIA.match(url):
            raise _fail(f"{where}.facilityCapability.{kind}", "must be a Wikipedia URL (OKW)")
        return {"facilityCapability": {kind: url}}
    skill_ref = entry.get("skill")
    if not isinstance(skill_ref, str):
        raise _fail(f"{where}.skill", "is required: a skill URI or code (see GET /skills)")
    skill = taxonomy.find(skill_ref)
    if skill is None:
        raise _fail(f"{where}.skill", f"unknown skill {skill_ref[:100]!r} (see GET /skills)")
    low, high = taxonomy.levels[0].number, taxonomy.levels[-1].number
    if "minLevel" not in entry:
        raise _fail(f"{where}.minLevel", f"is required: a level from {low} to {high}")
    return {
        "skill": skill.uri,
        "minLevel": _integer(entry["minLevel"], f"{where}.minLevel", low, high),
    }


def _requirements(taxonomy: Taxonomy, value: Any) -> dict[str, list[dict[str, Any]]]:
    if value is None:
        return {}
    table = _object(value, "requirements", ROLES)
    out: dict[str, list[dict[str, Any]]] = {}
    for role, items in table.items():
        entries: list[dict[str, Any]] = []
        for i, raw in enumerate(_list(items, f"requirements.{role}", MAX_REQUIREMENTS)):
            where = f"requirements.{role}[{i}]"
            entry = _requirement(taxonomy, raw, where)
            if any(_same(entry, other) for other in entries):
                raise _fail(where, "repeats an earlier requirement of this role")
            entries.append(entry)
        out[role] = entries
    return out


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if "skill" in a and "skill" in b:
        return bool(a["skill"] == b["skill"])
    return a == b


def _milestones(value: Any, parties: list[Party]) -> list[dict[str, Any]]:
    dids = {p.did for p in parties}
    out: list[dict[str, Any]] = []
    allowed = ("kind", "party", "due", "status", "evidence")
    for i, raw in enumerate(_list(value, "milestones", MAX_MILESTONES, required=False)):
        where = f"milestones[{i}]"
        entry = _object(raw, where, allowed)
        kind = _choice(entry.get("kind"), f"{where}.kind", MILESTONE_KINDS)
        party = _did(entry.get("party"), f"{where}.party")
        if party not in dids:
            raise _fail(f"{where}.party", f"{party} is not a party of this contract")
        due = entry.get("due")
        if not isinstance(due, str) or not _DATE.match(due):
            raise _fail(f"{where}.due", "must be a date (YYYY-MM-DD)")
        try:
            date.fromisoformat(due)
        except ValueError:
            raise _fail(f"{where}.due", f"{due} is not a calendar date") from None
        status = _choice(entry.get("status", "pending"), f"{where}.status", MILESTONE_STATUSES)
        milestone = {"kind": kind, "party": party, "due": due, "status": status}
        evidence = _text(entry.get("evidence"), f"{where}.evidence", 2000, required=False)
        if evidence is not None:
            milestone["evidence"] = evidence
        out.append(milestone)
    return out


def parse_contract(session: Session, taxonomy: Taxonomy, body: Any) -> dict[str, Any]:
    """The contract record as stored: every field checked, skills as URIs, defaults filled."""
    fields = ("item", "totalQuantity", "parties", "requirements", "milestones", "status")
    contract = _object(body, "(body)", fields)
    item = _item(contract.get("item"))
    total = _integer(contract.get("totalQuantity"), "totalQuantity", 1, MAX_QUANTITY)
    parties = _parties(session, contract.get("parties"), total)
    requirements = _requirements(taxonomy, contract.get("requirements"))
    milestones = _milestones(contract.get("milestones"), parties)
    status = _choice(contract.get("status", "active"), "status", CONTRACT_STATUSES)
    return {
        "item": item,
        "totalQuantity": total,
        "parties": [party_json(p) for p in parties],
        "requirements": requirements,
        "milestones": milestones,
        "status": status,
    }


def party_json(party: Party) -> dict[str, Any]:
    out: dict[str, Any] = {"did": party.did, "role": party.role}
    if party.allocated_quantity is not None:
        out["allocatedQuantity"] = party.allocated_quantity
    if party.facility is not None:
        out["facility"] = party.facility
    return out


def parties_of(record: Mapping[str, Any]) -> list[Party]:
    """The parties of a stored contract record."""
    return [
        Party(p["did"], p["role"], p.get("allocatedQuantity"), p.get("facility"))
        for p in record.get("parties", [])
    ]
