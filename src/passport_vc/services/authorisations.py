"""May this holder operate this machine? A presentation checked against the skills the
equipment requires (OKW "Skills Required"), stored as a qualification check, and, when the
facility's makerspace asks, the holder added to the machine's operators."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from passport_vc.services import audit, qualifications
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from passport_vc.services.facilities import add_operator
from passport_vc.services.qualifications import SkillRequirement
from passport_vc.services.verification import Verifier
from passport_vc.store import Equipment, Facility, Makerspace, QualificationCheck
from passport_vc.timestamps import format_datetime_stamp, utc_now

KIND = "equipment"


def _requirements(ctx: ServiceContext, equipment: Equipment) -> list[SkillRequirement]:
    """The stored [{"skill", "minLevel"}]; a malformed list is refused, never skipped."""
    try:
        raw = json.loads(equipment.skills_required or "[]")
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, list):
        raise ConflictError(f"equipment {equipment.id} has a malformed skillsRequired list")
    out = []
    for item in raw:
        skill = item.get("skill") if isinstance(item, dict) else None
        level = item.get("minLevel") if isinstance(item, dict) else None
        if not isinstance(skill, str) or isinstance(level, bool) or not isinstance(level, int):
            raise ConflictError(f"equipment {equipment.id} has a malformed skillsRequired entry")
        found = ctx.taxonomy.find(skill)
        out.append(SkillRequirement(found.uri if found else skill, level))
    return out


def _load(ctx: ServiceContext, equipment_id: str) -> tuple[Equipment, Facility | None]:
    with ctx.db.session() as session:
        equipment = session.get(Equipment, equipment_id) if len(equipment_id) <= 36 else None
        if equipment is None:
            raise NotFoundError(f"no equipment {equipment_id[:80]!r}", field="id")
        return equipment, session.get(Facility, equipment.facility_id)


def check_equipment(
    ctx: ServiceContext,
    verifier: Verifier,
    equipment_id: str,
    presentation: Any,
    *,
    challenge: str,
    domain: str | list[str] | None = None,
    add_as_operator: bool = False,
    caller: Makerspace | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Verify the presentation (consuming its challenge), judge each required skill, store the
    decision; with `add_as_operator`, the caller must own the machine's facility."""
    equipment, facility = _load(ctx, equipment_id)
    if add_as_operator:  # refused before the challenge is spent
        if caller is None:
            raise AuthenticationError(
                "addOperator needs the API key of the makerspace that owns the facility"
            )
        if facility is None or facility.makerspace_id != caller.id:
            raise ForbiddenError(
                f"only the makerspace that owns this machine's facility may add operators; "
                f"{caller.slug} does not",
                field="options.addOperator",
            )
    requirements = _requirements(ctx, equipment)
    holder = qualifications.presentation_holder(presentation)
    result = verifier.verify_presentation(presentation, challenge=challenge, domain=domain)
    check, outcomes = qualifications.evaluate(ctx, presentation, result, holder, requirements)
    passed = check.verified and all(o.met for o in outcomes)
    check_id = str(uuid.uuid4())
    now = utc_now()
    body: dict[str, Any] = {
        "checkId": check_id,
        "kind": KIND,
        "checkedAt": format_datetime_stamp(now),
        "passed": passed,
        "holder": holder,
        "equipment": {
            "id": equipment.id,
            "facility": equipment.facility_id,
            "equipmentType": equipment.equipment_type,
            "manufacturingProcess": equipment.manufacturing_process,
        },
        "presentation": check.to_json(),
        "requirements": [o.to_json(ctx.taxonomy) for o in outcomes],
        "operatorAdded": False,
    }
    if passed and add_as_operator and holder is not None:
        # True: an operator now; alreadyOperator says the row was there before.
        newly = add_operator(
            ctx, equipment.id, holder, check_id, actor=actor or Actor(name="system")
        )
        body["operatorAdded"] = True
        body["alreadyOperator"] = not newly
    with ctx.db.session(write=True) as session:
        session.add(
            QualificationCheck(
                id=check_id,
                kind=KIND,
                equipment_id=equipment.id,
                passed=passed,
                outcome=json.dumps(body, ensure_ascii=False),
                created_at=now,
            )
        )
        if actor is not None:
            detail = {"checkId": check_id, "holder": holder, "passed": passed}
            audit.record(session, actor, "equipment.check", equipment.id, detail)
    return body


def get_check(ctx: ServiceContext, equipment_id: str, check_id: str) -> dict[str, Any]:
    with ctx.db.session() as session:
        found = session.execute(
            select(QualificationCheck).where(
                col(QualificationCheck.id) == check_id,
                col(QualificationCheck.kind) == KIND,
                col(QualificationCheck.equipment_id) == equipment_id,
            )
        ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(
            f"no authorisation check {check_id[:80]!r} for equipment {equipment_id[:80]!r}",
            field="checkId",
        )
    loaded: dict[str, Any] = json.loads(found.outcome)
    return loaded
