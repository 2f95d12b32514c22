"""Building Open Badges 3.0 skill badges from the taxonomy, and reading the skill back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NoReturn

import pytest
from pyld import jsonld

from passport_vc.credentials.openbadges import (
    Evidence,
    IssuerProfile,
    add_months,
    build_skill_badge,
    skill_level_from_badge,
    validate_open_badge,
)
from passport_vc.errors import MalformedValueError
from passport_vc.jsonld.contexts import load_document
from passport_vc.jsonld.safe_rdf import to_nquads
from passport_vc.taxonomy import Taxonomy, UnknownLevelError, UnknownSkillError, load_taxonomy

ISSUER = IssuerProfile(
    id="did:web:ongola-fablab.example",
    name="Ongola Fablab",
    url="https://ongola-fablab.example",
    email="contact@ongola-fablab.example",
)
HOLDER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
START = datetime(2026, 1, 31, 9, 30, 15, 987654, tzinfo=UTC)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def badge(
    taxonomy: Taxonomy, code: str = "LASER-CUT", level: int = 3, **kwargs: Any
) -> dict[str, Any]:
    kwargs.setdefault("valid_from", START)
    return build_skill_badge(
        issuer=ISSUER,
        holder_did=HOLDER,
        skill=taxonomy.skill(code),
        level=level,
        taxonomy=taxonomy,
        **kwargs,
    )


def full_badge(taxonomy: Taxonomy, **kwargs: Any) -> dict[str, Any]:
    """A badge using every optional input, so every term the builder can emit is present."""
    return badge(
        taxonomy,
        "SAFETY-WORKSHOP",
        4,
        credential_id="urn:uuid:6a1f2b8e-6c1d-4a8e-9b3f-1f2e3d4c5b6a",
        holder_name="Amina Diallo",
        evidence=[
            Evidence(
                id="https://ongola-fablab.example/evidence/42",
                name="Observed induction",
                description="Ran the Saturday induction for six newcomers.",
                narrative="Assessed by *K. Mensah* against the induction checklist.",
                genre="Observation",
                audience="Makerspace members",
            ),
            Evidence(narrative="Passed the written safety quiz (18/20)."),
        ],
        **kwargs,
    )


def test_shape_of_a_skill_badge(taxonomy: Taxonomy) -> None:
    built = badge(taxonomy)
    assert built["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert built["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", built["id"])
    assert built["name"] == "Laser cutting — Level 3 Proficient"
    assert built["issuer"] == {
        "id": ISSUER.id,
        "type": ["Profile"],
        "name": "Ongola Fablab",
        "url": "https://ongola-fablab.example",
        "email": "contact@ongola-fablab.example",
    }
    assert built["validFrom"] == "2026-01-31T09:30:15Z"
    assert "validUntil" not in built  # laser cutting has no default validity
    assert "proof" not in built

    subject = built["credentialSubject"]
    assert subject["id"] == HOLDER
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == "https://passport-vc.org/skills/LASER-CUT#level-3"
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "Competency"
    assert achievement["name"] == built["name"]
    assert achievement["criteria"] == {"narrative": taxonomy.skill("LASER-CUT").criteria(3)}
    assert "±0.2 mm" in achievement["criteria"]["narrative"]

    skill_alignment, *esco = achievement["alignment"]
    assert skill_alignment["targetUrl"] == "https://passport-vc.org/skills/LASER-CUT"
    assert skill_alignment["targetCode"] == "LASER-CUT"
    assert skill_alignment["targetName"] == "Laser cutting"
    assert skill_alignment["targetFramework"] == taxonomy.name
    assert [a["targetUrl"] for a in esco] == [e.uri for e in taxonomy.skill("LASER-CUT").esco]
    assert all(a["targetFramework"] == "ESCO" and a["type"] == ["Alignment"] for a in esco)

    [description] = achievement["resultDescription"]
    assert description["resultType"] == "RubricCriterionLevel"
    assert [lv["id"] for lv in description["rubricCriterionLevel"]] == [
        f"https://passport-vc.org/skills/levels/{n}" for n in (1, 2, 3, 4)
    ]
    assert subject["result"] == [
        {
            "type": ["Result"],
            "resultDescription": description["id"],
            "achievedLevel": "https://passport-vc.org/skills/levels/3",
        }
    ]


def test_built_badges_pass_validation(taxonomy: Taxonomy) -> None:
    assert validate_open_badge(badge(taxonomy)) == []
    assert validate_open_badge(full_badge(taxonomy)) == []
    assert validate_open_badge(full_badge(taxonomy, scope="machine-authorisation")) == []
    for skill in taxonomy.skills:
        for level in (1, 4):
            assert validate_open_badge(badge(taxonomy, skill.code, level)) == [], skill.code


def _raise_dropped(expanded_property: Any) -> NoReturn:
    raise AssertionError(f"JSON-LD expansion dropped {expanded_property!r}")


def _relative_iris(node: Any) -> list[str]:
    """@id and @type values in expanded JSON-LD that are not absolute IRIs or blank nodes."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _relative_iris(item)
    elif isinstance(node, dict) and "@value" not in node:
        values = [node.get("@id"), *node.get("@type", [])]
        found += [
            v
            for v in values
            if isinstance(v, str) and not (v.startswith("_:") or re.match(r"[a-z][a-z0-9+.-]*:", v))
        ]
        for key, value in node.items():
            if not key.startswith("@") or key in ("@list", "@set", "@graph"):
                found += _relative_iris(value)
    return found


