"""The maker's passport: every badge issued to one holder DID, by any makerspace of the service,
shown only to whoever holds a share link the maker (or a makerspace that issued to them) made.

A share link's token is random (256 bits) and only its SHA-256 is stored. Every failure to open
a passport — no token, a wrong, revoked or expired one, a token for another passport, no badges —
is the same 404, so a link never tells whether a passport exists."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import exists, select
from sqlmodel import Session, col

from passport_vc.dids.syntax import parse_did
from passport_vc.errors import DidResolutionError, MalformedValueError
from passport_vc.services import credentials, makerspaces
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
)
from passport_vc.services.verdicts import VERDICTS, problem_in_words, state_of
from passport_vc.store import CredentialRecord, Equipment, EquipmentOperator, Facility, ShareLink
from passport_vc.timestamps import format_datetime_stamp, parse_datetime_stamp, utc_now

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
NOT_FOUND = "no passport is shared at this address; the link may be wrong, revoked or expired"
MAX_TOKEN_LENGTH = 128
MAX_MACHINES = 500  # shown on a passport page


class PresentationVerifier(Protocol):
    def verify_presentation(
        self, presentation: Any, *, challenge: str | None, domain: str | list[str] | None
    ) -> dict[str, Any]: ...


class CredentialVerifier(Protocol):
    def verify_credential(self, credential: Any) -> dict[str, Any]: ...


def checked_did(did: str) -> str:
    """`did` if it is a bare DID, else 422 naming the field `did`."""
    try:
        return parse_did(did).did
    except DidResolutionError as exc:
        raise InvalidFieldError(exc.detail, field="did") from None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- who may manage a holder's share links -----------------------------------------------------


def authorise_api_key(ctx: ServiceContext, did: str, api_key: str) -> str:
    """The actor name of a makerspace whose key this is and which issued a badge to `did`."""
    with ctx.db.session() as session:
        makerspace = makerspaces.authenticate(session, api_key)
        issued = session.execute(
            select(
                exists().where(
                    col(CredentialRecord.holder) == did,
                    col(CredentialRecord.makerspace_id) == makerspace.id,
                )
            )
        ).scalar()
    if not issued:
        raise ForbiddenError(
            f"makerspace {makerspace.slug} has issued no badge to this holder, so it cannot "
            "manage the holder's passport"
        )
    return f"makerspace:{makerspace.slug}"


def authorise_presentation(verifier: PresentationVerifier, did: str, presentation: Any) -> str:
    """ "holder" when `presentation` is the holder's own, signed (proof purpose authentication)
    over a fresh challenge from POST /challenges; 401 when it does not verify, 403 when it is
    someone else's."""
    if not isinstance(presentation, Mapping):
        raise InvalidFieldError(
            "verifiablePresentation must be a JSON object", field="verifiablePresentation"
        )
    challenge = _proof_challenge(presentation)
    if challenge is None:
        raise AuthenticationError(
            "the presentation must be signed over a challenge from POST /challenges "
            "(proof purpose authentication)"
        )
    result = verifier.verify_presentation(presentation, challenge=challenge, domain=None)
    if not result.get("verified"):
        reasons = "; ".join(
            problem_in_words(p)
            for p in result.get("problemDetails") or []
            if isinstance(p, Mapping)
        )
        raise AuthenticationError(f"the presentation does not verify: {reasons or 'no proof'}")
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, Mapping) else holder
    if holder != did:
        raise ForbiddenError("the presentation's holder is not the holder of this passport")
    return "holder"


def _proof_challenge(presentation: Mapping[str, Any]) -> str | None:
    proofs = presentation.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, Mapping) and isinstance(proof.get("challenge"), str):
            return str(proof["challenge"])
    return None


# --- share links --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedLink:
    id: str
    url: str
    expires_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "expiresAt": _stamp(self.expires_at)}


def parse_expiry(value: str | None) -> datetime | None:
    """An `expiresAt` dateTimeStamp in the future, or None; 422 naming `expiresAt` otherwise."""
    if value is None:
        return None
    try:
        moment = parse_datetime_stamp(value, "expiresAt")
    except MalformedValueError as exc:
        raise InvalidFieldError(exc.detail, field="expiresAt") from None
    if moment <= utc_now():
        raise InvalidFieldError("expiresAt: the link would be expired already", field="expiresAt")
    return moment


def passport_url(ctx: ServiceContext, did: str, token: str | None = None) -> str:
    url = f"{ctx.public_url}/passports/{quote(did, safe='')}"
    return f"{url}?token={token}" if token is not None else url


def create_link(
    ctx: ServiceContext, did: str, expires_at: datetime | None, created_by: str
) -> CreatedLink:
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        id=str(uuid.uuid4()),
        holder=did,
        token_hash=hash_token(token),
        created_at=utc_now(),
        expires_at=expires_at,
        created_by=created_by,
    )
    with ctx.db.session(write=True) as session:
        session.add(link)
    return CreatedLink(link.id, passport_url(ctx, did, token), expires_at)


