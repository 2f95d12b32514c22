"""Reading one badge request (an API body, a JSON batch row or a CSV row) into checked values.

Every error names the field it is about, so a batch answer can say "row 17, level: …".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from passport_vc.credentials.openbadges import Evidence
from passport_vc.dids.syntax import parse_did
from passport_vc.errors import PassportVcError
from passport_vc.services.errors import InvalidFieldError
from passport_vc.taxonomy import Skill, Taxonomy
from passport_vc.timestamps import parse_datetime_stamp

SCOPES = ("skill", "machine-authorisation")
_FIELDS = {"holder", "holderName", "skill", "level", "evidence", "validUntil", "scope"}


@dataclass(frozen=True)
class BadgeRequest:
    holder: str
    skill: Skill
    level: int
    holder_name: str | None = None
    evidence: tuple[Evidence, ...] = ()
    valid_until: datetime | None = None
    scope: str = "skill"


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldError(f"{field} must be a non-empty string", field=field)
    if len(value) > limit:
        raise InvalidFieldError(f"{field} is longer than {limit} characters", field=field)
    return value.strip()


def _evidence(value: Any) -> tuple[Evidence, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (Evidence(narrative=_text(value, "evidence", 10_000)),)
    items = value if isinstance(value, list) else [value]
    if len(items) > 20:
        raise InvalidFieldError("evidence has more than 20 items", field="evidence")
    out = []
    for i, item in enumerate(items):
        where = f"evidence[{i}]"
        if isinstance(item, str):
            out.append(Evidence(narrative=_text(item, where, 10_000)))
            continue
        if not isinstance(item, Mapping):
            raise InvalidFieldError(f"{where} must be a string or an object", field=where)
        unknown = set(item) - {"id", "name", "description", "narrative", "genre", "audience"}
        if unknown:
            raise InvalidFieldError(
                f"{where} has unknown fields {sorted(unknown)}", field=f"{where}.{min(unknown)}"
            )
        values = {k: _text(v, f"{where}.{k}", 10_000) for k, v in item.items() if v is not None}
        out.append(Evidence(**values))
    return tuple(out)


def parse_badge_request(raw: Any, taxonomy: Taxonomy) -> BadgeRequest:
    """Check a request body; InvalidFieldError (422) naming the first wrong field."""
    if not isinstance(raw, Mapping):
        raise InvalidFieldError("a badge request must be a JSON object", field="(body)")
    unknown = set(raw) - _FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidFieldError(
            f"unknown field {name!r}; expected some of {sorted(_FIELDS)}", field=name
        )
    holder = _text(raw.get("holder"), "holder", 2000)
    try:
        parse_did(holder)
    except PassportVcError as exc:
        raise InvalidFieldError(f"holder must be a DID: {exc.detail}", field="holder") from None
    skill_ref = _text(raw.get("skill"), "skill", 400)
    skill = taxonomy.find(skill_ref)
    if skill is None:
        raise InvalidFieldError(
            f"unknown skill {skill_ref!r}: use a code or URI from GET /skills", field="skill"
        )
    level_raw = raw.get("level")
    if isinstance(level_raw, str) and level_raw.strip().isdigit():
        level_raw = int(level_raw.strip())
    if isinstance(level_raw, bool) or not isinstance(level_raw, int):
        raise InvalidFieldError("level must be an integer", field="level")
    numbers = sorted(level.number for level in taxonomy.levels)
    if level_raw not in numbers:
        raise InvalidFieldError(
            f"level {level_raw} is outside the scale {numbers[0]}..{numbers[-1]}", field="level"
        )
    holder_name = raw.get("holderName")
    if holder_name is not None and holder_name != "":
        holder_name = _text(holder_name, "holderName", 200)
    else:
        holder_name = None
    valid_until = None
    if raw.get("validUntil") not in (None, ""):
        try:
            valid_until = parse_datetime_stamp(raw["validUntil"], "validUntil")
        except PassportVcError as exc:
            raise InvalidFieldError(exc.detail, field="validUntil") from None
    scope = raw.get("scope")
    if scope is None or scope == "":
        scope = "skill"
    if not isinstance(scope, str) or scope not in SCOPES:
        raise InvalidFieldError(f"scope must be one of {list(SCOPES)}", field="scope")
    return BadgeRequest(
        holder=holder,
        skill=skill,
        level=level_raw,
        holder_name=holder_name,
        evidence=_evidence(raw.get("evidence")),
        valid_until=valid_until,
        scope=scope,
    )