@pytest.mark.parametrize("scope", ["skill", "machine-authorisation"])
def test_expansion_drops_nothing(taxonomy: Taxonomy, scope: str) -> None:
    built = full_badge(
        taxonomy, scope=scope, achievement_base_url="https://ongola-fablab.example/a"
    )
    processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
    expanded = processor.expand(built, {"documentLoader": load_document, "base": None})
    assert _relative_iris(expanded) == []
    # The project's own safe RDF path agrees, and every string we wrote is in the N-Quads.
    nquads = to_nquads(built)
    for text in ("Amina Diallo", "Observed induction", "Makerspace members", "ext:MakerSkill"):
        assert text in nquads


def test_the_expansion_check_would_catch_an_undefined_term(taxonomy: Taxonomy) -> None:
    built = badge(taxonomy)
    built["credentialSubject"]["achievement"]["skillLevel"] = 3
    processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
    with pytest.raises(AssertionError, match="dropped"):
        processor.expand(built, {"documentLoader": load_document, "base": None})


def test_holder_name_travels_as_an_identity_object(taxonomy: Taxonomy) -> None:
    subject = full_badge(taxonomy)["credentialSubject"]
    # OB 3.0 defines no `name` on AchievementSubject; the display name is an IdentityObject.
    assert "name" not in subject
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": "Amina Diallo",
            "identityType": "name",
            "hashed": False,
        }
    ]
    assert set(subject) == {"id", "type", "achievement", "result", "identifier"}
    assert "identifier" not in badge(taxonomy)["credentialSubject"]


def test_evidence(taxonomy: Taxonomy) -> None:
    first, second = full_badge(taxonomy)["evidence"]
    assert first["type"] == ["Evidence"]
    assert first["id"] == "https://ongola-fablab.example/evidence/42"
    assert first["genre"] == "Observation"
    assert second == {"type": ["Evidence"], "narrative": "Passed the written safety quiz (18/20)."}
    assert "evidence" not in badge(taxonomy)


def test_machine_authorisation_is_a_license(taxonomy: Taxonomy) -> None:
    built = badge(taxonomy, scope="machine-authorisation")
    achievement = built["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "License"
    assert achievement["id"] == "https://passport-vc.org/skills/LASER-CUT#authorisation-level-3"
    assert "authorisation" in achievement["name"].lower()
    competency = badge(taxonomy)["credentialSubject"]["achievement"]
    assert competency["achievementType"] == "Competency"
    assert competency["id"] != achievement["id"]


def test_achievement_base_url(taxonomy: Taxonomy) -> None:
    built = badge(taxonomy, achievement_base_url="https://ongola-fablab.example/achievements/")
    achievement_id = built["credentialSubject"]["achievement"]["id"]
    assert achievement_id == "https://ongola-fablab.example/achievements/LASER-CUT/level-3"
    with pytest.raises(MalformedValueError, match="achievement_base_url"):
        badge(taxonomy, achievement_base_url="achievements/")


def test_valid_until_defaults_from_the_skill(taxonomy: Taxonomy) -> None:
    assert taxonomy.skill("SAFETY-WORKSHOP").default_validity_months == 24
    built = badge(taxonomy, "SAFETY-WORKSHOP", 1)
    assert built["validFrom"] == "2026-01-31T09:30:15Z"
    assert built["validUntil"] == "2028-01-31T09:30:15Z"
    explicit = datetime(2026, 6, 30, tzinfo=UTC)
    assert badge(taxonomy, "SAFETY-WORKSHOP", 1, valid_until=explicit)["validUntil"] == (
        "2026-06-30T00:00:00Z"
    )


def test_valid_from_defaults_to_now_in_utc_seconds(taxonomy: Taxonomy) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    built = build_skill_badge(
        issuer=ISSUER, holder_did=HOLDER, skill=taxonomy.skill("CAD-3D"), level=2, taxonomy=taxonomy
    )
    after = datetime.now(UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", built["validFrom"])
    assert before <= datetime.fromisoformat(built["validFrom"]) <= after


def test_offsets_are_written_in_utc(taxonomy: Taxonomy) -> None:
    lagos = timezone(timedelta(hours=1))
    built = badge(taxonomy, valid_from=datetime(2026, 3, 1, 8, 0, tzinfo=lagos))
    assert built["validFrom"] == "2026-03-01T07:00:00Z"


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2025, 11, 30, tzinfo=UTC), 3) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 5, 15, tzinfo=UTC), 24) == datetime(2028, 5, 15, tzinfo=UTC)


