"""/console: the issuer console, signed in with the makerspace's API key.

Sign in (a session cookie, see web.sessions), the makerspace's issued badges with revoke and
suspend / reinstate buttons, the audit log, and a form to issue one badge. Every POST but the
sign-in carries a CSRF token derived from the session. No script: plain forms and links.
The CSV batch upload (web.console_batch) and the facilities page (web.console_facilities)
build on the helpers here: signed_in, console_page, forbidden, console_actor."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from passport_vc.api.deps import client_of
from passport_vc.api.schemas import NUL
from passport_vc.services import audit, credentials, issuance, makerspaces
from passport_vc.services.audit import Actor
from passport_vc.services.badge_requests import parse_badge_request
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import AuthenticationError, InvalidFieldError, ServiceError
from passport_vc.store import Makerspace
from passport_vc.timestamps import utc_now
from passport_vc.web import sessions
from passport_vc.web.rendering import error_page, render
from passport_vc.web.sessions import ConsoleSession

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FORM_FIELDS = ("skill", "level", "holder", "holderName", "evidence", "validUntil")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
NO_STORE = {"Cache-Control": "no-store"}
# Form button -> (status purpose, value) for credentials.change_status.
ACTIONS = {
    "revoke": ("revocation", True),
    "suspend": ("suspension", True),
    "reinstate": ("suspension", False),
}


class SignedIn:
    def __init__(self, makerspace: Makerspace, session: ConsoleSession, csrf: str) -> None:
        self.makerspace = makerspace
        self.session = session
        self.csrf = csrf


def ctx_of(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def _secure(ctx: ServiceContext) -> bool:
    return str(ctx.public_url).lower().startswith("https://")


def to_login() -> RedirectResponse:
    response = RedirectResponse("/console/login", status_code=303, headers=NO_STORE)
    response.delete_cookie(sessions.COOKIE_NAME, path=sessions.COOKIE_PATH)
    return response


async def signed_in(request: Request) -> SignedIn | None:
    """The makerspace of a valid session cookie, or None (missing, tampered, expired, or the
    API key has been rotated since)."""
    ctx = ctx_of(request)
    value = request.cookies.get(sessions.COOKIE_NAME)
    session = sessions.parse_session(value)
    if session is None or value is None:
        return None

    def lookup() -> Makerspace | None:
        with ctx.db.session() as db:
            found: Makerspace | None = db.get(Makerspace, session.makerspace_id)
            return found

    makerspace = await run_in_threadpool(lookup)
    if makerspace is None or not sessions.verify_session(
        ctx.master_key, value, session, makerspace.api_key_hash
    ):
        return None
    return SignedIn(makerspace, session, sessions.csrf_token(ctx.master_key, session))


def console_actor(request: Request, makerspace: Makerspace) -> Actor:
    return Actor(
        name=f"makerspace:{makerspace.slug}",
        makerspace_id=makerspace.id,
        api_key_hint=makerspace.api_key_hint,
        client=client_of(request),
    )


async def _form(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are ignored)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _signed_form(request: Request) -> tuple[SignedIn, dict[str, str]] | Response:
    """The session's makerspace and the posted form when its CSRF token is right; otherwise
    the answer that refuses it (to sign-in without a session, 403 without the token)."""
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    form = await _form(request)
    if not sessions.check_csrf(ctx_of(request).master_key, signed.session, form.get("csrf")):
        return forbidden(request)
    return signed, form


def console_page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    response = render(request, template, context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def forbidden(request: Request) -> HTMLResponse:
    return error_page(
        request,
        403,
        "Form expired or forged",
        "The form's security token is missing or wrong. Reload the console and try again.",
    )


# --- signing in and out ---------------------------------------------------------------------


@router.get("/console/login")
async def login_form(request: Request) -> Response:
    return console_page(request, "console_login.html", {"error": None})


@router.post("/console/login")
async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    api_key = (await _form(request)).get("api_key", "").strip()

    def check() -> Makerspace:
        with ctx.db.session() as db:
            return makerspaces.authenticate(db, api_key)

    try:
        makerspace = await run_in_threadpool(check)
    except AuthenticationError:
        return console_page(
            request,
            "console_login.html",
            {"error": "That API key is not valid. Paste the key the hub administrator gave you."},
            status_code=401,
        )
    assert makerspace.id is not None
    value, max_age = sessions.new_session(ctx.master_key, makerspace.id, makerspace.api_key_hash)
    response = RedirectResponse("/console", status_code=303, headers=NO_STORE)
    response.set_cookie(
        sessions.COOKIE_NAME,
        value,
        max_age=max_age,
        path=sessions.COOKIE_PATH,
        secure=_secure(ctx),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    return to_login()


# --- the badges -----------------------------------------------------------------------------


def _opt(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def nul_error(values: Mapping[str, str | None]) -> InvalidFieldError | None:
    """The 422 the API gives for the first of these fields that holds the NUL character,
    which PostgreSQL text cannot hold (api/schemas.py refuses it the same way), or None."""
    for name, value in values.items():
        if value is not None and NUL in value:
            return InvalidFieldError(
                f"{name} contains the NUL character (\\u0000), which no text here may hold",
                field=name,
            )
    return None


def _shown(value: str) -> str:
    """A value typed into a form, to show it back: NUL as the replacement character, as a
    browser shows it (the page itself holds none)."""
    return value.replace(NUL, "\ufffd")


@router.get("/console")
async def badges(
    request: Request,
    holder: str | None = None,
    skill: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    ctx = ctx_of(request)
    holder, skill, status = _opt(holder), _opt(skill), _opt(status)
    if (refused := nul_error({"holder": holder, "skill": skill, "status": status})) is not None:
        return error_page(request, refused.status, "Invalid filter", refused.detail)
    page = max(page, 1)
    skill_uri = skill
    if skill is not None:
        found = ctx.taxonomy.find(skill)
        skill_uri = found.uri if found else skill
    assert signed.makerspace.id is not None
    makerspace_id = signed.makerspace.id

    def load() -> credentials.CredentialPage:
        with ctx.db.session() as db:
            return credentials.list_issued(
                db,
                makerspace_id,
                holder=holder,
                skill=skill_uri,
                status=status,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )

    try:
        found_page = await run_in_threadpool(load)
    except ServiceError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    items = []
    for item in found_page.items:
        found_skill = ctx.taxonomy.find(item["skill"] or "")
        items.append(
            {
                **item,
                "skill_label": found_skill.label if found_skill else item["skill"],
                "state": "revoked"
                if item["revoked"]
                else "suspended"
                if item["suspended"]
                else "active",
            }
        )
    filters = {"holder": holder or "", "skill": skill or "", "status": status or ""}
    pages = max((found_page.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def link(to: int) -> str:
        return "/console?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": to})

    return console_page(
        request,
        "console_badges.html",
        {
            "makerspace": signed.makerspace,
            "csrf": signed.csrf,
            "items": items,
            "total": found_page.total,
            "filters": filters,
            "statuses": credentials.STATUSES,
            "page": page,
            "pages": pages,
            "prev_link": link(page - 1) if page > 1 else None,
            "next_link": link(page + 1) if page < pages else None,
        },
    )


@router.post("/console/badges/{credential_uuid}/status")
async def set_status(request: Request, credential_uuid: str) -> Response:
    checked = await _signed_form(request)
    if isinstance(checked, Response):
        return checked
    signed, form = checked
    ctx = ctx_of(request)
    action = ACTIONS.get(form.get("action", ""))
    if action is None:
        return error_page(
            request, 422, "Unknown action", "The action must be revoke, suspend or reinstate."
        )
    purpose, value = action
    actor = console_actor(request, signed.makerspace)
    try:
        await run_in_threadpool(
            credentials.change_status,
            ctx,
            actor,
            signed.makerspace,
            credential_uuid,
            purpose,
            value,
        )
    except ServiceError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    return RedirectResponse("/console", status_code=303, headers=NO_STORE)


# --- the audit log --------------------------------------------------------------------------


@router.get("/console/audit")
async def audit_log(request: Request, page: int = 1) -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    ctx = ctx_of(request)
    page = max(page, 1)
    makerspace_id = signed.makerspace.id

    def load() -> tuple[int, list[dict[str, Any]]]:
        with ctx.db.session() as db:
            return audit.list_events(
                db, makerspace_id=makerspace_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )

    total, events = await run_in_threadpool(load)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return console_page(
        request,
        "console_audit.html",
        {
            "makerspace": signed.makerspace,
            "csrf": signed.csrf,
            "events": events,
            "total": total,
            "page": page,
            "prev_link": f"/console/audit?page={page - 1}" if page > 1 else None,
            "next_link": f"/console/audit?page={page + 1}" if page < pages else None,
        },
    )


# --- issuing one badge ----------------------------------------------------------------------


def _issue_context(
    ctx: ServiceContext, signed: SignedIn, q: str, values: dict[str, str]
) -> dict[str, Any]:
    taxonomy = ctx.taxonomy
    query = _shown(q.strip()[:200])
    skills = taxonomy.search(query) if query else list(taxonomy.skills)
    groups = []
    for category in taxonomy.categories:
        in_group = [s for s in skills if s.category == category.code]
        if in_group:
            groups.append({"label": category.label, "skills": in_group})
    return {
        "makerspace": signed.makerspace,
        "csrf": signed.csrf,
        "q": query,
        "groups": groups,
        "matches": len(skills),
        "levels": taxonomy.levels,
        "values": {k: _shown(values.get(k, "")) for k in FORM_FIELDS},
        "today": utc_now().date().isoformat(),
        "error": None,
        "issued": None,
    }


def end_of_day(value: str, today: date) -> str:
    """The form's `validUntil` date as a dateTimeStamp: the end of that day in UTC. An
    InvalidFieldError naming the field when it is not a date, or a day before `today`."""
    if not _DATE.match(value):
        raise InvalidFieldError(
            f"validUntil must be a date (YYYY-MM-DD), not {value[:40]!r}", field="validUntil"
        )
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidFieldError(
            f"validUntil {value} is not a calendar date", field="validUntil"
        ) from None
    if day < today:
        raise InvalidFieldError(
            f"validUntil {value} is in the past: choose today ({today.isoformat()}) or later",
            field="validUntil",
        )
    return f"{value}T23:59:59Z"


@router.get("/console/issue")
async def issue_form(request: Request, q: str = "") -> Response:
    signed = await signed_in(request)
    if signed is None:
        return to_login()
    return console_page(
        request, "console_issue.html", _issue_context(ctx_of(request), signed, q, {})
    )


@router.post("/console/issue")
async def issue(request: Request) -> Response:
    checked = await _signed_form(request)
    if isinstance(checked, Response):
        return checked
    signed, form = checked
    ctx = ctx_of(request)
    values = {k: form.get(k, "").strip() for k in FORM_FIELDS}
    context = _issue_context(ctx, signed, "", values)
    raw = {
        k: v
        for k, v in values.items()
        if k != "validUntil" and (v or k in ("holder", "skill", "level"))
    }
    try:
        if (refused := nul_error(values)) is not None:
            raise refused
        if values["validUntil"]:
            raw["validUntil"] = end_of_day(values["validUntil"], utc_now().date())
        badge_request = parse_badge_request(raw, ctx.taxonomy)
        draft = issuance.draft_badge(ctx, signed.makerspace, badge_request)
        document = await issuance.issue_one_async(
            ctx, console_actor(request, signed.makerspace), signed.makerspace, draft
        )
    except InvalidFieldError as exc:
        context["error"] = {"field": exc.field, "detail": exc.detail}
        return console_page(request, "console_issue.html", context, status_code=422)
    except ServiceError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    context["issued"] = {
        "uuid": draft.uuid,
        "url": f"/credentials/{draft.uuid}",
        "skill": badge_request.skill.label,
        "level": badge_request.level,
        "holder": badge_request.holder,
        "id": document.get("id"),
        "valid_until": draft.valid_until.date().isoformat() if draft.valid_until else None,
    }
    context["values"] = {k: "" for k in FORM_FIELDS}
    return console_page(request, "console_issue.html", context)
