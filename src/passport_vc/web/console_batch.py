"""/console/batch: issue many badges from a CSV file, previewed before anything is signed.

Upload (multipart, `action=preview`): the file is parsed and every row checked by the same code
as the API's batch endpoint (services.batch: parse_csv, check_rows), and a table shows each row
ready or the error naming its field. Nothing is stored. The preview page carries the file's
exact bytes (base64) in a hidden field to the confirm button (`action=issue`), which parses and
checks it again and hands the ready rows to batch.issue_batch, as the API does, with the
console's actor for the audit log. Rows with an error are skipped and reported as such; the
result table links each issued badge. No state is kept between the two steps."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from passport_vc.api.schemas import NUL
from passport_vc.services import batch, idempotency
from passport_vc.services.batch import CheckedRow
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, ServiceError
from passport_vc.settings import Settings
from passport_vc.timestamps import utc_now
from passport_vc.web import console_facilities, sessions
from passport_vc.web.console import (
    SignedIn,
    console_actor,
    console_page,
    ctx_of,
    forbidden,
    signed_in,
    to_login,
)
from passport_vc.web.rendering import error_page

router = APIRouter(include_in_schema=False)

TEMPLATE = "console_batch.html"
RESULT_TEMPLATE = "console_batch_result.html"
# Room in the confirm form's body for everything but the file (the token, the file name).
FORM_OVERHEAD = 4096
MAX_FILENAME = 200
REQUIRED = ("holder", "skill", "level")
COLUMN_HELP = {
    "holder": "The holder's DID (did:key, did:web, …).",
    "holderName": "The holder's name, shown on the badge.",
    "skill": "A skill code or URI from the skills list (/skills), e.g. LASER-CUT.",
    "level": "The level reached, a whole number on the scale below.",
    "evidence": "What the holder did to earn it, in words.",
    "validUntil": "When the badge expires, a date and time with its zone, e.g. "
    "2027-06-30T23:59:59Z. Empty: the skill's usual validity.",
    "scope": "skill (the default) or machine-authorisation.",
}


def max_csv_bytes(settings: Settings) -> int:
    """The largest CSV file the console takes. The confirm form sends the file back base64
    encoded (4/3 of its size), in a body held to settings.max_batch_body_bytes by BodySizeLimit
    (api/app.py names /console/batch among its large paths)."""
    return max((settings.max_batch_body_bytes - FORM_OVERHEAD) * 3 // 4, 0)


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    if count >= 1000:
        return f"{count // 1000} kB"
    return f"{count} bytes"


def _example() -> str:
    year = utc_now().year + 2
    return (
        "holder,holderName,skill,level,evidence,validUntil\n"
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK,Amina Diallo,LASER-CUT,3,"
        '"Cut a 40-part enclosure, unsupervised",\n'
        f"did:web:makers.example:kofi,Kofi Mensah,SOLDER-THT,2,,{year}-12-31T23:59:59Z\n"
    )


def _api_path(signed: SignedIn) -> str:
    return f"/makerspaces/{signed.makerspace.slug}/badges/batch"


def _context(ctx: ServiceContext, signed: SignedIn, **extra: Any) -> dict[str, Any]:
    settings = ctx.settings
    return {
        "makerspace": signed.makerspace,
        "csrf": signed.csrf,
        "columns": [
            {"name": name, "required": name in REQUIRED, "help": COLUMN_HELP.get(name, "")}
            for name in batch.CSV_COLUMNS
        ],
        "levels": ctx.taxonomy.levels,
        "example": _example(),
        "max_rows": settings.max_batch_rows,
        "max_size": _size(max_csv_bytes(settings)),
        "api_path": _api_path(signed),
        "error": None,
        "stage": "form",
        **extra,
    }


@dataclass(frozen=True)
class _Upload:
    data: bytes
    filename: str


class _Refused(Exception):
    """A form the page answers with an error message (and this status) instead of rows."""

    def __init__(self, status: int, detail: str, field: str | None = "file") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field


def _filename(value: object) -> str:
    """The file's name as the pages show it (a NUL as the replacement character)."""
    return _shown(value[:MAX_FILENAME]) if isinstance(value, str) else ""


