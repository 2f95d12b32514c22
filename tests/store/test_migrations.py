"""The Alembic migrations build exactly the schema the tables declare, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel
from tests.service.conftest import database_url, postgres_database  # noqa: F401

import passport_vc.store.tables  # noqa: F401
from passport_vc.store import Database


def test_migrations_match_the_tables(database_url: str) -> None:  # noqa: F811
    """After `upgrade head` there is nothing left for autogenerate to add or change."""
    db = Database(database_url)
    db.migrate()
    db.migrate()  # a second run is a no-op
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    db.dispose()
    assert diff == []
