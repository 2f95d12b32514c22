"""Does a holder meet skill requirements, on the evidence of one verified presentation?

Shared by machine authorisation checks and contract qualification checks. The input is what
`Verifier.verify_presentation` answered (it has consumed the single-use challenge), the DID
that should be presenting, and requirements (skill URI, minimum level). A badge counts only
if it verifies, names the presenting holder as its subject, comes from a trusted issuer
(a makerspace registered here or one in the admin trust registry) and is at the level asked.

When several badges name a required skill, a valid one with the highest level is relied on;
when none is valid, the failure that is most useful to the holder is reported (a good badge
at too low a level before an expired one, before a revoked one, ... before a forged one).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from passport_vc import errors
from passport_vc.credentials.model import as_list, issuer_id
from passport_vc.credentials.openbadges import skill_level_from_badge
from passport_vc.services import trust
from passport_vc.services.context import ServiceContext
from passport_vc.services.trust import IssuerStanding
from passport_vc.taxonomy import Taxonomy

# Reason codes. A badge's own defects are checked in this order (the first one found is its
# reason); between badges that all fail, the LATER reason wins (it is closer to being met).
INVALID_PROOF = "invalid-proof"
NOT_PRESENTING_HOLDER = "not-presenting-holder"
ISSUER_NOT_TRUSTED = "issuer-not-trusted"
REVOKED = "revoked"
SUSPENDED = "suspended"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
STATUS_UNAVAILABLE = "status-unavailable"  # the status list could not be read (nor a copy)
LEVEL_TOO_LOW = "level-too-low"
BADGE_REASONS = (
    INVALID_PROOF,
    NOT_PRESENTING_HOLDER,
    ISSUER_NOT_TRUSTED,
    REVOKED,
    SUSPENDED,
    EXPIRED,
    NOT_YET_VALID,
    STATUS_UNAVAILABLE,
    LEVEL_TOO_LOW,
)
MISSING = "missing"
PRESENTATION_INVALID = "presentation-invalid"
NO_PRESENTATION = "no-presentation"

_STATUS_PROBLEMS = frozenset({errors.STATUS_RETRIEVAL_ERROR, errors.STATUS_VERIFICATION_ERROR})
_DETAILS = {
    INVALID_PROOF: "the badge does not verify",
    NOT_PRESENTING_HOLDER: "the badge was issued to {subject}, not to the presenting holder",
    ISSUER_NOT_TRUSTED: "the issuer {issuer} is neither a makerspace registered here nor in the "
    "trust registry",
    REVOKED: "the badge is revoked",
    SUSPENDED: "the badge is suspended",
    EXPIRED: "the badge expired at {validUntil}",
    NOT_YET_VALID: "the badge is not valid before {validFrom}",
    STATUS_UNAVAILABLE: "the badge's status could not be checked",
    LEVEL_TOO_LOW: "the badge is at level {level}; level {minLevel} is required",
}


@dataclass(frozen=True)
class SkillRequirement:
    skill: str  # a taxonomy skill URI
    min_level: int

    def to_json(self) -> dict[str, Any]:
        return {"skill": self.skill, "minLevel": self.min_level}


@dataclass(frozen=True)
class BadgeUsed:
    """The badge an outcome rests on, and where its issuer stands here."""

    id: str | None
    issuer: str | None
    issuer_name: str | None
    registered: bool
    trusted: bool
    valid_until: str | None = None  # the badge's own validUntil, as it says it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issuer": {
                "id": self.issuer,
                "name": self.issuer_name,
                "registered": self.registered,
                "trusted": self.trusted,
            },
            "validUntil": self.valid_until,
        }


@dataclass(frozen=True)
class Outcome:
    """One requirement: met or not, why not, the level achieved and the badge relied on."""

    requirement: SkillRequirement
    met: bool
    reason: str | None = None
    detail: str | None = None
    level: int | None = None
    badge: BadgeUsed | None = None
    warnings: tuple[str, ...] = ()

    def to_json(self, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {**self.requirement.to_json(), "met": self.met}
        skill = taxonomy.find(self.requirement.skill) if taxonomy is not None else None
        if skill is not None:
            out["skillCode"] = skill.code
            out["skillLabel"] = skill.label_in("en")
        if self.reason is not None:
            out["reason"] = self.reason
        if self.detail is not None:
            out["detail"] = self.detail
        if self.level is not None:
            out["achievedLevel"] = self.level
        if self.badge is not None:
            out["badge"] = self.badge.to_json()
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class PresentationCheck:
    """The presentation itself: the holder's proof, the challenge, the domain, the holder."""

    verified: bool
    holder: str | None
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def detail(self) -> str:
        return (
            "; ".join(p.get("detail", "") for p in self.problems) or "the presentation is invalid"
        )

    def to_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "holder": self.holder, "problemDetails": self.problems}


