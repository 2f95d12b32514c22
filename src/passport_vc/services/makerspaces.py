"""Registering makerspaces, their API keys, DIDs and signing keys (with rotation)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from passport_vc.credentials.openbadges import IssuerProfile
from passport_vc.dids.did_key import resolve_did_key
from passport_vc.dids.did_web import did_web_from_url
from passport_vc.dids.documents import build_did_document
from passport_vc.keys import PublicKey, SigningKey
from passport_vc.keystore import seal_private_key
from passport_vc.services import audit
from passport_vc.services.audit import Actor
from passport_vc.services.context import ISSUING_STATE_TTL, ServiceContext
from passport_vc.services.errors import (
    AuthenticationError,
    ConflictError,
    InvalidFieldError,
    NotFoundError,
)
from passport_vc.store import Makerspace, SigningKeyRecord
from passport_vc.timestamps import format_utc_instant, utc_now

API_KEY_PREFIX = "pvc_"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
ACTIVE, PUBLISHED, RETIRED = "active", "published", "retired"


@dataclass(frozen=True)
class NewMakerspace:
    makerspace: Makerspace
    api_key: str  # shown once; only its SHA-256 is stored


def hash_api_key(api_key: str) -> str:
    # API keys carry 256 random bits, so a plain SHA-256 cannot be reversed by guessing.
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_hint(api_key: str) -> str:
    return api_key[len(API_KEY_PREFIX) : len(API_KEY_PREFIX) + 8]


def slug_from_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "makerspace"


def _check_profile(
    name: str, slug: str, url: str | None, email: str | None, facility_url: str | None
) -> None:
    if not name.strip() or len(name) > 200:
        raise InvalidFieldError("name must be 1 to 200 characters", field="name")
    if not _SLUG.fullmatch(slug):
        raise InvalidFieldError(
            "slug must be 1 to 64 lowercase letters, digits or inner hyphens", field="slug"
        )
    for field_name, value in (("url", url), ("facilityUrl", facility_url)):
        if value is not None and not re.fullmatch(r"https?://[^\s]{1,1990}", value):
            raise InvalidFieldError(f"{field_name} must be an http(s) URL", field=field_name)
    if email is not None and not _EMAIL.fullmatch(email):
        raise InvalidFieldError("email must be an e-mail address", field="email")


def _new_key_record(
    ctx: ServiceContext, makerspace_id: int, did: str, did_method: str, fragment_no: int
) -> SigningKeyRecord:
    key = SigningKey.generate()
    multibase = key.public_key.multibase
    fragment = multibase if did_method == "key" else f"key-{fragment_no}"
    vm = f"{did}#{fragment}"
    return SigningKeyRecord(
        makerspace_id=makerspace_id,
        verification_method=vm,
        fragment=fragment,
        public_key_multibase=multibase,
        sealed_private=seal_private_key(ctx.master_key, key, vm),
        state=ACTIVE,
        created_at=utc_now(),
    )


def create_makerspace(
    ctx: ServiceContext,
    actor: Actor,
    *,
    name: str,
    slug: str | None = None,
    did_method: str | None = None,
    url: str | None = None,
    email: str | None = None,
    location: str | None = None,
    facility_url: str | None = None,
) -> NewMakerspace:
    """Register a makerspace with a fresh Ed25519 key and API key."""
    slug = slug if slug is not None else slug_from_name(name)
    _check_profile(name, slug, url, email, facility_url)
    method = did_method or ctx.settings.did_method
    if method not in ("web", "key"):
        raise InvalidFieldError("did_method must be 'web' or 'key'", field="did_method")
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    first_key = SigningKey.generate()
    did = (
        did_web_from_url(ctx.public_url, ["makerspaces", slug])
        if method == "web"
        else first_key.did_key
    )
    record = Makerspace(
        slug=slug,
        name=name.strip(),
        did=did,
        did_method=method,
        url=url,
        email=email,
        location=location,
        facility_url=facility_url,
        api_key_hash=hash_api_key(api_key),
        api_key_hint=api_key_hint(api_key),
        created_at=utc_now(),
    )
    try:
        with ctx.db.session(write=True) as session:
            session.add(record)
            session.flush()
            assert record.id is not None
            fragment = first_key.public_key.multibase if method == "key" else "key-1"
            vm = f"{did}#{fragment}"
            session.add(
                SigningKeyRecord(
                    makerspace_id=record.id,
                    verification_method=vm,
                    fragment=fragment,
                    public_key_multibase=first_key.public_key.multibase,
                    sealed_private=seal_private_key(ctx.master_key, first_key, vm),
                    state=ACTIVE,
                    created_at=utc_now(),
                )
            )
            audit.record(
                session,
                replace(actor, makerspace_id=record.id),
                "makerspace.create",
                did,
                {"slug": slug, "name": name},
            )
    except IntegrityError:
        raise ConflictError(
            f"a makerspace with slug {slug!r} already exists", field="slug"
        ) from None
    return NewMakerspace(record, api_key)


def authenticate(session: Session, api_key: str) -> Makerspace:
    if not api_key.startswith(API_KEY_PREFIX):
        raise AuthenticationError("the API key is not valid")
    found: Makerspace | None = session.execute(
        select(Makerspace).where(col(Makerspace.api_key_hash) == hash_api_key(api_key))
    ).scalar_one_or_none()
    if found is None:
        raise AuthenticationError("the API key is not valid")
    return found


def by_slug(session: Session, slug: str) -> Makerspace:
    found: Makerspace | None = session.execute(
        select(Makerspace).where(col(Makerspace.slug) == slug)
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no makerspace with slug {slug!r}")
    return found


def by_did(session: Session, did: str) -> Makerspace | None:
    return session.execute(
        select(Makerspace).where(col(Makerspace.did) == did)
    ).scalar_one_or_none()


def list_makerspaces(session: Session) -> list[Makerspace]:
    return list(session.execute(select(Makerspace).order_by(col(Makerspace.slug))).scalars())


def keys_of(session: Session, makerspace_id: int) -> list[SigningKeyRecord]:
    return list(
        session.execute(
            select(SigningKeyRecord)
            .where(col(SigningKeyRecord.makerspace_id) == makerspace_id)
            .order_by(col(SigningKeyRecord.id))
        ).scalars()
    )


def active_key(ctx: ServiceContext, session: Session, makerspace_id: int) -> tuple[SigningKey, str]:
    """The key that signs new badges, opened from its sealed form, and its method id."""
    record = session.execute(
        select(SigningKeyRecord).where(
            col(SigningKeyRecord.makerspace_id) == makerspace_id,
            col(SigningKeyRecord.state) == ACTIVE,
        )
    ).scalar_one()
    key = ctx.keys.get(ctx.master_key, record.verification_method, record.sealed_private)
    return key, record.verification_method


def did_document(session: Session, makerspace: Makerspace) -> dict[str, Any]:
    """The makerspace's DID document: its active key and every key not yet retired."""
    if makerspace.did_method == "key":
        return resolve_did_key(makerspace.did)
    assert makerspace.id is not None
    live = [k for k in keys_of(session, makerspace.id) if k.state != RETIRED]
    return build_did_document(
        makerspace.did,
        [(k.fragment, PublicKey.from_multibase(k.public_key_multibase)) for k in live],
    )


