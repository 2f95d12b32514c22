"""A verification result in plain words: who issued the badge (and whether it is a makerspace
registered here), to whom, which skill at which level, and whether it is valid now or why not.
The badge page and the verify page both render it through templates/_badge.html."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from passport_vc.services.verdicts import VERDICTS, problem_in_words, state_of


def when(value: Any) -> str | None:
    """An XSD dateTime as `24 November 2026, 04:19 UTC`; other text as is."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    text = f"{moment.day} {moment:%B %Y}"
    if (moment.hour, moment.minute) != (0, 0):
        text += f", {moment:%H:%M}"
    offset = moment.utcoffset()
    return text + (" UTC" if offset is not None and not offset else "")


def holder_name(subject: Mapping[str, Any]) -> str | None:
    """The holder's name if the badge carries one in the clear (IdentityObject, "name")."""
    for item in _as_list(subject.get("identifier")):
        if (
            isinstance(item, Mapping)
            and item.get("identityType") == "name"
            and not item.get("hashed")
            and isinstance(item.get("identityHash"), str)
        ):
            return str(item["identityHash"])
    return None


def evidence_of(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in _as_list(credential.get("evidence")):
        if not isinstance(item, Mapping):
            continue
        texts = [
            str(item[k])
            for k in ("name", "description", "narrative")
            if isinstance(item.get(k), str)
        ]
        link = item.get("id")
        out.append({"text": " — ".join(texts), "url": link if isinstance(link, str) else None})
    return out


def badge_view(credential: Any, result: Mapping[str, Any]) -> dict[str, Any]:
    """What the page shows about one credential and its verification result."""
    document: Mapping[str, Any] = credential if isinstance(credential, Mapping) else {}
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    if not isinstance(subject, Mapping):
        subject = {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    claimed_issuer = document.get("issuer")
    issuer: Mapping[str, Any] = result.get("issuer") or {}
    issuer_name = issuer.get("name")
    if not issuer_name and isinstance(claimed_issuer, Mapping):
        issuer_name = claimed_issuer.get("name")
    issuer_did = issuer.get("id") or (
        claimed_issuer.get("id") if isinstance(claimed_issuer, Mapping) else claimed_issuer
    )
    skill: Mapping[str, Any] = result.get("skill") or {}
    state = state_of(result)
    holder = subject.get("id")
    return {
        "id": document.get("id") if isinstance(document.get("id"), str) else None,
        "state": state,
        "ok": state == "valid",
        "verdict": VERDICTS[state],
        "problems": [
            problem_in_words(p)
            for p in result.get("problemDetails") or []
            if isinstance(p, Mapping)
        ],
        "warnings": [
            problem_in_words(p) for p in result.get("warnings") or [] if isinstance(p, Mapping)
        ],
        "skill": {
            "label": skill.get("label") or achievement.get("name") or document.get("name"),
            "code": skill.get("code"),
            "category": skill.get("category"),
            "level": skill.get("level"),
            "level_name": skill.get("levelName"),
            "criteria": skill.get("criteria"),
        },
        "holder": {
            "did": holder if isinstance(holder, str) else None,
            "name": holder_name(subject),
        },
        "issuer": {
            "did": issuer_did if isinstance(issuer_did, str) else None,
            "name": issuer_name if isinstance(issuer_name, str) else None,
            "registered": bool(issuer.get("registered")),
            "trusted": bool(issuer.get("trusted")),
            "makerspace": issuer.get("makerspace"),
        },
        "issued": when(document.get("validFrom") or document.get("issuanceDate")),
        "expires": when(document.get("validUntil") or document.get("expirationDate")),
        "evidence": evidence_of(document),
        "technical": technical(result),
    }


def og_title(view: Mapping[str, Any]) -> str:
    """`<skill> — level <n> — <issuer>`."""
    skill, issuer = view["skill"], view["issuer"]
    parts = [str(skill["label"] or "Skill badge")]
    if skill["level"] is not None:
        parts.append(f"level {skill['level']}")
    parts.append(str(issuer["name"] or issuer["did"] or "unknown issuer"))
    return " — ".join(parts)


def technical(result: Mapping[str, Any]) -> str:
    """The raw result, pretty-printed, without the echoed document."""
    shown = {k: v for k, v in result.items() if k not in ("credential", "presentation")}
    return json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=False)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
