"""Group commit: concurrent requests' inserts share one transaction and one round trip per
table, so throughput does not stop at one commit per badge.

Each submitted `InsertSet` is atomic: it is committed whole with its group, or, when the
group fails on a constraint, retried alone in its own transaction, so one request's collision
never fails another's. `submit` returns only after the commit, so an answer is never sent
for a write that is not durable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from passport_vc.store.database import Database

InsertSet = Mapping[Table, Sequence[Mapping[str, Any]]]
_STOP = object()


class GroupCommitWriter:
    def __init__(self, db: Database, *, max_group: int = 256) -> None:
        self._db = db
        self._max_group = max_group
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, inserts: InsertSet) -> None:
        """Insert the rows atomically; raises IntegrityError or StoreUnavailableError."""
        self._ensure_thread()
        future: Future[None] = Future()
        self._queue.put((inserts, future))
        future.result()

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
            group = [first]
            stop = False
            while len(group) < self._max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                group.append(item)
            self._commit(group)  # type: ignore[arg-type]
            if stop:
                return

    def _commit(self, group: list[tuple[InsertSet, Future[None]]]) -> None:
        if len(group) > 1:
            try:
                self._write([inserts for inserts, _ in group])
            except IntegrityError:
                pass  # someone's rows collide: fall back to one transaction each
            except BaseException as exc:
                for _, future in group:
                    future.set_exception(_translated(exc))
                return
            else:
                for _, future in group:
                    future.set_result(None)
                return
        for inserts, future in group:
            try:
                self._write([inserts])
            except BaseException as exc:
                future.set_exception(_translated(exc))
            else:
                future.set_result(None)

    def _write(self, sets: list[InsertSet]) -> None:
        merged: dict[Table, list[Mapping[str, Any]]] = {}
        for inserts in sets:
            for table, rows in inserts.items():
                merged.setdefault(table, []).extend(rows)
        with self._db.write_connection() as connection:
            for table, rows in merged.items():
                if rows:
                    connection.execute(insert(table), rows)


def _translated(exc: BaseException) -> BaseException:
    if isinstance(exc, IntegrityError):
        return exc
    if isinstance(exc, DBAPIError):
        from passport_vc.store.database import StoreUnavailableError, _unavailable

        return StoreUnavailableError(_unavailable(exc))
    return exc
