"""The tables. Status bits live in `status_entry`, one row per allocated index, so a revocation
is a one-row update and two concurrent revocations can never overwrite each other's bits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone; PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


class Makerspace(SQLModel, table=True):
    __tablename__ = "makerspace"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    did: str = Field(max_length=400, unique=True)
    did_method: str = Field(max_length=8)
    url: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=320)
    location: str | None = Field(default=None, max_length=200)
    facility_url: str | None = Field(default=None, max_length=2000)
    api_key_hash: str = Field(max_length=64, unique=True)
    api_key_hint: str = Field(max_length=16)
    created_at: datetime = _utc()


class SigningKeyRecord(SQLModel, table=True):
    """A makerspace's Ed25519 key; only the sealed private key is stored (see keys/README.md)."""

    __tablename__ = "signing_key"

    id: int | None = Field(default=None, primary_key=True)
    # None: a key of the service's own DID (it signs qualification check records).
    makerspace_id: int | None = Field(default=None, foreign_key="makerspace.id", index=True)
    verification_method: str = Field(max_length=500, unique=True)
    fragment: str = Field(max_length=64)
    public_key_multibase: str = Field(max_length=64)
    sealed_private: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # active: signs new badges; published: still in the DID document (old badges verify);
    # retired: gone from the DID document.
    state: str = Field(max_length=12, index=True)
    created_at: datetime = _utc()
    retired_at: datetime | None = _utc(nullable=True)


class StatusListRecord(SQLModel, table=True):
    __tablename__ = "status_list"
    __table_args__ = (UniqueConstraint("makerspace_id", "purpose", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    makerspace_id: int = Field(foreign_key="makerspace.id", index=True)
    purpose: str = Field(max_length=16)
    seq: int
    length: int
    capacity: int
    full: bool = False
    # Bumped with every status change: the served list is rebuilt (and its ETag changes)
    # exactly when this moves, in whichever worker serves it.
    version: int = 0
    updated_at: datetime = _utc()


class StatusEntry(SQLModel, table=True):
    """One allocated index of a status list; the primary key makes allocation unique."""

    __tablename__ = "status_entry"

    list_id: int = Field(foreign_key="status_list.id", primary_key=True)
    idx: int = Field(primary_key=True)
    credential_id: str = Field(foreign_key="credential.id", index=True, max_length=36)
    status: int = 0


class CredentialRecord(SQLModel, table=True):
    __tablename__ = "credential"

    id: str = Field(primary_key=True, max_length=36)  # the UUID in /credentials/{id}
    credential_id: str = Field(max_length=2000, unique=True)  # the VC's own `id`
    makerspace_id: int = Field(foreign_key="makerspace.id", index=True)
    holder: str | None = Field(default=None, max_length=2000, index=True)
    skill_uri: str | None = Field(default=None, max_length=400, index=True)
    level: int | None = None
    issued_at: datetime = _utc(index=True)
    valid_until: datetime | None = _utc(nullable=True)
    document: str = Field(sa_column=Column(Text, nullable=False))


class Challenge(SQLModel, table=True):
    __tablename__ = "challenge"

    value: str = Field(primary_key=True, max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)
    used_at: datetime | None = _utc(nullable=True)


class TrustedIssuer(SQLModel, table=True):
    """Issuers an administrator trusts besides the makerspaces registered here."""

    __tablename__ = "trusted_issuer"

    did: str = Field(primary_key=True, max_length=400)
    name: str = Field(max_length=200)
    added_at: datetime = _utc()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    actor: str = Field(max_length=100)  # "admin", "cli", or "makerspace:<slug>"
    api_key_hint: str | None = Field(default=None, max_length=16)
    makerspace_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40, index=True)
    target: str = Field(max_length=2000)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    client: str | None = Field(default=None, max_length=100)


# --- machines (Open Know-Where) and contracts ---------------------------------------------


class Facility(SQLModel, table=True):
    """An OKW facility record; `record` is the OKW JSON as passport-vc exports it."""

    __tablename__ = "facility"

    id: str = Field(primary_key=True, max_length=36)
    makerspace_id: int | None = Field(default=None, foreign_key="makerspace.id", index=True)
    name: str = Field(max_length=300)
    country: str | None = Field(default=None, max_length=2, index=True)
    city: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    record: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class FacilityTag(SQLModel, table=True):
    """What a facility can be found by: its processes and its equipment types (URLs)."""

    __tablename__ = "facility_tag"

    facility_id: str = Field(foreign_key="facility.id", primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20)  # "process" | "equipmentType"
    value: str = Field(primary_key=True, max_length=500, index=True)


class Equipment(SQLModel, table=True):
    __tablename__ = "equipment"

    id: str = Field(primary_key=True, max_length=36)
    facility_id: str = Field(foreign_key="facility.id", index=True, max_length=36)
    equipment_type: str | None = Field(default=None, max_length=500, index=True)
    manufacturing_process: str | None = Field(default=None, max_length=500)
    record: str = Field(sa_column=Column(Text, nullable=False))  # OKW equipment JSON
    # [{"skill": <taxonomy skill URI>, "minLevel": n}], the slot OKW v1 left for future work
    skills_required: str = Field(default="[]", sa_column=Column(Text, nullable=False))


class EquipmentOperator(SQLModel, table=True):
    """A holder authorised to operate a machine (one row each, so additions never collide)."""

    __tablename__ = "equipment_operator"

    equipment_id: str = Field(foreign_key="equipment.id", primary_key=True, max_length=36)
    holder: str = Field(primary_key=True, max_length=2000)
    added_at: datetime = _utc()
    check_id: str | None = Field(default=None, max_length=36)  # the check that justified it


class Contract(SQLModel, table=True):
    """A distributed manufacturing contract; `record` holds item, parties, requirements,
    milestones and status as JSON (validated by the contracts service)."""

    __tablename__ = "contract"

    id: str = Field(primary_key=True, max_length=36)
    makerspace_id: int | None = Field(default=None, foreign_key="makerspace.id", index=True)
    record: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class QualificationCheck(SQLModel, table=True):
    """A stored decision: for a contract (all parties) or a machine (one holder)."""

    __tablename__ = "qualification_check"

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)  # "contract" | "equipment"
    contract_id: str | None = Field(default=None, foreign_key="contract.id", index=True)
    equipment_id: str | None = Field(default=None, foreign_key="equipment.id", index=True)
    passed: bool
    outcome: str = Field(sa_column=Column(Text, nullable=False))  # per party / requirement
    record_credential: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _utc(index=True)


