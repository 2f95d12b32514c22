"""Distributed manufacturing contracts: create, read, and check that each party holds the
qualifications its role requires. A check's decision is stored and issued as a qualification
check record signed by the service's own DID (see check_records)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from passport_vc.services import audit, check_records, qualifications
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.contract_terms import Party, parse_contract, parties_of
from passport_vc.services.errors import ForbiddenError, InvalidFieldError, NotFoundError
from passport_vc.services.qualifications import (
    NO_PRESENTATION,
    PRESENTATION_INVALID,
    SkillRequirement,
)
from passport_vc.services.verification import Verifier
from passport_vc.store import (
    Contract,
    Equipment,
    Facility,
    FacilityTag,
    Makerspace,
    QualificationCheck,
)
from passport_vc.timestamps import format_datetime_stamp, utc_now

KIND = "contract"
MAX_CHALLENGE = 256


def _view(session: Session, row: Contract) -> dict[str, Any]:
    owner = session.get(Makerspace, row.makerspace_id) if row.makerspace_id else None
    return {
        "id": row.id,
        **json.loads(row.record),
        "makerspace": owner.slug if owner else None,
        "createdAt": format_datetime_stamp(row.created_at),
        "updatedAt": format_datetime_stamp(row.updated_at),
    }


def create_contract(
    ctx: ServiceContext, actor: Actor, makerspace: Makerspace, body: Any
) -> dict[str, Any]:
    """Check and store a contract initiated by `makerspace`; {id, contract}."""
    now = utc_now()
    contract_id = str(uuid.uuid4())
    with ctx.db.session(write=True) as session:
        record = parse_contract(session, ctx.taxonomy, body)
        row = Contract(
            id=contract_id,
            makerspace_id=makerspace.id,
            record=json.dumps(record, ensure_ascii=False),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        audit.record(
            session,
            replace(actor, makerspace_id=makerspace.id),
            "contract.create",
            contract_id,
            {"item": record["item"]["name"], "parties": len(record["parties"])},
        )
        view = _view(session, row)
    return {"id": contract_id, "contract": view}


def _load(session: Session, contract_id: str) -> Contract:
    # A NUL is in no id, and PostgreSQL refuses to compare text with one (a 500).
    found = (
        session.get(Contract, contract_id)
        if len(contract_id) <= 36 and "\x00" not in contract_id
        else None
    )
    if found is None:
        raise NotFoundError(f"no contract {contract_id[:80]!r}", field="id")
    return found


def get_contract(ctx: ServiceContext, contract_id: str) -> dict[str, Any]:
    with ctx.db.session() as session:
        return _view(session, _load(session, contract_id))


# --- the qualification check ----------------------------------------------------------------


def _capability(session: Session, party: Party, requirement: Mapping[str, Any]) -> dict[str, Any]:
    """Met when the party's facility lists that equipment type or process (its search tags or
    one of its machines)."""
    wanted: Mapping[str, str] = requirement["facilityCapability"]
    [(kind, url)] = wanted.items()
    out: dict[str, Any] = {"facilityCapability": dict(wanted), "facility": party.facility}
    if party.facility is None or session.get(Facility, party.facility) is None:
        detail = "the party names no facility" if party.facility is None else "no such facility"
        return {**out, "met": False, "reason": qualifications.MISSING, "detail": detail}
    column = (
        Equipment.equipment_type if kind == "equipmentType" else Equipment.manufacturing_process
    )
    tagged = session.execute(
        select(col(FacilityTag.facility_id)).where(
            col(FacilityTag.facility_id) == party.facility,
            col(FacilityTag.kind) == kind,
            col(FacilityTag.value) == url,
        )
    ).first()
    machine = session.execute(
        select(col(Equipment.id)).where(
            col(Equipment.facility_id) == party.facility,
            col(column) == url,
        )
    ).first()
    if tagged is None and machine is None:
        detail = f"facility {party.facility} lists no {kind} {url}"
        return {**out, "met": False, "reason": qualifications.MISSING, "detail": detail}
    return {**out, "met": True}


def _failed(
    requirement: Mapping[str, Any], party: Party, reason: str, detail: str
) -> dict[str, Any]:
    base: dict[str, Any]
    if "facilityCapability" in requirement:
        base = {
            "facilityCapability": dict(requirement["facilityCapability"]),
            "facility": party.facility,
        }
    else:
        base = {"skill": requirement["skill"], "minLevel": requirement["minLevel"]}
    return {**base, "met": False, "reason": reason, "detail": detail}


def _check_party(
    ctx: ServiceContext,
    verifier: Verifier,
    party: Party,
    requirements: Sequence[Mapping[str, Any]],
    presentation: Any,
    challenge: str | None,
    domain: str | list[str] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"did": party.did, "role": party.role}
    if party.facility is not None:
        out["facility"] = party.facility
    if presentation is None:
        detail = "the party presented nothing"
        outcomes = [_failed(r, party, NO_PRESENTATION, detail) for r in requirements]
        return {**out, "passed": not outcomes, "presentation": None, "requirements": outcomes}
    result = verifier.verify_presentation(presentation, challenge=challenge, domain=domain)
    skills = [SkillRequirement(r["skill"], r["minLevel"]) for r in requirements if "skill" in r]
    check, judged = qualifications.evaluate(ctx, presentation, result, party.did, skills)
    by_skill = {o.requirement.skill: o.to_json(ctx.taxonomy) for o in judged}
    outcomes = []
    with ctx.db.session() as session:
        for requirement in requirements:
            if "skill" in requirement:
                outcomes.append(by_skill[requirement["skill"]])
            elif not check.verified:
                outcomes.append(_failed(requirement, party, PRESENTATION_INVALID, check.detail))
            else:
                outcomes.append(_capability(session, party, requirement))
    passed = check.verified and all(o["met"] for o in outcomes)
    return {**out, "passed": passed, "presentation": check.to_json(), "requirements": outcomes}


def _by_party(
    value: Mapping[str, Any] | None, parties: Sequence[Party], field: str
) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidFieldError(f"{field}: must be an object keyed by party DID", field=field)
    dids = {p.did for p in parties}
    for did in value:
        if did not in dids:
            raise InvalidFieldError(
                f"{field}.{did}: not a party of this contract"[:300], field=f"{field}.{did}"[:300]
            )
    return value


def run_check(
    ctx: ServiceContext,
    verifier: Verifier,
    contract_id: str,
    presentations: Mapping[str, Any] | None,
    *,
    challenges: Mapping[str, Any] | None = None,
    domain: str | list[str] | None = None,
    caller: Makerspace | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Check every party (its presentation against its role's requirements), store the
    decision with its signed record, and answer both. `caller` (None: the operator's CLI)
    must be the makerspace that created the contract."""
    with ctx.db.session() as session:
        row = _load(session, contract_id)
    if caller is not None and row.makerspace_id != caller.id:
        raise ForbiddenError(
            f"only the makerspace that created contract {contract_id} may check it"
        )
    record = json.loads(row.record)
    parties = parties_of(record)
    given = _by_party(presentations, parties, "presentations")
    wanted = _by_party(challenges, parties, "options.challenges")
    for did, value in wanted.items():
        if not isinstance(value, str) or not 0 < len(value) <= MAX_CHALLENGE:
            field = f"options.challenges.{did}"[:300]
            raise InvalidFieldError(f"{field}: must be a challenge string", field=field)
    answers = []
    for party in parties:
        requirements = record.get("requirements", {}).get(party.role, [])
        answers.append(
            _check_party(
                ctx,
                verifier,
                party,
                requirements,
                given.get(party.did),
                wanted.get(party.did),
                domain,
            )
        )
    passed = all(a["passed"] for a in answers)
    return _store(ctx, contract_id, passed, answers, actor)