async def _uploaded(form: FormData, limit: int) -> _Upload:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        raise _Refused(422, "Choose a CSV file to upload.")
    data = await upload.read(limit + 1)
    return _Upload(data, _filename(upload.filename))


def _carried(form: FormData) -> _Upload:
    value = form.get("csv")
    if not isinstance(value, str) or not value:
        raise _Refused(422, "The file from the preview is missing: upload it again.")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(422, "The file from the preview is damaged: upload it again.") from None
    return _Upload(data, _filename(form.get("filename")))


def _checked(
    ctx: ServiceContext, signed: SignedIn, upload: _Upload, limit: int
) -> list[CheckedRow]:
    """The file's rows, each checked as the API's batch endpoint checks it."""
    if len(upload.data) > limit:
        raise _Refused(
            413,
            f"The file is larger than {_size(limit)}, the most the console takes. Split it "
            f"into smaller files, or send it to the API (POST {_api_path(signed)}), which "
            f"takes up to {ctx.settings.max_batch_rows:,} rows.",
        )
    try:
        rows = batch.parse_csv(upload.data, ctx.settings.max_batch_rows)
        return batch.check_rows(ctx, signed.makerspace, rows)
    except InvalidFieldError as exc:
        raise _Refused(exc.status, f"The file cannot be read: {exc.detail}", exc.field) from None


def _text(raw: Mapping[str, Any], key: str) -> str:
    """A cell as the tables show it: a NUL (an error of its row, see batch.draft_row) as the
    replacement character, as a browser shows it; the page itself holds none."""
    value = raw.get(key)
    return _shown(value) if isinstance(value, str) else ""


def _shown(text: str) -> str:
    return text.replace(NUL, "\ufffd")


def _row_view(ctx: ServiceContext, checked: CheckedRow) -> dict[str, Any]:
    """A row for the tables: as checked when it is ready, as written when it is not."""
    raw: Mapping[str, Any] = checked.raw if isinstance(checked.raw, Mapping) else {}
    view: dict[str, Any] = {
        # A spreadsheet's row number: the header is row 1.
        "number": checked.row + 2,
        "holder": _text(raw, "holder"),
        "holder_name": _text(raw, "holderName"),
        "skill": _text(raw, "skill"),
        "skill_code": None,
        "level": _text(raw, "level"),
        "level_name": None,
        "evidence": _text(raw, "evidence"),
        "valid_until": _text(raw, "validUntil"),
        "scope": _text(raw, "scope"),
        "error": None,
        "duplicate_of": None,
    }
    if checked.error is not None:
        view["error"] = {"field": checked.error.field, "detail": checked.error.detail}
        return view
    request, draft = checked.request, checked.draft
    assert request is not None and draft is not None
    level = next((lv for lv in ctx.taxonomy.levels if lv.number == request.level), None)
    view.update(
        holder=request.holder,
        holder_name=request.holder_name or "",
        skill=request.skill.label,
        skill_code=request.skill.code,
        level=str(request.level),
        level_name=level.name if level else None,
        valid_until=draft.valid_until.date().isoformat() if draft.valid_until else "",
        scope=request.scope,
    )
    return view


def _row_views(ctx: ServiceContext, checked: Sequence[CheckedRow]) -> list[dict[str, Any]]:
    """Views of every row; a ready row asking for the same badge as an earlier one is marked
    (it would be issued twice, as the API would)."""
    views = []
    first: dict[tuple[str, str, int, str], int] = {}
    for row in checked:
        view = _row_view(ctx, row)
        if row.request is not None:
            key = (row.request.holder, row.request.skill.uri, row.request.level, row.request.scope)
            earlier = first.setdefault(key, view["number"])
            if earlier != view["number"]:
                view["duplicate_of"] = earlier
        views.append(view)
    return views


