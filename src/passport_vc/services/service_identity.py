"""The service's own identity: a did:web of its public URL, which signs qualification check records.

The DID is `did_web_from_url(public_url)` (`did:web:hub.example` for https://hub.example), so
its document lives at `/.well-known/did.json` (or `<path>/did.json` when the public URL has a
path). The Ed25519 key is made on first use and stored sealed like a makerspace's, in a
`signing_key` row without a makerspace; two workers making it at once agree through the unique
verification method id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from passport_vc.dids.did_web import did_web_from_url
from passport_vc.dids.documents import build_did_document
from passport_vc.keys import PublicKey, SigningKey
from passport_vc.keystore import seal_private_key
from passport_vc.services.context import ServiceContext
from passport_vc.store import SigningKeyRecord
from passport_vc.timestamps import utc_now

FIRST_FRAGMENT = "key-1"
ACTIVE = "active"


def service_did(ctx: ServiceContext) -> str:
    return did_web_from_url(ctx.public_url)


def _records(session: Session, did: str) -> list[SigningKeyRecord]:
    return list(
        session.execute(
            select(SigningKeyRecord)
            .where(
                col(SigningKeyRecord.makerspace_id).is_(None),
                col(SigningKeyRecord.verification_method).startswith(did + "#", autoescape=True),
            )
            .order_by(col(SigningKeyRecord.id))
        ).scalars()
    )


def _create_first_key(ctx: ServiceContext, did: str) -> None:
    key = SigningKey.generate()
    method = f"{did}#{FIRST_FRAGMENT}"
    record = SigningKeyRecord(
        makerspace_id=None,
        verification_method=method,
        fragment=FIRST_FRAGMENT,
        public_key_multibase=key.public_key.multibase,
        sealed_private=seal_private_key(ctx.master_key, key, method),
        state=ACTIVE,
        created_at=utc_now(),
    )
    try:
        with ctx.db.session(write=True) as session:
            session.add(record)
    except IntegrityError:
        pass  # another worker made it first: theirs is the key


def key_records(ctx: ServiceContext) -> list[SigningKeyRecord]:
    """The service's keys (made on first use), oldest first."""
    did = service_did(ctx)
    with ctx.db.session() as session:
        found = _records(session, did)
    if found:
        return found
    _create_first_key(ctx, did)
    with ctx.db.session() as session:
        found = _records(session, did)
    if not found:
        raise RuntimeError(f"the signing key of {did} could not be created")
    return found


def signing_key(ctx: ServiceContext) -> tuple[SigningKey, str]:
    """The active key, opened from its sealed form, and its verification method id."""
    records = key_records(ctx)
    active = [r for r in records if r.state == ACTIVE] or records
    record = active[-1]
    key = ctx.keys.get(ctx.master_key, record.verification_method, record.sealed_private)
    return key, record.verification_method


def did_document(ctx: ServiceContext) -> dict[str, Any]:
    """The service's DID document (every key that is not retired)."""
    live = [r for r in key_records(ctx) if r.state != "retired"]
    return build_did_document(
        service_did(ctx),
        [(r.fragment, PublicKey.from_multibase(r.public_key_multibase)) for r in live],
    )
