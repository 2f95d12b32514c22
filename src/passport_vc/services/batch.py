"""Batches of badges (JSON rows or a CSV file): each row is issued whole or reported failed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from passport_vc.services import idempotency, issuance
from passport_vc.services.audit import Actor
from passport_vc.services.badge_requests import BadgeRequest, parse_badge_request
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, ServiceError
from passport_vc.store import Makerspace

CSV_COLUMNS = ("holder", "holderName", "skill", "level", "evidence", "validUntil", "scope")
PROGRESS_STEP = 1000
NUL, NUL_ESCAPE = "\x00", "\\u0000"


@dataclass
class BatchResult:
    rows: list[dict[str, Any]]

    @property
    def issued(self) -> int:
        return sum(1 for row in self.rows if row["status"] == "issued")

    def to_json(self, *, include_credentials: bool = False) -> dict[str, Any]:
        rows = self.rows
        if not include_credentials:
            rows = [{k: v for k, v in row.items() if k != "verifiableCredential"} for row in rows]
        return {
            "total": len(self.rows),
            "issued": self.issued,
            "failed": len(self.rows) - self.issued,
            "results": rows,
        }


def parse_csv(data: bytes, max_rows: int) -> list[dict[str, Any]]:
    """Rows of a CSV with a header naming some of CSV_COLUMNS (UTF-8, BOM allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidFieldError(f"the CSV is not UTF-8 (byte {exc.start})", field="file") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []  # reads the first row: it can be malformed too
    except csv.Error as exc:
        raise InvalidFieldError(f"malformed CSV header: {exc}", field="file") from None
    if not header:
        raise InvalidFieldError(
            "the CSV is empty; its first line must name the columns", field="file"
        )
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise InvalidFieldError(
            f"unknown CSV column {unknown[0]!r}; columns are {', '.join(CSV_COLUMNS)}",
            field=f"file.{unknown[0].replace(NUL, NUL_ESCAPE)}",
        )
    for required in ("holder", "skill", "level"):
        if required not in header:
            raise InvalidFieldError(
                f"the CSV needs a {required!r} column", field=f"file.{required}"
            )
    rows: list[dict[str, Any]] = []
    try:
        for row in reader:
            if len(rows) >= max_rows:
                raise InvalidFieldError(f"a batch holds at most {max_rows} rows", field="file")
            if None in row:
                rows.append({"__error__": "the row has more cells than the header has columns"})
                continue
            rows.append({k: v for k, v in row.items() if v not in (None, "")})
    except csv.Error as exc:
        raise InvalidFieldError(
            f"malformed CSV at line {reader.line_num}: {exc}", field="file"
        ) from None
    return rows


@dataclass(frozen=True)
class CheckedRow:
    """One row after the checks issue_batch makes before it signs anything: its badge request
    and unsigned draft, or the error naming the wrong field."""

    row: int
    raw: Any
    request: BadgeRequest | None = None
    draft: issuance.Draft | None = None
    error: ServiceError | None = None


def _check_size(ctx: ServiceContext, rows: Sequence[Any]) -> None:
    if len(rows) > ctx.settings.max_batch_rows:
        raise InvalidFieldError(
            f"a batch holds at most {ctx.settings.max_batch_rows} rows, got {len(rows)}",
            field="rows",
        )


def draft_row(
    ctx: ServiceContext, makerspace: Makerspace, raw: Any
) -> tuple[BadgeRequest, issuance.Draft]:
    """The checks issue_batch makes on one row; ServiceError naming the field when it fails."""
    if isinstance(raw, Mapping) and "__error__" in raw:
        raise InvalidFieldError(str(raw["__error__"]), field="(row)")
    if isinstance(raw, Mapping) and (field := _holding_nul(raw)) is not None:
        raise InvalidFieldError(
            f"{field} contains the NUL character ({NUL_ESCAPE}), which no text here may hold",
            field=field,
        )
    request = parse_badge_request(raw, ctx.taxonomy)
    return request, issuance.draft_badge(ctx, makerspace, request)


def _holding_nul(row: Mapping[Any, Any]) -> str | None:
    """The first field (a CSV column) whose name or value holds the NUL character, which
    PostgreSQL text cannot hold (the API refuses it in JSON bodies too, api/schemas.py); a CSV
    reads it like any other character."""
    for name, value in row.items():
        stack: list[Any] = [name, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if NUL in item:
                    return str(name).replace(NUL, NUL_ESCAPE)
            elif isinstance(item, Mapping):
                stack.extend([*item.keys(), *item.values()])
            elif isinstance(item, list):
                stack.extend(item)
    return None


def check_rows(
    ctx: ServiceContext, makerspace: Makerspace, rows: Sequence[Any]
) -> list[CheckedRow]:
    """Every row checked as issue_batch would check it, with nothing signed or stored: a
    preview. A row that passes can still fail when issued only if it cannot be signed."""
    _check_size(ctx, rows)
    checked = []
    for number, raw in enumerate(rows):
        try:
            request, draft = draft_row(ctx, makerspace, raw)
        except ServiceError as exc:
            checked.append(CheckedRow(number, raw, error=exc))
            continue
        checked.append(CheckedRow(number, raw, request=request, draft=draft))
    return checked


def issue_batch(
    ctx: ServiceContext,
    actor: Actor,
    makerspace: Makerspace,
    rows: Sequence[Any],
    progress: Callable[[int], None] | None = None,
    idempotency_key: str | None = None,
) -> BatchResult:
    """Check every row, then issue the good ones; the answer has one entry per row.

    With an idempotency key, row n is stored under '<key>#<n>': sending the same batch again
    (after a timeout or a crash) returns the rows already issued, marked `replayed`, and
    issues only the others."""
    _check_size(ctx, rows)
    results: list[dict[str, Any]] = [{} for _ in rows]
    drafts: list[tuple[int, issuance.Draft]] = []
    for number, raw in enumerate(rows):
        try:
            draft = draft_row(ctx, makerspace, raw)[1]
        except ServiceError as exc:
            results[number] = _failed(number, exc)
            continue
        draft.idempotency = idempotency.for_row(idempotency_key, number, raw)
        drafts.append((number, draft))
    for start in range(0, len(drafts), PROGRESS_STEP):
        part = drafts[start : start + PROGRESS_STEP]
        outcomes = issuance.issue(ctx, actor, makerspace, [d for _, d in part])
        for (number, draft), outcome in zip(part, outcomes, strict=True):
            if isinstance(outcome, ServiceError):
                results[number] = _failed(number, outcome)
            else:
                results[number] = {
                    "row": number,
                    "status": "issued",
                    "id": draft.uuid,
                    "credentialId": outcome.get("id"),
                    "verifiableCredential": outcome,
                }
                if draft.replayed:
                    results[number]["replayed"] = True
        if progress is not None:
            progress(len(part))
    return BatchResult(results)


def _failed(number: int, exc: ServiceError) -> dict[str, Any]:
    return {"row": number, "status": "failed", "field": exc.field, "detail": exc.detail}