def _store(
    ctx: ServiceContext,
    contract_id: str,
    passed: bool,
    answers: list[dict[str, Any]],
    actor: Actor | None,
) -> dict[str, Any]:
    check_id = str(uuid.uuid4())
    now = utc_now()
    unsigned = check_records.build_record(
        ctx,
        contract_id=contract_id,
        check_id=check_id,
        passed=passed,
        parties=answers,
        checked_at=now,
    )
    signed = check_records.sign_record(ctx, unsigned)
    body: dict[str, Any] = {
        "checkId": check_id,
        "kind": KIND,
        "contract": contract_id,
        "checkedAt": format_datetime_stamp(now),
        "passed": passed,
        "parties": answers,
    }
    with ctx.db.session(write=True) as session:
        session.add(
            QualificationCheck(
                id=check_id,
                kind=KIND,
                contract_id=contract_id,
                passed=passed,
                outcome=json.dumps(body, ensure_ascii=False),
                record_credential=json.dumps(signed, ensure_ascii=False),
                created_at=now,
            )
        )
        if actor is not None:
            audit.record(
                session,
                actor,
                "contract.check",
                contract_id,
                {"checkId": check_id, "passed": passed},
            )
    return {**body, "recordCredential": signed}


def _answer(found: QualificationCheck) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(found.outcome)
    if found.record_credential is not None:
        body["recordCredential"] = json.loads(found.record_credential)
    return body


def latest_check(ctx: ServiceContext, contract_id: str) -> dict[str, Any]:
    with ctx.db.session() as session:
        _load(session, contract_id)
        found = session.execute(
            select(QualificationCheck)
            .where(
                col(QualificationCheck.contract_id) == contract_id,
                col(QualificationCheck.kind) == KIND,
            )
            .order_by(col(QualificationCheck.created_at).desc())
            .limit(1)
        ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"contract {contract_id} has not been checked yet")
    return _answer(found)


def get_check(ctx: ServiceContext, contract_id: str, check_id: str) -> dict[str, Any]:
    with ctx.db.session() as session:
        found = session.get(QualificationCheck, check_id) if len(check_id) <= 36 else None
    if found is None or found.contract_id != contract_id or found.kind != KIND:
        raise NotFoundError(
            f"no qualification check {check_id[:80]!r} of contract {contract_id[:80]!r}",
            field="checkId",
        )
    return _answer(found)
