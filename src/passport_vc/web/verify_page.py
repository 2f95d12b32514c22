"""/verify: a public, side-effect-free page where anyone checks a badge or a presentation.

GET shows the form (with a fresh challenge a holder can sign a presentation over), or verifies
what the query names: `?credential=` (a badge issued here, by id or URL), `?doc=` (a document
carried in the link itself, base64url of raw deflate of its JSON) or `?qr=` (an offline QR
payload, when passport_vc.qr.offline is installed). POST verifies pasted JSON or an uploaded
file. Nothing is stored, so the form needs no CSRF token; bodies are capped at 256 KiB."""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from passport_vc.api.schemas import NUL, _nul_in_json
from passport_vc.api.strict_json import json_body_problem
from passport_vc.errors import PassportVcError
from passport_vc.services import challenges, credentials
from passport_vc.services.context import ServiceContext
from passport_vc.services.verdicts import problem_in_words
from passport_vc.web.badge_view import badge_view, og_title, technical
from passport_vc.web.rendering import error_page, render

router = APIRouter(include_in_schema=False)

MAX_DOCUMENT_BYTES = 256 * 1024
MULTIPART_ALLOWANCE = 16 * 1024  # boundaries, headers and the other fields of the form
MAX_LINK_CHARS = 8 * 1024


class PageError(Exception):
    """Answered with the HTML error page: a status, a title and a sentence."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


# --- GET -------------------------------------------------------------------------------------


@router.get("/verify")
def verify_get(
    request: Request,
    credential: str | None = None,
    doc: str | None = None,
    qr: str | None = None,
) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    try:
        if credential is not None:
            document, uuid = _issued_here(ctx, credential)
            return _result(request, document, challenge=None, permalink_uuid=uuid)
        if doc is not None:
            return _result(request, decode_doc(doc), challenge=None, carried=doc)
        if qr is not None:
            return _checked(request, _offline(qr), None)
    except PageError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    challenge, ttl = challenges.create_challenge(ctx)
    return render(
        request, "verify.html", {"result": None, "challenge": challenge, "minutes": ttl // 60}
    )


def _issued_here(ctx: ServiceContext, ref: str) -> tuple[dict[str, Any], str]:
    """A credential in the store by its UUID, its `id`, or a URL ending in its UUID."""
    ref = ref.strip()
    candidates = [ref]
    if "/credentials/" in ref:
        candidates.append(ref.rsplit("/credentials/", 1)[1].split("/")[0].split("?")[0])
    with ctx.db.session() as session:
        for candidate in candidates:
            if candidate and len(candidate) <= 2000:
                record = credentials.find(session, candidate)
                if record is not None:
                    return credentials.document_of(record), record.id
    raise PageError(404, "No such badge", f"No badge {ref[:200]!r} was issued here.")


def _offline(text: str) -> Any:
    """The document in an offline QR payload, via passport_vc.qr.offline when installed."""
    try:
        offline = importlib.import_module("passport_vc.qr.offline")
    except ImportError:
        raise PageError(
            501,
            "Offline QR payloads are not supported yet",
            "This service cannot read offline QR payloads yet. Scan the badge's online QR "
            "code, or paste the badge's JSON on the verify page.",
        ) from None
    try:
        decoded = offline.decode_offline(text)
    except (PassportVcError, ValueError, TypeError, KeyError) as exc:
        raise PageError(
            400,
            "This QR payload could not be read",
            f"The payload is damaged: {getattr(exc, 'detail', exc)}",
        ) from None
    if isinstance(decoded, bytes | str):
        return _parse(decoded if isinstance(decoded, str) else decoded.decode("utf-8", "replace"))
    _refuse_nul(decoded)
    return decoded


# --- POST ------------------------------------------------------------------------------------


@router.post("/verify")
async def verify_post(request: Request) -> Response:
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE:
        return _too_large(request)
    try:
        form = await request.form(max_files=1, max_fields=8)
    except (HTTPException, ValueError) as exc:
        return error_page(request, 400, "The form could not be read", str(exc))
    text = form.get("document")
    upload = form.get("file")
    challenge = form.get("challenge")
    raw: bytes | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_DOCUMENT_BYTES + 1)
        await upload.close()
    if not raw and isinstance(text, str) and text.strip():
        raw = text.encode("utf-8")
    if raw is not None and len(raw) > MAX_DOCUMENT_BYTES:
        return _too_large(request)
    if not raw or not raw.strip():
        return error_page(
            request,
            400,
            "Nothing to verify",
            "Paste a badge's JSON in the box, or choose a file, then press Verify.",
        )
    try:
        document = _parse(raw.decode("utf-8", "replace"))
    except PageError as exc:
        return error_page(request, exc.status, exc.title, exc.detail)
    wanted = challenge if isinstance(challenge, str) and challenge.strip() else None
    if wanted is not None and NUL in wanted:  # no challenge has one: the form was altered
        return error_page(
            request,
            400,
            "The form could not be read",
            "challenge contains the NUL character (\\u0000); reload the page for a new one.",
        )
    return await run_in_threadpool(_checked, request, document, wanted)


def _checked(request: Request, document: Any, challenge: str | None) -> Response:
    uuid = None
    if not _is_presentation(document) and isinstance(document.get("id"), str):
        ctx: ServiceContext = request.app.state.ctx
        with ctx.db.session() as session:
            record = credentials.find(session, document["id"])
            uuid = record.id if record is not None else None
    return _result(request, document, challenge=challenge, permalink_uuid=uuid)


def _too_large(request: Request) -> Response:
    return error_page(
        request,
        413,
        "That file is too large",
        f"A badge or presentation up to {MAX_DOCUMENT_BYTES // 1024} KiB can be verified here.",
    )


def _parse(text: str) -> dict[str, Any]:
    """The JSON object pasted, unwrapped from an API answer (`{"verifiableCredential": …}`)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f" (line {line}, column {column})" if line is not None else ""
        raise PageError(
            400,
            "That is not JSON",
            f"What was given is not valid JSON{where}. Paste the badge exactly as it was "
            "downloaded: it starts with {{ and ends with }}.",
        ) from None
    # What the API refuses (duplicate keys, NaN, nesting past its depth…), the page refuses.
    if (problem := json_body_problem(text.encode("utf-8", "surrogatepass"))) is not None:
        raise PageError(400, "That is not JSON", f"What was given is not valid JSON: {problem}.")
    _refuse_nul(document)
    if isinstance(document, Mapping) and "type" not in document:
        for key in ("verifiableCredential", "verifiablePresentation", "presentation"):
            inner = document.get(key)
            if isinstance(inner, Mapping):
                document = inner
                break
    if not isinstance(document, dict):
        raise PageError(
            400,
            "That is not a badge",
            "The JSON given is not an object; a badge or presentation is a JSON object {…}.",
        )
    return document


