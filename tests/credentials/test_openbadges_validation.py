"""validate_open_badge: each missing or wrong required property is reported with its JSON path."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from passport_vc.credentials.openbadges import IssuerProfile, build_skill_badge, validate_open_badge
from passport_vc.taxonomy import load_taxonomy

DELETE = object()


def valid_badge() -> dict[str, Any]:
    taxonomy = load_taxonomy()
    return build_skill_badge(
        issuer=IssuerProfile(id="did:web:fablab-cotonou.example", name="Fablab Cotonou"),
        holder_did="did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        skill=taxonomy.skill("SOLDER-THT"),
        level=2,
        taxonomy=taxonomy,
        holder_name="Kofi",
        valid_from=datetime(2026, 2, 1, tzinfo=UTC),
        valid_until=datetime(2027, 2, 1, tzinfo=UTC),
    )


def changed(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A valid badge with the value at `path` replaced (or deleted, with DELETE)."""
    document = copy.deepcopy(valid_badge())
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return document


SUBJECT = ("credentialSubject",)
ACHIEVEMENT = (*SUBJECT, "achievement")

CASES: list[tuple[tuple[str | int, ...], Any, str]] = [
    (("@context",), DELETE, "@context:"),
    (("@context",), "https://www.w3.org/ns/credentials/v2", "@context:"),
    (("@context", 0), "https://www.w3.org/2018/credentials/v1", "@context[0]:"),
    (("@context",), ["https://www.w3.org/ns/credentials/v2"], "@context[1]:"),
    (("@context", 1), "https://purl.imsglobal.org/spec/ob/v3p0/context.json", "@context[1]:"),
    (("type",), DELETE, "type: must include 'VerifiableCredential'"),
    (("type",), ["VerifiableCredential"], "type: must include 'OpenBadgeCredential'"),
    (("type",), ["OpenBadgeCredential"], "type: must include 'VerifiableCredential'"),
    (("id",), DELETE, "id: is required"),
    (("id",), "badge-42", "id: 'badge-42' is not an absolute URI"),
    (("name",), DELETE, "name: is required"),
    (("name",), "", "name: must be a non-empty string"),
    (("issuer",), "did:web:fablab-cotonou.example", "issuer: must be a Profile object"),
    (("issuer", "id"), DELETE, "issuer.id: is required"),
    (("issuer", "id"), "fablab", "issuer.id: 'fablab' is not an absolute URI"),
    (("issuer", "type"), ["Organization"], "issuer.type: must include 'Profile'"),
    (("validFrom",), DELETE, "validFrom: is required"),
    (("validFrom",), "2026-02-01T00:00:00", "validFrom:"),
    (("validFrom",), "2026-02-01", "validFrom:"),
    (("validFrom",), "2026-02-30T00:00:00Z", "validFrom:"),
    (("validUntil",), "tomorrow", "validUntil:"),
    (("validUntil",), "2025-01-01T00:00:00Z", "validUntil: is before validFrom"),
    (SUBJECT, [], "credentialSubject: must be one AchievementSubject object"),
    ((*SUBJECT, "type"), ["Person"], "credentialSubject.type: must include 'AchievementSubject'"),
    ((*SUBJECT, "id"), "kofi", "credentialSubject.id: 'kofi' is not an absolute URI"),
    ((*SUBJECT, "identifier", 0, "type"), "Name", "credentialSubject.identifier[0].type"),
    ((*SUBJECT, "identifier", 0, "hashed"), "no", "credentialSubject.identifier[0].hashed"),
    (
        (*SUBJECT, "identifier", 0, "identityHash"),
        DELETE,
        "identifier[0].identityHash: is required",
    ),
    (ACHIEVEMENT, DELETE, "credentialSubject.achievement: is required"),
    ((*ACHIEVEMENT, "id"), DELETE, "credentialSubject.achievement.id: is required"),
    ((*ACHIEVEMENT, "id"), "#level-2", "credentialSubject.achievement.id: '#level-2'"),
    ((*ACHIEVEMENT, "type"), ["Badge"], "credentialSubject.achievement.type: must include"),
    ((*ACHIEVEMENT, "name"), DELETE, "credentialSubject.achievement.name: is required"),
    (
        (*ACHIEVEMENT, "description"),
        DELETE,
        "credentialSubject.achievement.description: is required",
    ),
    ((*ACHIEVEMENT, "criteria"), DELETE, "credentialSubject.achievement.criteria: is required"),
    ((*ACHIEVEMENT, "criteria"), {}, "credentialSubject.achievement.criteria: must have an id or"),
    ((*ACHIEVEMENT, "criteria"), "see website", "credentialSubject.achievement.criteria:"),
    ((*ACHIEVEMENT, "criteria", "narrative"), "", "achievement.criteria.narrative: must be"),
    ((*ACHIEVEMENT, "alignment", 0, "type"), DELETE, "achievement.alignment[0].type: must include"),
    ((*ACHIEVEMENT, "alignment", 1, "targetName"), DELETE, "achievement.alignment[1].targetName"),
    ((*ACHIEVEMENT, "alignment", 0, "targetUrl"), DELETE, "achievement.alignment[0].targetUrl"),
    (
        (*ACHIEVEMENT, "alignment", 0, "targetUrl"),
        "LASER-CUT",
        "achievement.alignment[0].targetUrl",
    ),
    ((*ACHIEVEMENT, "resultDescription", 0, "id"), DELETE, "achievement.resultDescription[0].id"),
    (
        (*ACHIEVEMENT, "resultDescription", 0, "resultType"),
        DELETE,
        "resultDescription[0].resultType",
    ),
    ((*SUBJECT, "result", 0, "type"), ["Score"], "credentialSubject.result[0].type: must include"),
    ((*SUBJECT, "result", 0, "resultDescription"), "urn:x", "result[0].resultDescription: 'urn:x'"),
    (
        (*SUBJECT, "result", 0, "achievedLevel"),
        "urn:x",
        "credentialSubject.result[0].achievedLevel",
    ),
    (("evidence",), [{"narrative": "x"}], "evidence[0].type: must include 'Evidence'"),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES)
