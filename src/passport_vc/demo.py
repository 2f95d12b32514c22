"""Demo data for `make run`: a makerspace, a maker with a did:key, and a few badges."""

from __future__ import annotations

import json
import os
from typing import Any

from passport_vc.keys import SigningKey
from passport_vc.services import credentials, issuance, makerspaces, status_lists
from passport_vc.services.audit import Actor
from passport_vc.services.badge_requests import parse_badge_request
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import NotFoundError

DEMO_SLUG = "demo-fablab"
ACTOR = Actor(name="demo")
BADGES = (("LASER-CUT", 3), ("FDM-PRINT", 2), ("CNC-ROUTER", 1))


def seed_demo(ctx: ServiceContext) -> dict[str, Any]:
    """Create the demo data once; later calls return what the first one wrote down.

    The demo API key and the maker's secret key are kept in `demo.json` in the data dir (0600)
    because a demo is for trying things: never do this with a real makerspace's key.
    """
    record_file = ctx.settings.data_dir / "demo.json"
    with ctx.db.session() as session:
        try:
            makerspaces.by_slug(session, DEMO_SLUG)
            exists = True
        except NotFoundError:
            exists = False
    if exists and record_file.exists():
        loaded: dict[str, Any] = json.loads(record_file.read_text())
        return loaded
    if exists:
        raise NotFoundError(f"{DEMO_SLUG} exists but {record_file} is gone; use another data dir")
    created = makerspaces.create_makerspace(
        ctx,
        ACTOR,
        name="Demo Fablab",
        slug=DEMO_SLUG,
        url="https://fablab.example",
        email="hello@fablab.example",
        location="Cotonou, Benin",
    )
    maker = SigningKey.generate()
    issued = []
    for code, level in BADGES:
        request = parse_badge_request(
            {
                "holder": maker.did_key,
                "holderName": "Amina Diallo",
                "skill": code,
                "level": level,
                "evidence": f"Observed by staff of the Demo Fablab ({code}, level {level}).",
            },
            ctx.taxonomy,
        )
        draft = issuance.draft_badge(ctx, created.makerspace, request)
        issuance.issue_one(ctx, ACTOR, created.makerspace, draft)
        issued.append(draft.uuid)
    credentials.change_status(ctx, ACTOR, created.makerspace, issued[-1], "suspension", True)
    with ctx.db.session() as session:
        assert created.makerspace.id is not None
        revocation = status_lists.current_list(ctx, session, created.makerspace.id, "revocation")
    info = {
        "slug": DEMO_SLUG,
        "did": created.makerspace.did,
        "api_key": created.api_key,
        "maker": {"did": maker.did_key, "secretKeyMultibase": maker.secret_multibase()},
        "credentials": issued,
        "status_list": status_lists.list_url(ctx, revocation.id or 0),
    }
    fd = os.open(record_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle, indent=2)
    return info
