"""Which status list indices are already allocated (the group-commit writer's probe)."""

from __future__ import annotations

from sqlalchemy import Connection, select, tuple_
from sqlmodel import col

from passport_vc.store.tables import StatusEntry

_PROBE_CHUNK = 500


def taken_status_indices(
    connection: Connection, claims: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The (list id, index) pairs among `claims` that a stored status entry already holds."""
    taken: set[tuple[int, int]] = set()
    pairs = sorted(set(claims))
    for start in range(0, len(pairs), _PROBE_CHUNK):
        part = pairs[start : start + _PROBE_CHUNK]
        rows = connection.execute(
            select(col(StatusEntry.list_id), col(StatusEntry.idx)).where(
                tuple_(col(StatusEntry.list_id), col(StatusEntry.idx)).in_(part)
            )
        )
        taken.update((int(list_id), int(idx)) for list_id, idx in rows)
    return taken