def presentation_holder(presentation: Any) -> str | None:
    if not isinstance(presentation, Mapping):
        return None
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


def _key(problem: Mapping[str, Any]) -> str:
    return json.dumps(problem, sort_keys=True, default=str)


def check_presentation(
    presentation: Any, result: Mapping[str, Any], holder: str | None
) -> PresentationCheck:
    """Whether the presentation as such stands (its credentials are judged one by one)."""
    # The verifier copies each credential's problems into the top level, prefixed; what is
    # left after taking them out concerns the presentation itself.
    copied: Counter[str] = Counter()
    for i, item in enumerate(result.get("results", {}).get("credentials", [])):
        for p in item.get("problemDetails", []):
            copied[_key({**p, "detail": f"verifiableCredential[{i}]: {p['detail']}"})] += 1
    own: list[dict[str, str]] = []
    for p in result.get("problemDetails", []):
        key = _key(p)
        if copied[key] > 0:
            copied[key] -= 1
        else:
            own.append(dict(p))
    presented_by = presentation_holder(presentation)
    if holder is not None and presented_by != holder:
        own.append(
            _problem(
                errors.HOLDER_BINDING_ERROR,
                f"the presentation's holder is {presented_by!r}, not {holder}",
            )
        )
    if presented_by is None and not own:
        own.append(_problem(errors.HOLDER_BINDING_ERROR, "the presentation names no holder"))
    if "challenge" not in result.get("results", {}).get("presentation", {}):
        own.append(
            _problem(
                errors.INVALID_CHALLENGE_ERROR,
                "the presentation must be signed over a challenge from POST /challenges",
            )
        )
    return PresentationCheck(not own, presented_by, own)


def _problem(problem_type: str, detail: str) -> dict[str, str]:
    return {"type": problem_type, "title": "Presentation not accepted", "detail": detail}


@dataclass(frozen=True)
class _Candidate:
    skill: str
    level: int
    defect: str | None  # the badge's own first defect, if any (never level-too-low)
    detail: str | None
    badge: BadgeUsed
    warnings: tuple[str, ...]


def _defect(
    credential: Mapping[str, Any], item: Mapping[str, Any], standing: IssuerStanding | None
) -> str | None:
    problem_types = {p.get("type") for p in item.get("problemDetails", [])}
    results = item.get("results", {})
    statuses = [s for s in results.get("credentialStatus", []) if isinstance(s, Mapping)]
    revoked = any(
        s.get("checked") and not s.get("verified") and s.get("purpose") == "revocation"
        for s in statuses
    )
    suspended = any(
        s.get("checked") and not s.get("verified") and s.get("purpose") == "suspension"
        for s in statuses
    )
    expired = results.get("validUntil", {}).get("verified") is False
    early = results.get("validFrom", {}).get("verified") is False
    explained = {errors.STATUS_ERROR, errors.VALIDITY_ERROR, *_STATUS_PROBLEMS}
    if problem_types - explained:
        return INVALID_PROOF
    if not item.get("holderIsSubject"):
        return NOT_PRESENTING_HOLDER
    if standing is None or not standing.trusted:
        return ISSUER_NOT_TRUSTED
    for found, reason in (
        (revoked, REVOKED),
        (suspended, SUSPENDED),
        (expired, EXPIRED),
        (early, NOT_YET_VALID),
        (bool(problem_types & _STATUS_PROBLEMS), STATUS_UNAVAILABLE),
    ):
        if found:
            return reason
    return INVALID_PROOF if not item.get("verified") else None