def test_each_problem_names_its_path(
    path: tuple[str | int, ...], value: Any, expected: str
) -> None:
    problems = validate_open_badge(changed(path, value))
    assert any(expected in problem for problem in problems), problems


def test_a_valid_badge_has_no_problem() -> None:
    assert validate_open_badge(valid_badge()) == []


def test_accepted_variants() -> None:
    # AchievementCredential is OB's alias; a later 3.0.x context; extra contexts after OB;
    # a subject known only by identifier; a bare-string type; a criteria page instead of text.
    assert (
        validate_open_badge(changed(("type",), ["VerifiableCredential", "AchievementCredential"]))
        == []
    )
    ob301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
    assert validate_open_badge(changed(("@context", 1), ob301)) == []
    with_di = changed(
        ("@context",),
        [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://w3id.org/security/data-integrity/v2",
        ],
    )
    assert validate_open_badge(with_di) == []
    assert validate_open_badge(changed((*SUBJECT, "id"), DELETE)) == []
    assert validate_open_badge(changed(("issuer", "type"), "Profile")) == []
    criteria_page = {"id": "https://fablab-cotonou.example/criteria/solder"}
    assert validate_open_badge(changed((*ACHIEVEMENT, "criteria"), criteria_page)) == []
    assert validate_open_badge(changed(("validUntil",), DELETE)) == []
    assert validate_open_badge(changed(("validFrom",), "2026-02-01T01:00:00+01:00")) == []


def test_a_subject_without_id_or_identifier() -> None:
    document = changed((*SUBJECT, "id"), DELETE)
    del document["credentialSubject"]["identifier"]
    assert validate_open_badge(document) == [
        "credentialSubject: must have an id (the holder's DID) or an identifier"
    ]


def test_every_problem_is_reported_at_once() -> None:
    document = valid_badge()
    del document["validFrom"]
    del document["issuer"]["id"]
    document["credentialSubject"]["achievement"]["criteria"] = {}
    assert len(validate_open_badge(document)) == 3


def test_not_a_badge_at_all() -> None:
    problems = validate_open_badge({})
    for prefix in (
        "@context:",
        "type:",
        "id:",
        "name:",
        "issuer:",
        "validFrom:",
        "credentialSubject:",
    ):
        assert any(p.startswith(prefix) for p in problems), (prefix, problems)
