"""Engines and sessions for SQLite (default, embedded) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from passport_vc.errors import PassportVcError

_MIGRATION_LOCK = 0x70617373  # "pass": the PostgreSQL advisory lock held while migrating


class StoreUnavailableError(PassportVcError):
    """The database cannot be reached or is busy; the request may be retried."""

    title = "Service unavailable"


def normalize_url(url: str) -> str:
    """postgresql:// means psycopg 3 here; sqlite URLs pass through."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One per process. `session(write=True)` takes SQLite's write lock up front (BEGIN
    IMMEDIATE), so concurrent writers queue instead of failing with a lock upgrade deadlock."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = self._sqlite_engine(immediate=False)
            self.write_engine = self._sqlite_engine(immediate=True)
        else:
            self.engine = create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=4,  # the group-commit writer and stragglers
                pool_timeout=10,
            )
            self.write_engine = self.engine

    def _sqlite_engine(self, *, immediate: bool) -> Engine:
        engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits when the block ends without error."""
        engine = self.write_engine if write else self.engine
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except OperationalError as exc:
            if is_transient(exc):
                raise  # a deadlock or serialization failure: the caller retries
            raise StoreUnavailableError(unavailable_detail(exc)) from None

    @contextlib.contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (bulk inserts without the ORM's overhead)."""
        try:
            with self.write_engine.begin() as connection:
                yield connection
        except OperationalError as exc:
            if is_transient(exc):
                raise
            raise StoreUnavailableError(unavailable_detail(exc)) from None

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision, once even with many workers."""
        from passport_vc.store.migrations import upgrade_to_head

        if self.is_sqlite:
            database = make_url(self.url).database
            lock_path = Path(f"{database}.migrate.lock") if database else None
            with _file_lock(lock_path), self.write_engine.connect() as connection:
                upgrade_to_head(connection)
        else:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                try:
                    upgrade_to_head(connection)
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK}
                    )
                    connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def is_transient(exc: DBAPIError) -> bool:
    """A deadlock or a serialization failure: the transaction may simply be retried."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def unavailable_detail(exc: DBAPIError) -> str:
    orig = str(exc.orig).splitlines()[0] if exc.orig is not None else "unknown error"
    return f"the database is unavailable ({orig[:200]}); retry shortly"


@contextlib.contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    if path is None or str(path).startswith(":memory:"):
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
