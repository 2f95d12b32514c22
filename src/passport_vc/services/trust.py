"""The trust registry: makerspaces registered here plus issuers an administrator adds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from passport_vc.dids.syntax import parse_did
from passport_vc.errors import PassportVcError
from passport_vc.services import audit
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, NotFoundError
from passport_vc.store import Makerspace, TrustedIssuer
from passport_vc.timestamps import utc_now


@dataclass(frozen=True)
class IssuerStanding:
    did: str
    name: str | None
    registered: bool  # a makerspace of this service
    trusted: bool  # registered, or added to the registry by an administrator
    makerspace: str | None = None  # its slug


def standing(session: Session, did: str | None) -> IssuerStanding | None:
    if did is None:
        return None
    makerspace = session.execute(
        select(Makerspace).where(col(Makerspace.did) == did)
    ).scalar_one_or_none()
    if makerspace is not None:
        return IssuerStanding(did, makerspace.name, True, True, makerspace.slug)
    added = session.get(TrustedIssuer, did)
    if added is not None:
        return IssuerStanding(did, added.name, False, True)
    return IssuerStanding(did, None, False, False)


def add_trusted_issuer(ctx: ServiceContext, actor: Actor, did: str, name: str) -> TrustedIssuer:
    try:
        parse_did(did)
    except PassportVcError as exc:
        raise InvalidFieldError(exc.detail, field="did") from None
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidFieldError("name must be 1 to 200 characters", field="name")
    with ctx.db.session(write=True) as session:
        record = session.get(TrustedIssuer, did) or TrustedIssuer(
            did=did, name=name, added_at=utc_now()
        )
        record.name = name.strip()
        session.add(record)
        audit.record(session, actor, "trust.add", did, {"name": name})
    return record


def remove_trusted_issuer(ctx: ServiceContext, actor: Actor, did: str) -> None:
    with ctx.db.session(write=True) as session:
        record = session.get(TrustedIssuer, did)
        if record is None:
            raise NotFoundError(f"{did} is not in the trust registry", field="did")
        session.delete(record)
        audit.record(session, actor, "trust.remove", did)


def list_trusted(session: Session) -> list[TrustedIssuer]:
    return list(session.execute(select(TrustedIssuer).order_by(col(TrustedIssuer.did))).scalars())
