"""Persistence: SQLModel tables, sessions on SQLite or PostgreSQL, Alembic migrations."""

from passport_vc.store.database import Database, StoreUnavailableError
from passport_vc.store.tables import (
    AuditEvent,
    Challenge,
    CredentialRecord,
    Makerspace,
    SigningKeyRecord,
    StatusEntry,
    StatusListRecord,
    TrustedIssuer,
)

__all__ = [
    "AuditEvent",
    "Challenge",
    "CredentialRecord",
    "Database",
    "Makerspace",
    "SigningKeyRecord",
    "StatusEntry",
    "StatusListRecord",
    "StoreUnavailableError",
    "TrustedIssuer",
]
