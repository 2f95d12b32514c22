"""Alembic environment: always given a live connection by passport_vc.store.migrations."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import passport_vc.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through passport_vc.store.Database.migrate()")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