def _refuse_nul(document: Any) -> None:
    """A PageError naming where the document holds the NUL character (as the `\\u0000`
    escape: valid JSON). No badge has one, and the lookups a check makes (the issuer, the
    status lists) cannot hold it on PostgreSQL; the API refuses it with a 422 too."""
    where = _nul_in_json(document)
    if where is not None:
        raise PageError(
            400,
            "That document holds a NUL character",
            f"{where} contains the NUL character (\\u0000), which no badge or presentation "
            "may hold. Paste the badge exactly as it was downloaded.",
        )


# --- the links that carry a document ----------------------------------------------------------


def encode_doc(document: Mapping[str, Any]) -> str:
    """base64url (unpadded) of the raw deflate of the document's compact JSON."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(text.encode("utf-8")) + packer.flush()
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_doc(value: str) -> dict[str, Any]:
    damaged = PageError(
        400, "This link is damaged", "The document in this link cannot be read; ask for it again."
    )
    if len(value) > MAX_LINK_CHARS * 2:
        raise damaged
    try:
        packed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        unpacker = zlib.decompressobj(-15)
        raw = unpacker.decompress(packed, MAX_DOCUMENT_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise damaged from None
    if len(raw) > MAX_DOCUMENT_BYTES or unpacker.unconsumed_tail:
        raise damaged
    try:
        return _parse(raw.decode("utf-8"))
    except (UnicodeDecodeError, PageError):
        raise damaged from None


def _public_url(request: Request) -> str:
    settings = getattr(getattr(request.app.state, "ctx", None), "settings", None)
    configured = getattr(settings, "public_url", None)
    return str(configured or str(request.base_url)).rstrip("/")


def _permalink(
    request: Request, document: Mapping[str, Any], uuid: str | None, carried: str | None = None
) -> tuple[str | None, str | None]:
    """(link, note): the badge's own verify link when it was issued here, else one carrying
    the document; the note says why there is none."""
    base = _public_url(request) + "/verify"
    if uuid is not None:
        return f"{base}?credential={uuid}", None
    link = f"{base}?doc={carried if carried is not None else encode_doc(document)}"
    if len(link) > MAX_LINK_CHARS:
        return None, (
            f"A link holding this document would be {len(link):,} characters long, more than "
            f"the {MAX_LINK_CHARS:,} a link may take here; keep the file instead."
        )
    return link, None


# --- the result page --------------------------------------------------------------------------


def _is_presentation(document: Mapping[str, Any]) -> bool:
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "VerifiablePresentation" in kinds


def _result(
    request: Request,
    document: dict[str, Any],
    *,
    challenge: str | None,
    permalink_uuid: str | None = None,
    carried: str | None = None,
) -> Response:
    verifier = request.app.state.verifier
    if _is_presentation(document):
        result = verifier.verify_presentation(document, challenge=challenge, domain=None)
        inner = document.get("verifiableCredential")
        inner = inner if isinstance(inner, list) else [inner] if inner is not None else []
        badges = [
            badge_view(vc, item)
            for vc, item in zip(inner, result["results"].get("credentials", []), strict=False)
        ]
        holder = document.get("holder")
        holder = holder.get("id") if isinstance(holder, Mapping) else holder
        context: dict[str, Any] = {
            "kind": "presentation",
            "presentation": {
                "ok": bool(result.get("verified")),
                "holder": holder if isinstance(holder, str) else None,
                "problems": [problem_in_words(p) for p in result.get("problemDetails") or []],
                "technical": technical(result),
            },
            "badges": badges,
            "title": ("Valid" if result.get("verified") else "Not valid")
            + f" presentation of {len(badges)} badge{'' if len(badges) == 1 else 's'}",
            "permalink": None,
            "permalink_note": "A presentation is checked against a single-use challenge, so it "
            "cannot be checked again from a link; ask the holder for a new one.",
        }
    else:
        result = verifier.verify_credential(document)
        view = badge_view(document, result)
        link, note = _permalink(request, document, permalink_uuid, carried)
        context = {
            "kind": "credential",
            "presentation": None,
            "badges": [view],
            "title": f"{view['verdict']}: {og_title(view)}",
            "permalink": link,
            "permalink_note": note,
        }
    return render(request, "verify.html", {"result": True, **context})
