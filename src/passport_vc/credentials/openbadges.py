"""Open Badges 3.0 skill badges: build one from the taxonomy, check one, read its skill back.

A badge is an unsigned `OpenBadgeCredential` (VC Data Model 2.0 + OB context 3.0.3) whose
achievement is "skill X at level N" of the passport-vc taxonomy. Every term emitted here is
defined by those two contexts, so JSON-LD expansion drops nothing and the proof signs it all.
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from passport_vc.errors import MalformedValueError
from passport_vc.jsonld.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT
from passport_vc.taxonomy import (
    LEVEL_SCALE,
    SKILLS_BASE,
    Level,
    Skill,
    Taxonomy,
    UnknownSkillError,
)
from passport_vc.timestamps import format_datetime_stamp, parse_datetime_stamp, utc_now

BADGE_CONTEXT: tuple[str, str] = (CREDENTIALS_V2, OB_V3P0_CONTEXT)
BADGE_TYPE: tuple[str, str] = ("VerifiableCredential", "OpenBadgeCredential")
OB_CONTEXT_PATTERN = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context-3\.0\.\d+\.json"
)

Scope = Literal["skill", "machine-authorisation"]

# Portable recognition of a skill is a Competency; a hub's local permission to use its
# machines is a License (DOMAIN: a credential must say which of the two it is).
ACHIEVEMENT_TYPES: dict[str, str] = {"skill": "Competency", "machine-authorisation": "License"}

# OB's AlignmentTargetType lists CASE and CTDL kinds only; neither our taxonomy nor ESCO is
# one, and the enumeration is extended with the "ext:" prefix.
TAXONOMY_TARGET_TYPE = "ext:MakerSkill"
ESCO_TARGET_TYPE = "ext:ESCOSkill"
ESCO_FRAMEWORK = "ESCO"

_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")
_DID = re.compile(r"did:[a-z0-9]+:\S+\Z")
_HTTP_URL = re.compile(r"https?://[^\s#?]+\Z")
_SKILL_URI = re.compile(re.escape(SKILLS_BASE) + r"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\Z")
_LEVEL_URI = re.compile(re.escape(LEVEL_SCALE) + r"/([1-4])\Z")  # the scale has levels 1-4
# pyld writes these raw into N-Quads where RDFC-1.0 wants escapes: other verifiers would then
# compute a different hash, so they never enter a badge (SPECS §3).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class IssuerProfile:
    """The issuing makerspace as an OB Profile: its DID, display name and public contacts."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Profile object of a credential's `issuer`."""
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url is not None:
            profile["url"] = self.url
        if self.email is not None:
            profile["email"] = self.email
        return profile