def issuer_profile(makerspace: Makerspace) -> IssuerProfile:
    return IssuerProfile(
        id=makerspace.did, name=makerspace.name, url=makerspace.url, email=makerspace.email
    )


def rotate_key(ctx: ServiceContext, actor: Actor, slug: str) -> str:
    """A new active key; the old one stays published (old badges keep verifying)."""
    with ctx.db.session(write=True) as session:
        makerspace = by_slug(session, slug)
        if makerspace.did_method == "key":
            raise ConflictError(
                f"{slug} uses did:key, whose identifier is its key: it cannot rotate keys; "
                "register a did:web makerspace instead"
            )
        assert makerspace.id is not None
        existing = keys_of(session, makerspace.id)
        for record in existing:
            if record.state == ACTIVE:
                record.state = PUBLISHED
                session.add(record)
        session.flush()
        new = _new_key_record(ctx, makerspace.id, makerspace.did, "web", len(existing) + 1)
        session.add(new)
        audit.record(
            session,
            replace(actor, makerspace_id=makerspace.id),
            "key.rotate",
            makerspace.did,
            {"newKey": new.verification_method},
        )
    ctx.issuing_state.drop(makerspace.id)
    return new.verification_method


def retire_key(ctx: ServiceContext, actor: Actor, slug: str, key: str) -> str:
    """Drop a published key from the DID document: badges it signed stop verifying."""
    with ctx.db.session() as session:
        found = by_slug(session, slug)
        assert found.id is not None
        newest = max(k.created_at for k in keys_of(session, found.id))
    # Workers may sign with the key they read up to ISSUING_STATE_TTL ago; let a fresh
    # rotation reach all of them before a key they might still use leaves the DID document.
    settle = 2 * ISSUING_STATE_TTL - (utc_now() - newest).total_seconds()
    if settle > 0:
        time.sleep(settle)
    with ctx.db.session(write=True) as session:
        makerspace = by_slug(session, slug)
        assert makerspace.id is not None
        for record in keys_of(session, makerspace.id):
            if key in (record.fragment, record.verification_method):
                if record.state == ACTIVE:
                    raise ConflictError(
                        f"{record.verification_method} is the active key; rotate first", field="key"
                    )
                if record.state == PUBLISHED:
                    record.state = RETIRED
                    record.retired_at = utc_now()
                    session.add(record)
                    audit.record(
                        session,
                        replace(actor, makerspace_id=makerspace.id),
                        "key.retire",
                        record.verification_method,
                    )
                return record.verification_method
        raise NotFoundError(f"{slug} has no key {key!r}", field="key")


def public_view(
    makerspace: Makerspace, keys: list[SigningKeyRecord] | None = None
) -> dict[str, Any]:
    """What anyone may see of a makerspace (never the API key hash or private keys)."""
    view: dict[str, Any] = {
        "id": makerspace.id,
        "slug": makerspace.slug,
        "name": makerspace.name,
        "did": makerspace.did,
        "didMethod": makerspace.did_method,
        "url": makerspace.url,
        "email": makerspace.email,
        "location": makerspace.location,
        "facilityUrl": makerspace.facility_url,
        "createdAt": format_utc_instant(makerspace.created_at),
    }
    if keys is not None:
        view["keys"] = [
            {
                "id": k.verification_method,
                "publicKeyMultibase": k.public_key_multibase,
                "state": k.state,
                "createdAt": format_utc_instant(k.created_at),
            }
            for k in keys
        ]
    return view
