"""Varied Open Badges 3.0 skill badges for benchmarks: several shapes, every value different."""

from __future__ import annotations

import random
from typing import Any

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SKILLS = ["LASER-CUT", "FDM-PRINT", "CNC-ROUTER", "SOLDER-THT", "SAFETY-WORKSHOP", "CAD-3D"]
NAMES = ["Amina", "Kofi", "Léa", "Jonas", "Ngozi", "Sipho", "Chloé", "Yaw", "Fatou", "Lukas"]


def make_badges(n: int, issuer_did: str, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        skill = rng.choice(SKILLS)
        level = rng.randint(1, 4)
        n_align = rng.randint(1, 3)  # the taxonomy skill plus 0-2 ESCO concepts: a few shapes
        alignment = [
            {
                "type": ["Alignment"],
                "targetName": f"{skill} alignment {j} for badge {i}",
                "targetUrl": f"http://data.europa.eu/esco/skill/{rng.getrandbits(128):032x}",
                "targetCode": f"{skill}-{j}",
                "targetFramework": "ESCO" if j else "passport-vc maker skills",
            }
            for j in range(n_align)
        ]
        badge: dict[str, Any] = {
            "@context": CONTEXT,
            "id": f"urn:uuid:{rng.getrandbits(128):032x}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": f"{skill} — Level {level}",
            "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Fablab Cotonou"},
            "validFrom": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
            "credentialSubject": {
                "id": f"did:key:z6Mk{rng.getrandbits(200):050x}",
                "type": ["AchievementSubject"],
                "name": rng.choice(NAMES) + f" #{i}",
                "achievement": {
                    "id": f"https://passport-vc.org/skills/{skill}#level-{level}",
                    "type": ["Achievement"],
                    "achievementType": "Competency",
                    "name": f"{skill} level {level}",
                    "description": (
                        f'Can operate at level {level}; record {i}, "quoted" and \\ slashed.'
                    ),
                    "criteria": {"narrative": f"Observed practice #{i} by an assessor."},
                    "alignment": alignment,
                },
            },
        }
        if rng.random() < 0.5:
            badge["evidence"] = [
                {
                    "type": ["Evidence"],
                    "name": f"Project {i}",
                    "narrative": f"Cut {i} parts to ±0.2 mm.",
                }
            ]
        out.append(badge)
    return out