@dataclass(frozen=True)
class Evidence:
    """What the award rests on (an observed job, a project, a test); OB Evidence."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Evidence object of a credential's `evidence` list."""
        out: dict[str, Any] = {"type": ["Evidence"]}
        if self.id is not None:
            out["id"] = self.id
        for key in ("name", "description", "narrative", "genre", "audience"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def build_skill_badge(
    *,
    issuer: IssuerProfile,
    holder_did: str,
    skill: Skill,
    level: int,
    taxonomy: Taxonomy,
    credential_id: str | None = None,
    holder_name: str | None = None,
    evidence: Sequence[Evidence] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    scope: Scope = "skill",
    achievement_base_url: str | None = None,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential awarding `skill` at `level` to the holder.

    `valid_from` defaults to now; `valid_until` to `valid_from` plus the skill's default
    validity, if it has one. `scope="machine-authorisation"` makes a License (a hub's
    permission to use its machines) instead of a Competency. The holder's display name, if
    given, travels as an unhashed OB IdentityObject of type "name": OB 3.0 defines no `name`
    on AchievementSubject. Raises `UnknownLevelError`, `UnknownSkillError` or
    `MalformedValueError`.
    """
    achieved = taxonomy.level(level)
    if taxonomy.find(skill.uri) != skill:
        raise UnknownSkillError(
            f"skill {skill.code} is not the one in taxonomy {taxonomy.id} "
            f"version {taxonomy.version}; look it up in that taxonomy"
        )
    if scope not in ACHIEVEMENT_TYPES:
        raise MalformedValueError(f"scope {scope!r} is not one of {list(ACHIEVEMENT_TYPES)}")
    _require(_ABSOLUTE_IRI, issuer.id, "issuer.id", "an absolute URI such as a DID")
    _require(_DID, holder_did, "holder_did", "a DID such as did:key:z6Mk…")
    if issuer.url is not None:
        _require(_HTTP_URL, issuer.url, "issuer.url", "an http(s) URL")
    credential_id = credential_id if credential_id is not None else uuid.uuid4().urn
    _require(_ABSOLUTE_IRI, credential_id, "credential_id", "an absolute URI such as urn:uuid:…")
    for index, item in enumerate(evidence):
        if item.id is not None:
            _require(_ABSOLUTE_IRI, item.id, f"evidence[{index}].id", "an absolute URI")

    start, end = _validity(skill, valid_from, valid_until)
    achievement = _achievement(skill, achieved, taxonomy, scope, achievement_base_url)
    subject: dict[str, Any] = {
        "id": holder_did,
        "type": ["AchievementSubject"],
        "achievement": achievement,
        "result": [
            {
                "type": ["Result"],
                "resultDescription": taxonomy.level_scale,
                "achievedLevel": achieved.uri,
            }
        ],
    }
    if holder_name is not None:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": holder_name,
                "identityType": "name",
                "hashed": False,
            }
        ]
    badge: dict[str, Any] = {
        "@context": list(BADGE_CONTEXT),
        "type": list(BADGE_TYPE),
        "id": credential_id,
        "name": achievement["name"],
        "issuer": issuer.to_json(),
        "validFrom": format_datetime_stamp(start),
    }
    if end is not None:
        badge["validUntil"] = format_datetime_stamp(end)
    badge["credentialSubject"] = subject
    if evidence:
        badge["evidence"] = [item.to_json() for item in evidence]
    clean = _achievement_is_clean(achievement, taxonomy, skill, level, scope, achievement_base_url)
    if _any_string_matches(badge, _CONTROL_CHARS, skip=achievement if clean else None):
        for path, text in _strings(badge, ""):
            if _CONTROL_CHARS.search(text):
                raise MalformedValueError(f"{path}: control characters are not allowed in a badge")
    return badge


def _require(pattern: re.Pattern[str], value: str, name: str, what: str) -> None:
    if not isinstance(value, str) or pattern.match(value) is None:
        raise MalformedValueError(f"{name}: {value!r} is not {what}")


def _validity(
    skill: Skill, valid_from: datetime | None, valid_until: datetime | None
) -> tuple[datetime, datetime | None]:
    if valid_from is None:
        valid_from = utc_now()
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None and moment.utcoffset() is None:
            raise MalformedValueError(f"{name}: give a timezone-aware datetime (e.g. UTC)")
    # Seconds precision, as written: the default end date is computed from what the badge says.
    start = parse_datetime_stamp(format_datetime_stamp(valid_from), "validFrom")
    if valid_until is None and skill.default_validity_months is not None:
        valid_until = add_months(start, skill.default_validity_months)
    if valid_until is not None and valid_until < start:
        raise MalformedValueError(
            f"valid_until {format_datetime_stamp(valid_until)} is before "
            f"valid_from {format_datetime_stamp(start)}"
        )
    return start, valid_until


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def achievement_id(
    skill: Skill, level: int, scope: Scope = "skill", base_url: str | None = None
) -> str:
    """The Achievement id of `skill` at `level`: a skill URI fragment, or under `base_url`."""
    suffix = f"level-{level}" if scope == "skill" else f"authorisation-level-{level}"
    if base_url is None:
        return f"{skill.uri}#{suffix}"
    _require(
        _HTTP_URL, base_url, "achievement_base_url", "an http(s) URL without query or fragment"
    )
    return f"{base_url.rstrip('/')}/{skill.code}/{suffix}"


def _achievement(
    skill: Skill, level: Level, taxonomy: Taxonomy, scope: Scope, base_url: str | None
) -> dict[str, Any]:
    category = taxonomy.category(skill.category)
    if scope == "skill":
        name = f"{skill.label} — Level {level.number} {level.name}"
        description = f"{skill.definition} Level {level.number} ({level.name}): {level.description}"
        human_code = f"{skill.code}-L{level.number}"
    else:
        name = f"{skill.label} — Machine authorisation, Level {level.number} {level.name}"
        description = (
            f"Authorisation by the issuing makerspace to use its own equipment for the skill "
            f'"{skill.label}" at level {level.number} ({level.name}). {skill.definition}'
        )
        human_code = f"{skill.code}-L{level.number}-AUTH"
    return {
        "id": achievement_id(skill, level.number, scope, base_url),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[scope],
        "name": name,
        "description": description,
        "criteria": {"narrative": skill.criteria(level.number)},
        "humanCode": human_code,
        "fieldOfStudy": category.label,
        "tag": [skill.code, category.label],
        "alignment": [_taxonomy_alignment(skill, taxonomy), *_esco_alignments(skill)],
        "resultDescription": [_level_result_description(taxonomy)],
    }


def _taxonomy_alignment(skill: Skill, taxonomy: Taxonomy) -> dict[str, Any]:
    return {
        "type": ["Alignment"],
        "targetType": TAXONOMY_TARGET_TYPE,
        "targetFramework": taxonomy.name,
        "targetCode": skill.code,
        "targetName": skill.label,
        "targetUrl": skill.uri,
    }


def _esco_alignments(skill: Skill) -> list[dict[str, Any]]:
    return [
        {
            "type": ["Alignment"],
            "targetType": ESCO_TARGET_TYPE,
            "targetFramework": ESCO_FRAMEWORK,
            "targetName": esco.label,
            "targetUrl": esco.uri,
            # OB has no match-strength property; say it in words for the reader.
            "targetDescription": f"{esco.match} match",
        }
        for esco in skill.esco
    ]


def _level_result_description(taxonomy: Taxonomy) -> dict[str, Any]:
    # The same object in every badge (the shared level scale), so its id can be shared too.
    return {
        "id": taxonomy.level_scale,
        "type": ["ResultDescription"],
        "name": "Level",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {
                "id": level.uri,
                "type": ["RubricCriterionLevel"],
                "name": level.name,
                "description": level.description,
                "level": str(level.number),
            }
            for level in taxonomy.levels
        ],
    }


# Achievements found free of control characters, by (taxonomy, skill, level, scope, base URL):
# an achievement is written from those alone (the skill is the taxonomy's own, checked above).
# The taxonomy is kept as the value, so that its id() cannot be another's.
_CLEAN_ACHIEVEMENTS: dict[tuple[int, str, int, str, str | None], Taxonomy] = {}


def _achievement_is_clean(
    achievement: Mapping[str, Any],
    taxonomy: Taxonomy,
    skill: Skill,
    level: int,
    scope: str,
    base_url: str | None,
) -> bool:
    key = (id(taxonomy), skill.uri, level, scope, base_url)
    if _CLEAN_ACHIEVEMENTS.get(key) is taxonomy:
        return True
    if _any_string_matches(achievement, _CONTROL_CHARS):
        return False
    if len(_CLEAN_ACHIEVEMENTS) >= 4096:
        _CLEAN_ACHIEVEMENTS.clear()
    _CLEAN_ACHIEVEMENTS[key] = taxonomy
    return True


def _any_string_matches(node: Any, pattern: re.Pattern[str], skip: object = None) -> bool:
    """Whether any string in `node` matches (a walk without paths; `_strings` names them);
    `skip`, an object inside `node`, is left out."""
    stack = [node]
    while stack:
        item = stack.pop()
        kind = type(item)  # exact types first: the isinstance checks below are the slow ones
        if kind is str or isinstance(item, str):
            if pattern.search(item):
                return True
        elif item is skip:
            continue
        elif kind is dict or isinstance(item, Mapping):
            stack.extend(item.values())
        elif kind is list or isinstance(item, list):
            stack.extend(item)
    return False


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


# --------------------------------------------------------------------------- validation


def validate_open_badge(credential: Mapping[str, Any]) -> list[str]:
    """Problems with `credential` as an Open Badges 3.0 credential, each naming its JSON path.

    Checks the properties OB 3.0 requires (and the shape of the optional ones passport-vc
    emits); an empty list means none was found. It does not check the proof or the status.
    """
    problems: list[str] = []
    problems += _context_problems(credential.get("@context"))
    types = _types(credential.get("type"))
    if "VerifiableCredential" not in types:
        problems.append("type: must include 'VerifiableCredential'")
    if not types & {"OpenBadgeCredential", "AchievementCredential"}:
        problems.append("type: must include 'OpenBadgeCredential' (or 'AchievementCredential')")
    problems += _uri_problems(credential, "id", "", required=True)
    problems += _text_problems(credential, "name", "", required=True)
    problems += _issuer_problems(credential.get("issuer"))
    problems += _validity_problems(credential)
    problems += _subject_problems(credential.get("credentialSubject"))
    if "evidence" in credential:
        for path, item in _items(credential["evidence"], "evidence"):
            problems += _typed_object_problems(item, path, "Evidence")
            if isinstance(item, Mapping):
                problems += _uri_problems(item, "id", f"{path}.", required=False)
    return problems


def _context_problems(contexts: Any) -> list[str]:
    if not isinstance(contexts, list) or not contexts:
        return ["@context: must be a list, starting with the VC 2.0 and Open Badges contexts"]
    problems: list[str] = []
    if contexts[0] != CREDENTIALS_V2:
        problems.append(f"@context[0]: must be {CREDENTIALS_V2!r}, found {contexts[0]!r}")
    if len(contexts) < 2 or not (
        isinstance(contexts[1], str) and OB_CONTEXT_PATTERN.fullmatch(contexts[1])
    ):
        found = contexts[1] if len(contexts) > 1 else None
        problems.append(
            "@context[1]: must be an Open Badges 3.0 context such as "
            f"{OB_V3P0_CONTEXT!r}, found {found!r}"
        )
    return problems


def _issuer_problems(issuer: Any) -> list[str]:
    if not isinstance(issuer, Mapping):
        return ["issuer: must be a Profile object with an id and type ['Profile']"]
    problems = _uri_problems(issuer, "id", "issuer.", required=True)
    if "Profile" not in _types(issuer.get("type")):
        problems.append("issuer.type: must include 'Profile'")
    return problems


def _validity_problems(credential: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    moments: dict[str, datetime] = {}
    for key in ("validFrom", "validUntil"):
        if key not in credential:
            if key == "validFrom":
                problems.append("validFrom: is required by Open Badges 3.0")
            continue
        try:
            moments[key] = parse_datetime_stamp(credential[key], key)
        except MalformedValueError as exc:
            problems.append(exc.detail)
    if len(moments) == 2 and moments["validUntil"] < moments["validFrom"]:
        problems.append("validUntil: is before validFrom")
    return problems


def _subject_problems(subject: Any) -> list[str]:
    path = "credentialSubject"
    if not isinstance(subject, Mapping):
        return [f"{path}: must be one AchievementSubject object"]
    problems = []
    if "AchievementSubject" not in _types(subject.get("type")):
        problems.append(f"{path}.type: must include 'AchievementSubject'")
    if "id" in subject:
        problems += _uri_problems(subject, "id", f"{path}.", required=True)
    elif "identifier" not in subject:
        problems.append(f"{path}: must have an id (the holder's DID) or an identifier")
    if "identifier" in subject:
        problems += _identifier_problems(subject["identifier"], f"{path}.identifier")
    achievement = subject.get("achievement")
    problems += _achievement_problems(achievement, f"{path}.achievement")
    if "result" in subject:
        problems += _result_problems(subject["result"], achievement, f"{path}.result")
    return problems


def _identifier_problems(value: Any, path: str) -> list[str]:
    problems: list[str] = []
    for item_path, item in _items(value, path):
        problems += _typed_object_problems(item, item_path, "IdentityObject")
        if not isinstance(item, Mapping):
            continue
        problems += _text_problems(item, "identityHash", f"{item_path}.", required=True)
        problems += _text_problems(item, "identityType", f"{item_path}.", required=True)
        if not isinstance(item.get("hashed"), bool):
            problems.append(f"{item_path}.hashed: must be true or false")
    return problems


def _achievement_problems(achievement: Any, path: str) -> list[str]:
    if not isinstance(achievement, Mapping):
        return [f"{path}: is required and must be an Achievement object"]
    problems = _uri_problems(achievement, "id", f"{path}.", required=True)
    if "Achievement" not in _types(achievement.get("type")):
        problems.append(f"{path}.type: must include 'Achievement'")
    problems += _text_problems(achievement, "name", f"{path}.", required=True)
    problems += _text_problems(achievement, "description", f"{path}.", required=True)
    criteria = achievement.get("criteria")
    if not isinstance(criteria, Mapping):
        problems.append(f"{path}.criteria: is required and must be an object")
    elif "id" not in criteria and "narrative" not in criteria:
        problems.append(f"{path}.criteria: must have an id or a narrative")
    else:
        problems += _uri_problems(criteria, "id", f"{path}.criteria.", required=False)
        problems += _text_problems(criteria, "narrative", f"{path}.criteria.", required=False)
    if "alignment" in achievement:
        for item_path, item in _items(achievement["alignment"], f"{path}.alignment"):
            problems += _typed_object_problems(item, item_path, "Alignment")
            if isinstance(item, Mapping):
                problems += _text_problems(item, "targetName", f"{item_path}.", required=True)
                problems += _uri_problems(item, "targetUrl", f"{item_path}.", required=True)
    if "resultDescription" in achievement:
        rd_path = f"{path}.resultDescription"
        for item_path, item in _items(achievement["resultDescription"], rd_path):
            problems += _typed_object_problems(item, item_path, "ResultDescription")
            if isinstance(item, Mapping):
                problems += _uri_problems(item, "id", f"{item_path}.", required=True)
                problems += _text_problems(item, "name", f"{item_path}.", required=True)
                problems += _text_problems(item, "resultType", f"{item_path}.", required=True)
    return problems


def _result_problems(results: Any, achievement: Any, path: str) -> list[str]:
    # A result must point at a result description (and level) the achievement defines,
    # or a verifier cannot tell what was achieved.
    descriptions: dict[str, set[str]] = {}
    if isinstance(achievement, Mapping) and isinstance(achievement.get("resultDescription"), list):
        for rd in achievement["resultDescription"]:
            if isinstance(rd, Mapping) and isinstance(rd.get("id"), str):
                levels = rd.get("rubricCriterionLevel")
                descriptions[rd["id"]] = {
                    lv["id"]
                    for lv in (levels if isinstance(levels, list) else [])
                    if isinstance(lv, Mapping) and isinstance(lv.get("id"), str)
                }
    problems: list[str] = []
    for item_path, item in _items(results, path):
        problems += _typed_object_problems(item, item_path, "Result")
        if not isinstance(item, Mapping):
            continue
        described = item.get("resultDescription")
        if described is not None and described not in descriptions:
            problems.append(
                f"{item_path}.resultDescription: {described!r} is not the id of a "
                "resultDescription of the achievement"
            )
        level = item.get("achievedLevel")
        if level is not None and described in descriptions and level not in descriptions[described]:
            problems.append(
                f"{item_path}.achievedLevel: {level!r} is not a rubricCriterionLevel of "
                f"{described!r}"
            )
    return problems


def _items(value: Any, path: str) -> list[tuple[str, Any]]:
    if not isinstance(value, list):
        return [(path, value)]
    return [(f"{path}[{index}]", item) for index, item in enumerate(value)]


def _typed_object_problems(item: Any, path: str, type_name: str) -> list[str]:
    if not isinstance(item, Mapping):
        return [f"{path}: must be a {type_name} object"]
    if type_name not in _types(item.get("type")):
        return [f"{path}.type: must include {type_name!r}"]
    return []


def _types(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def _uri_problems(node: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> list[str]:
    if key not in node:
        return [f"{prefix}{key}: is required"] if required else []
    value = node[key]
    if not isinstance(value, str) or _ABSOLUTE_IRI.match(value) is None:
        return [f"{prefix}{key}: {value!r} is not an absolute URI"]
    return []


def _text_problems(node: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> list[str]:
    if key not in node:
        return [f"{prefix}{key}: is required"] if required else []
    value = node[key]
    if not isinstance(value, str) or not value.strip():
        return [f"{prefix}{key}: must be a non-empty string"]
    return []


# --------------------------------------------------------------------------- reading back


def skill_level_from_badge(credential: Mapping[str, Any]) -> tuple[str, int] | None:
    """(skill URI, level) of a passport-vc skill badge, or None if it does not name exactly one.

    Reads the taxonomy alignment's targetUrl and the result's achievedLevel. Run it on a
    verified credential only: it trusts the JSON it is given.
    """
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return None
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        return None
    skills = {
        item["targetUrl"]
        for item in _list(achievement.get("alignment"))
        if isinstance(item.get("targetUrl"), str) and _SKILL_URI.match(item["targetUrl"])
    }
    levels = {
        int(match.group(1))
        for item in _list(subject.get("result"))
        if item.get("resultDescription") == LEVEL_SCALE
        and isinstance(item.get("achievedLevel"), str)
        and (match := _LEVEL_URI.match(item["achievedLevel"])) is not None
    }
    if len(skills) != 1 or len(levels) != 1:
        return None
    return skills.pop(), levels.pop()


def _list(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, Mapping)]