def _preview_context(
    ctx: ServiceContext, signed: SignedIn, upload: _Upload, checked: Sequence[CheckedRow]
) -> dict[str, Any]:
    ready = sum(1 for row in checked if row.error is None)
    return _context(
        ctx,
        signed,
        stage="preview",
        rows=_row_views(ctx, checked),
        ready=ready,
        skipped=len(checked) - ready,
        filename=upload.filename,
        csv=base64.b64encode(upload.data).decode("ascii"),
        # Sent back with the confirm button: a resubmitted confirmation (a reload, a double
        # click) replays what the first one issued instead of issuing it again.
        idempotency_key=secrets.token_urlsafe(18),
    )


# --- the routes -----------------------------------------------------------------------------


@router.get("/console/batch")
async def batch_form(request: Request) -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    return console_page(request, TEMPLATE, _context(ctx_of(request), signed))


@router.post("/console/batch")
async def batch_post(request: Request) -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    ctx = ctx_of(request)
    limit = max_csv_bytes(ctx.settings)
    try:
        async with request.form(
            max_files=1, max_fields=8, max_part_size=ctx.settings.max_batch_body_bytes
        ) as form:
            if not sessions.check_csrf(ctx.master_key, signed.session, form.get("csrf")):
                return forbidden(request)
            action = form.get("action")
            if action not in ("preview", "issue"):
                return error_page(
                    request, 422, "Unknown action", "The action must be preview or issue."
                )
            upload = await _uploaded(form, limit) if action == "preview" else _carried(form)
            carried_key = form.get("idempotency_key")
        checked = await run_in_threadpool(_checked, ctx, signed, upload, limit)
    except HTTPException as exc:  # a malformed form, or a streamed body over the limit
        return error_page(request, exc.status_code, "The form cannot be read", str(exc.detail))
    except _Refused as exc:
        context = _context(ctx, signed, error={"field": exc.field, "detail": exc.detail})
        return console_page(request, TEMPLATE, context, status_code=exc.status)
    if action == "preview":
        return console_page(request, TEMPLATE, _preview_context(ctx, signed, upload, checked))
    try:
        key = idempotency.parse_header(carried_key if isinstance(carried_key, str) else None)
    except ServiceError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    return await _issue(request, ctx, signed, upload, checked, key)


async def _issue(
    request: Request,
    ctx: ServiceContext,
    signed: SignedIn,
    upload: _Upload,
    checked: Sequence[CheckedRow],
    key: str | None,
) -> Response:
    ready = [row for row in checked if row.error is None]
    if not ready:
        context = _preview_context(ctx, signed, upload, checked)
        context["error"] = {"field": None, "detail": "No row is ready: nothing was issued."}
        return console_page(request, TEMPLATE, context, status_code=422)
    actor = console_actor(request, signed.makerspace)
    try:
        result = await run_in_threadpool(
            batch.issue_batch, ctx, actor, signed.makerspace, [row.raw for row in ready], None, key
        )
    except ServiceError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    outcomes: dict[int, dict[str, Any]] = {
        row.row: outcome for row, outcome in zip(ready, result.rows, strict=True)
    }
    rows = []
    for row, view in zip(checked, _row_views(ctx, checked), strict=True):
        outcome = outcomes.get(row.row)
        if outcome is None:
            view["result"] = "skipped"
        elif outcome["status"] == "issued":
            view["result"] = "issued"
            view["url"] = f"/credentials/{outcome['id']}"
        else:
            view["result"] = "failed"
            view["error"] = {"field": outcome.get("field"), "detail": outcome.get("detail")}
        rows.append(view)
    context = _context(
        ctx,
        signed,
        stage="result",
        rows=rows,
        filename=upload.filename,
        issued=sum(1 for view in rows if view["result"] == "issued"),
        skipped=sum(1 for view in rows if view["result"] == "skipped"),
        failed=sum(1 for view in rows if view["result"] == "failed"),
    )
    return console_page(request, RESULT_TEMPLATE, context)


# The console's facilities page comes with this router: the app registers the one.
router.include_router(console_facilities.router)