@pytest.mark.parametrize("level", [0, 5, -1])
def test_level_outside_the_scale_is_refused(taxonomy: Taxonomy, level: int) -> None:
    with pytest.raises(UnknownLevelError, match=rf"{level}.*1 to 4"):
        badge(taxonomy, level=level)


def test_skill_from_another_taxonomy_is_refused(taxonomy: Taxonomy) -> None:
    import dataclasses

    changed = dataclasses.replace(taxonomy.skill("LASER-CUT"), label="Laser cutting (old)")
    with pytest.raises(UnknownSkillError, match="LASER-CUT"):
        build_skill_badge(
            issuer=ISSUER, holder_did=HOLDER, skill=changed, level=2, taxonomy=taxonomy
        )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"holder_did": "Amina"}, "holder_did"),
        ({"holder_did": "https://amina.example"}, "holder_did"),
        ({"credential_id": "badge-1"}, "credential_id"),
        ({"evidence": [Evidence(id="evidence/1")]}, r"evidence\[0\].id"),
        ({"issuer": IssuerProfile(id="fablab", name="F")}, "issuer.id"),
        (
            {"issuer": IssuerProfile(id="did:web:f.example", name="F", url="f.example")},
            "issuer.url",
        ),
        ({"valid_from": datetime(2026, 1, 1)}, "timezone"),
        ({"valid_until": datetime(2025, 1, 1, tzinfo=UTC)}, "before valid_from"),
        ({"holder_name": "Amina\x00"}, "identifier.*control characters"),
        ({"evidence": [Evidence(narrative="bell\x07")]}, r"evidence\[0\].narrative"),
        ({"scope": "membership"}, "scope"),
    ],
)
def test_bad_input_is_refused(taxonomy: Taxonomy, kwargs: dict[str, Any], expected: str) -> None:
    arguments: dict[str, Any] = {
        "issuer": ISSUER,
        "holder_did": HOLDER,
        "skill": taxonomy.skill("LASER-CUT"),
        "level": 2,
        "taxonomy": taxonomy,
        "valid_from": START,
    }
    arguments.update(kwargs)
    with pytest.raises(MalformedValueError, match=expected):
        build_skill_badge(**arguments)


def test_skill_level_round_trip_for_every_skill(taxonomy: Taxonomy) -> None:
    for skill in taxonomy.skills:
        for level in (1, 2, 3, 4):
            built = badge(taxonomy, skill.code, level)
            assert skill_level_from_badge(built) == (skill.uri, level)
    machine = badge(taxonomy, "CNC-ROUTER", 2, scope="machine-authorisation")
    assert skill_level_from_badge(machine) == ("https://passport-vc.org/skills/CNC-ROUTER", 2)


def test_skill_level_is_none_when_the_badge_does_not_say(taxonomy: Taxonomy) -> None:
    assert skill_level_from_badge({}) is None
    built = badge(taxonomy)
    no_result = {**built, "credentialSubject": {**built["credentialSubject"], "result": []}}
    assert skill_level_from_badge(no_result) is None

    achievement = built["credentialSubject"]["achievement"]
    other_skill = {
        **achievement["alignment"][0],
        "targetUrl": "https://passport-vc.org/skills/CAD-2D",
    }
    two_skills = {**achievement, "alignment": [*achievement["alignment"], other_skill]}
    ambiguous = {
        **built,
        "credentialSubject": {**built["credentialSubject"], "achievement": two_skills},
    }
    assert skill_level_from_badge(ambiguous) is None

    foreign = [{"type": ["Alignment"], "targetName": "x", "targetUrl": "https://other.example/s/1"}]
    not_ours = {**achievement, "alignment": foreign}
    assert (
        skill_level_from_badge(
            {**built, "credentialSubject": {**built["credentialSubject"], "achievement": not_ours}}
        )
        is None
    )
