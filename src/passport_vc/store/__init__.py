"""Persistence: SQLModel tables, sessions on SQLite or PostgreSQL, Alembic migrations."""

from passport_vc.store.database import Database, StoreUnavailableError
from passport_vc.store.tables import (
    AuditEvent,
    Challenge,
    Contract,
    CredentialRecord,
    Equipment,
    EquipmentOperator,
    Facility,
    FacilityTag,
    IdempotencyRecord,
    Makerspace,
    QualificationCheck,
    ShareLink,
    SigningKeyRecord,
    StatusEntry,
    StatusListCopy,
    StatusListRecord,
    TrustedIssuer,
)

__all__ = [
    "AuditEvent",
    "Challenge",
    "Contract",
    "CredentialRecord",
    "Database",
    "Equipment",
    "EquipmentOperator",
    "Facility",
    "FacilityTag",
    "IdempotencyRecord",
    "Makerspace",
    "QualificationCheck",
    "ShareLink",
    "SigningKeyRecord",
    "StatusEntry",
    "StatusListCopy",
    "StatusListRecord",
    "StoreUnavailableError",
    "TrustedIssuer",
]