def _describe_defect(reason: str, credential: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    subjects = [
        s.get("id") for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)
    ]
    values = {
        "subject": ", ".join(str(s) for s in subjects if s) or "no one",
        "issuer": issuer_id(credential),
        "validUntil": credential.get("validUntil"),
        "validFrom": credential.get("validFrom"),
    }
    text = _DETAILS[reason].format(**values)
    problems = [p.get("detail", "") for p in item.get("problemDetails", [])]
    if reason in (INVALID_PROOF, STATUS_UNAVAILABLE) and problems:
        text += ": " + "; ".join(problems)
    return text


def _candidates(
    ctx: ServiceContext, presentation: Mapping[str, Any], result: Mapping[str, Any]
) -> list[_Candidate]:
    items = result.get("results", {}).get("credentials", [])
    credentials = as_list(presentation.get("verifiableCredential"))
    standings: dict[str | None, IssuerStanding | None] = {}
    out: list[_Candidate] = []
    with ctx.db.session() as session:
        for credential, item in zip(credentials, items, strict=False):
            if not isinstance(credential, Mapping):
                continue
            skill_level = skill_level_from_badge(credential)
            if skill_level is None:
                continue  # not a passport-vc skill badge: it cannot meet a requirement
            issuer = issuer_id(credential)
            if issuer not in standings:
                standings[issuer] = trust.standing(session, issuer)
            standing = standings[issuer]
            defect = _defect(credential, item, standing)
            badge_id = credential.get("id")
            valid_until = credential.get("validUntil", credential.get("expirationDate"))
            badge = BadgeUsed(
                id=badge_id if isinstance(badge_id, str) else None,
                issuer=issuer,
                issuer_name=standing.name if standing is not None else None,
                registered=bool(standing and standing.registered),
                trusted=bool(standing and standing.trusted),
                valid_until=valid_until if isinstance(valid_until, str) else None,
            )
            warnings = tuple(w.get("detail", "") for w in item.get("warnings", []))
            detail = _describe_defect(defect, credential, item) if defect else None
            out.append(_Candidate(*skill_level, defect, detail, badge, warnings))
    return out


def _judge(candidate: _Candidate, requirement: SkillRequirement) -> Outcome:
    if candidate.defect is None and candidate.level < requirement.min_level:
        detail = _DETAILS[LEVEL_TOO_LOW].format(
            level=candidate.level, minLevel=requirement.min_level
        )
        return Outcome(
            requirement,
            False,
            LEVEL_TOO_LOW,
            detail,
            candidate.level,
            candidate.badge,
            candidate.warnings,
        )
    if candidate.defect is not None:
        return Outcome(
            requirement,
            False,
            candidate.defect,
            candidate.detail,
            candidate.level,
            candidate.badge,
            candidate.warnings,
        )
    return Outcome(
        requirement, True, None, None, candidate.level, candidate.badge, candidate.warnings
    )


def _preference(outcome: Outcome) -> tuple[int, int]:
    rank = len(BADGE_REASONS) if outcome.met else BADGE_REASONS.index(outcome.reason or "")
    return rank, outcome.level or 0


def evaluate(
    ctx: ServiceContext,
    presentation: Any,
    result: Mapping[str, Any],
    holder: str | None,
    requirements: Sequence[SkillRequirement],
) -> tuple[PresentationCheck, list[Outcome]]:
    """Judge every requirement on the badges of one verified presentation."""
    check = check_presentation(presentation, result, holder)
    if not check.verified:
        return check, [fail_all(r, PRESENTATION_INVALID, check.detail) for r in requirements]
    assert isinstance(presentation, Mapping)
    candidates = _candidates(ctx, presentation, result)
    outcomes = []
    for requirement in requirements:
        judged = [_judge(c, requirement) for c in candidates if c.skill == requirement.skill]
        if not judged:
            detail = "the presentation holds no badge for this skill"
            outcomes.append(Outcome(requirement, False, MISSING, detail))
        else:
            outcomes.append(max(judged, key=_preference))
    return check, outcomes


def fail_all(requirement: SkillRequirement, reason: str, detail: str) -> Outcome:
    return Outcome(requirement, False, reason, detail)