def list_links(ctx: ServiceContext, did: str) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        rows = (
            session.execute(
                select(ShareLink)
                .where(col(ShareLink.holder) == did)
                .order_by(col(ShareLink.created_at), col(ShareLink.id))
            )
            .scalars()
            .all()
        )
        return [
            {
                "id": row.id,
                "created": _stamp(row.created_at),
                "createdBy": row.created_by,
                "expiresAt": _stamp(row.expires_at),
                "revoked": row.revoked_at is not None,
                "revokedAt": _stamp(row.revoked_at),
            }
            for row in rows
        ]


def revoke_link(ctx: ServiceContext, did: str, link_id: str) -> None:
    """Revoke one of `did`'s links (again is fine); 404 when `did` has no such link."""
    with ctx.db.session(write=True) as session:
        link = session.get(ShareLink, link_id) if len(link_id) <= 36 else None
        if link is None or link.holder != did:
            raise NotFoundError(f"this passport has no share link {link_id[:40]!r}")
        if link.revoked_at is None:
            link.revoked_at = utc_now()
            session.add(link)


def _stamp(moment: datetime | None) -> str | None:
    return format_datetime_stamp(moment) if moment is not None else None


# --- the passport -------------------------------------------------------------------------------


def _check_live(session: Session, did: str, token: str | None) -> None:
    """NotFoundError (always the same) unless `token` is a live share link of `did`."""
    if not token or len(token) > MAX_TOKEN_LENGTH or len(did) > 2000:
        raise NotFoundError(NOT_FOUND)
    link = session.execute(
        select(ShareLink).where(col(ShareLink.token_hash) == hash_token(token))
    ).scalar_one_or_none()
    now = utc_now()
    if (
        link is None
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
        or not secrets.compare_digest(link.holder.encode(), did.encode())
        or link.revoked_at is not None
        or (link.expires_at is not None and link.expires_at <= now)
    ):
        raise NotFoundError(NOT_FOUND)


def shared_page_url(ctx: ServiceContext, did: str, token: str | None) -> str:
    """The passport page's URL with its token, when the token is live (for its QR code)."""
    with ctx.db.session() as session:
        _check_live(session, did, token)
    assert token is not None
    return passport_url(ctx, did, quote(token, safe=""))


def open_passport(
    ctx: ServiceContext, did: str, token: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """(uuid, signed document) of every badge issued to `did`, oldest first, when `token` is a
    live share link of `did`'s passport; NotFoundError (the same one) otherwise."""
    with ctx.db.session() as session:
        _check_live(session, did, token)
        records = (
            session.execute(
                select(CredentialRecord)
                .where(col(CredentialRecord.holder) == did)
                .order_by(col(CredentialRecord.issued_at), col(CredentialRecord.id))
            )
            .scalars()
            .all()
        )
        return [(record.id, credentials.document_of(record)) for record in records]


def result_summary(uuid_: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """What a client needs of one badge's live verification result."""
    state = state_of(result)
    return {
        "id": uuid_,
        "verified": bool(result.get("verified")),
        "state": state,
        "verdict": VERDICTS[state],
        "issuer": result.get("issuer"),
        "skill": result.get("skill"),
        "problemDetails": list(result.get("problemDetails") or []),
    }


def passport_json(
    verifier: CredentialVerifier, did: str, badges: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    results = [
        result_summary(uuid_, verifier.verify_credential(document)) for uuid_, document in badges
    ]
    return {
        "holder": did,
        "credentials": [document for _, document in badges],
        "results": results,
    }


def presentation_of(did: str, badges: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An unsigned VerifiablePresentation of the badges: only the holder could sign one."""
    return {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [document for _, document in badges],
    }


def machines_operated(ctx: ServiceContext, did: str) -> list[dict[str, Any]]:
    """The facilities where `did` is an authorised operator, by name, each with the machines
    it may run there. For a caller already allowed to see this holder (a share link)."""
    with ctx.db.session() as session:
        rows = session.execute(
            select(Equipment, col(Facility.id), col(Facility.name))
            .join(EquipmentOperator, col(EquipmentOperator.equipment_id) == col(Equipment.id))
            .join(Facility, col(Facility.id) == col(Equipment.facility_id))
            .where(col(EquipmentOperator.holder) == did)
            .order_by(col(Facility.name), col(Facility.id), col(Equipment.id))
            .limit(MAX_MACHINES)
        ).all()
    facilities: dict[str, dict[str, Any]] = {}
    for machine, facility_id, name in rows:
        entry = facilities.setdefault(
            facility_id, {"id": facility_id, "name": name, "machines": []}
        )
        record = json.loads(machine.record)
        entry["machines"].append(
            {
                "id": machine.id,
                "type": machine.equipment_type,
                "process": machine.manufacturing_process,
                "make": record.get("make") if isinstance(record, Mapping) else None,
                "model": record.get("model") if isinstance(record, Mapping) else None,
            }
        )
    return list(facilities.values())