class StatusListCopy(SQLModel, table=True):
    """The last good copy of a remote status list, for checks while its host is unreachable
    (used only while younger than the configured limit: fail closed after that)."""

    __tablename__ = "status_list_copy"

    url: str = Field(primary_key=True, max_length=2000)
    document: str = Field(sa_column=Column(Text, nullable=False))
    fetched_at: datetime = _utc()


# --- the maker's passport -----------------------------------------------------------------


class ShareLink(SQLModel, table=True):
    """A link that shows a holder's passport to whoever has it; only the token's SHA-256 is
    kept, so the database never holds a usable link."""

    __tablename__ = "share_link"

    id: str = Field(primary_key=True, max_length=36)
    holder: str = Field(max_length=2000, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _utc()
    expires_at: datetime | None = _utc(nullable=True)
    revoked_at: datetime | None = _utc(nullable=True)
    created_by: str = Field(max_length=100)  # "holder" or "makerspace:<slug>"


# --- retries that must not issue twice ------------------------------------------------------


class IdempotencyRecord(SQLModel, table=True):
    """An issuance request's `Idempotency-Key` (for a batch row: the key, '#', the row number),
    stored in the transaction that stores its credential: a retry with the same key and the
    same request gets that credential back instead of a second one."""

    __tablename__ = "idempotency_key"

    makerspace_id: int = Field(foreign_key="makerspace.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=300)
    request_hash: str = Field(max_length=64)
    credential_id: str = Field(foreign_key="credential.id", max_length=36, index=True)
    created_at: datetime = _utc()
