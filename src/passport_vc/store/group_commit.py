"""Group commit: concurrent requests' inserts share one transaction and one statement per
table, so throughput does not stop at one commit per badge.

Each submission is atomic: committed whole with its group, or refused whole. A submission
names the unique keys it claims (status list indices); the writer refuses, before inserting,
those whose claims are already taken in the database or by an earlier member of the group
(`ClaimTakenError`: the caller draws again), so one request's collision never fails the
others. Rows are inserted in key order, so two groups never wait on each other in a cycle.
`submit` returns only after the commit: no answer is sent for a write that is not durable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError

from passport_vc.store.database import (
    Database,
    StoreUnavailableError,
    is_transient,
    unavailable_detail,
)

Claim = tuple[int, int]
ClaimProbe = Callable[[Connection, list[Claim]], set[Claim]]
_STOP = object()


class ClaimTakenError(Exception):
    """A unique key this submission claims is taken: draw another and submit again."""


@dataclass
class Submission:
    inserts: Mapping[Table, Sequence[Mapping[str, Any]]]
    claims: list[Claim] = field(default_factory=list)
    future: Future[None] = field(default_factory=Future)


def is_retryable(exc: BaseException) -> bool:
    """A constraint collision, a deadlock or a serialization failure: retrying may succeed."""
    if isinstance(exc, IntegrityError | ClaimTakenError):
        return True
    if isinstance(exc, OperationalError):
        return is_transient(exc)
    return False


class GroupCommitWriter:
    def __init__(
        self, db: Database, probe: ClaimProbe | None = None, *, max_group: int = 256
    ) -> None:
        self._db = db
        self._probe = probe
        self._max_group = max_group
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit_nowait(
        self, inserts: Mapping[Table, Sequence[Mapping[str, Any]]], claims: list[Claim]
    ) -> Future[None]:
        """Queue the rows; the future resolves after the commit (or with the refusal)."""
        self._ensure_thread()
        submission = Submission(inserts, claims)
        self._queue.put(submission)
        return submission.future

    def submit(
        self, inserts: Mapping[Table, Sequence[Mapping[str, Any]]], claims: list[Claim]
    ) -> None:
        """Insert the rows atomically; raises ClaimTakenError, or StoreUnavailableError."""
        self.submit_nowait(inserts, claims).result()

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(_STOP)
                self._thread.join(timeout=10)
                self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="passport-vc-group-commit", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group: list[Submission] = [first]  # type: ignore[list-item]
            stop = False
            while len(group) < self._max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                group.append(item)  # type: ignore[arg-type]
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[Submission]) -> None:
        try:
            accepted = self._write(group)
        except BaseException as exc:
            if len(group) > 1 and is_retryable(exc):
                for member in group:  # a race the probe could not see: one at a time
                    self._commit([member])
                return
            for member in group:
                member.future.set_exception(_translated(exc))
            return
        for member in group:
            if member in accepted:
                member.future.set_result(None)
            else:
                member.future.set_exception(ClaimTakenError("a claimed index is taken"))

    def _write(self, group: list[Submission]) -> list[Submission]:
        with self._db.write_connection() as connection:
            taken: set[Claim] = set()
            if self._probe is not None:
                wanted = [claim for member in group for claim in member.claims]
                taken = self._probe(connection, wanted) if wanted else set()
            accepted: list[Submission] = []
            for member in group:
                if any(claim in taken for claim in member.claims):
                    continue
                taken.update(member.claims)
                accepted.append(member)
            merged: dict[Table, list[Mapping[str, Any]]] = {}
            for member in accepted:
                for table, rows in member.inserts.items():
                    merged.setdefault(table, []).extend(rows)
            inserts = [
                (table, sorted(rows, key=_row_order)) for table, rows in merged.items() if rows
            ]
            if not _insert_and_commit_pipelined(connection, inserts):
                for table, rows in inserts:
                    connection.execute(insert(table), rows)
        return accepted


def _insert_and_commit_pipelined(
    connection: Connection, inserts: list[tuple[Table, list[Mapping[str, Any]]]]
) -> bool:
    """On psycopg, send the inserts and the COMMIT in one pipeline: one round trip where the
    statements one by one take one each (and the writer waits for the GIL after each). The
    statements are SQLAlchemy's own (parameters processed as usual); the COMMIT is the
    driver's, so the enclosing transaction's commit finds nothing left to do. An error the
    server reports at the sync (a duplicate key) is raised as SQLAlchemy would raise it,
    after the transaction was rolled back. False (nothing done) on other drivers."""
    dialect = connection.dialect
    dbapi = dialect.loaded_dbapi
    pipeline_class = getattr(dbapi, "Pipeline", None)
    if dialect.driver != "psycopg" or pipeline_class is None or not pipeline_class.is_supported():
        return False
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            for table, rows in inserts:
                # inline(): no implicit RETURNING of a generated key for a single row (its
                # result would be wanted before the sync); nothing here reads it.
                connection.execute(insert(table).inline(), rows)
            driver.commit()  # type: ignore[union-attr]
    except dbapi.Error as exc:
        raise _as_sqlalchemy_error(connection, exc) from None
    return True


def _as_sqlalchemy_error(connection: Connection, exc: Exception) -> StatementError:
    """The SQLAlchemy exception for a driver error (IntegrityError, OperationalError, ...),
    the connection invalidated when the error says it is gone, as SQLAlchemy itself does."""
    dialect = connection.dialect
    invalidated = False
    if dialect.is_disconnect(cast(Any, exc), connection.connection.dbapi_connection, None):
        connection.invalidate(exc)
        invalidated = True
    return DBAPIError.instance(
        None,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=invalidated,
        dialect=dialect,
    )


def _row_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    # status_entry rows by their key; other tables keep a stable, harmless order.
    return (row.get("list_id", 0), row.get("idx", 0))


def _translated(exc: BaseException) -> BaseException:
    if is_retryable(exc):
        return ClaimTakenError(str(exc).splitlines()[0][:200])
    if isinstance(exc, DBAPIError):
        return StoreUnavailableError(unavailable_detail(exc))
    return exc
