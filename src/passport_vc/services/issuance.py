"""Issuing: VC API credentials and Open Badges skill badges, one at a time or in batches.

The path is optimistic: random status indices are chosen, the credentials signed, and all
rows inserted in one transaction. A primary-key collision (another worker took an index)
rolls the chunk back; the retry reads the list's used indices and picks free ones exactly,
starting a fresh list when one is full. A credential is committed with its status entries
and its audit row, or not at all.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from passport_vc.credentials.model import as_list, types_of
from passport_vc.credentials.openbadges import Scope, build_skill_badge, skill_level_from_badge
from passport_vc.credentials.signing import sign_credential
from passport_vc.errors import PassportVcError
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.services import audit, idempotency, makerspaces, status_lists
from passport_vc.services.audit import Actor
from passport_vc.services.badge_requests import BadgeRequest
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import ConflictError, InvalidFieldError
from passport_vc.services.idempotency import RequestKey
from passport_vc.status import build_status_entry, parse_status_entry
from passport_vc.store import (
    AuditEvent,
    CredentialRecord,
    IdempotencyRecord,
    Makerspace,
    StatusEntry,
    StatusListRecord,
)
from passport_vc.store.group_commit import is_retryable
from passport_vc.timestamps import parse_datetime_stamp, utc_now

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
STATUS_V1_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
CHUNK = 1000
CREDENTIAL_TABLE = CredentialRecord.__table__  # type: ignore[attr-defined]
STATUS_ENTRY_TABLE = StatusEntry.__table__  # type: ignore[attr-defined]
AUDIT_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
IDEMPOTENCY_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]
MAX_ATTEMPTS = 12


@dataclass
class Draft:
    """An unsigned credential on its way to the store."""

    uuid: str
    document: dict[str, Any]
    purposes: tuple[str, ...]
    holder: str | None = None
    skill_uri: str | None = None
    level: int | None = None
    valid_until: datetime | None = None
    indices: dict[str, tuple[int, int]] = field(default_factory=dict)  # purpose: (list, idx)
    # The id is ours (a fresh UUID URL), so it cannot collide with a stored one.
    fresh_id: bool = False
    # The request's Idempotency-Key; `replayed` once the credential stored under it is found
    # (then `uuid` is that credential's).
    idempotency: RequestKey | None = None
    replayed: bool = False
    # Built by the service from checked values (draft_badge): signed as its own document
    # (sign_credential's `own`).
    own: bool = False
    # The signed document last stored for this draft, with the JSON text stored for it.
    stored: tuple[dict[str, Any], str] | None = None

    def stored_json(self, document: Mapping[str, Any]) -> str | None:
        """The JSON text stored for `document` if it is the one this draft stored, else None:
        the text of json.dumps(document, separators=(",", ":"), ensure_ascii=False)."""
        if self.stored is not None and self.stored[0] is document:
            return self.stored[1]
        return None


def credential_url(ctx: ServiceContext, credential_uuid: str) -> str:
    return f"{ctx.public_url}/credentials/{credential_uuid}"


def draft_badge(ctx: ServiceContext, makerspace: Makerspace, request: BadgeRequest) -> Draft:
    """An unsigned Open Badges 3.0 credential for one badge request."""
    credential_uuid = str(uuid.uuid4())
    try:
        document = build_skill_badge(
            issuer=makerspaces.issuer_profile(makerspace),
            holder_did=request.holder,
            skill=request.skill,
            level=request.level,
            taxonomy=ctx.taxonomy,
            credential_id=credential_url(ctx, credential_uuid),
            holder_name=request.holder_name,
            evidence=request.evidence,
            valid_until=request.valid_until,
            scope=cast(Scope, request.scope),
            achievement_base_url=f"{ctx.public_url}/achievements",
        )
    except PassportVcError as exc:
        raise InvalidFieldError(exc.detail, field=_field_of(exc.detail)) from None
    return Draft(
        uuid=credential_uuid,
        document=document,
        purposes=status_lists.PURPOSES,
        holder=request.holder,
        skill_uri=request.skill.uri,
        level=request.level,
        valid_until=_valid_until(document),
        fresh_id=True,
        own=True,
    )


def _field_of(detail: str) -> str:
    head = detail.split(":", 1)[0]
    return "validUntil" if "valid" in head.lower() else head if " " not in head else "(badge)"


def _valid_until(document: Mapping[str, Any]) -> datetime | None:
    value = document.get("validUntil", document.get("expirationDate"))
    try:
        return parse_datetime_stamp(value, "validUntil") if value is not None else None
    except PassportVcError:
        return None


def draft_vc_api(
    ctx: ServiceContext,
    makerspace: Makerspace,
    credential: Any,
    options: Mapping[str, Any],
) -> Draft:
    """A VC API `credential` made ours: our issuer, an id, and status entries to come."""
    if not isinstance(credential, Mapping):
        raise InvalidFieldError("credential must be a JSON object", field="credential")
    document = dict(credential)
    if "proof" in document:
        raise InvalidFieldError(
            "an unsigned credential must not carry a proof", field="credential.proof"
        )
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        document["issuer"] = {**issuer, "id": makerspace.did}
    else:
        document["issuer"] = makerspace.did
    credential_uuid = str(uuid.uuid4())
    fresh = False
    wanted_id = options.get("credentialId")
    if wanted_id is not None:
        if not isinstance(wanted_id, str):
            raise InvalidFieldError(
                "options.credentialId must be a URL string", field="options.credentialId"
            )
        document["id"] = wanted_id
    elif "id" not in document:
        document["id"] = credential_url(ctx, credential_uuid)
        fresh = True
    purposes = _purposes(options)
    for i, entry in enumerate(as_list(document.get("credentialStatus"))):
        where = f"credential.credentialStatus[{i}]"
        if not isinstance(entry, Mapping):
            raise InvalidFieldError(f"{where} must be an object", field=where)
        try:
            parsed = parse_status_entry(entry, path=where)
        except PassportVcError as exc:
            raise InvalidFieldError(exc.detail, field=where) from None
        if status_lists.list_id_from_url(ctx, parsed.status_list_credential) is not None:
            raise InvalidFieldError(
                f"{where} points at a status list of this service; entries on its lists are "
                "allocated by the service (leave credentialStatus out)",
                field=where,
            )
    if purposes and as_list(document.get("@context"))[:1] == [CREDENTIALS_V1]:
        contexts = as_list(document.get("@context"))
        if STATUS_V1_CONTEXT not in contexts:
            document["@context"] = [*contexts, STATUS_V1_CONTEXT]
    subjects = as_list(document.get("credentialSubject"))
    holder = subjects[0].get("id") if subjects and isinstance(subjects[0], Mapping) else None
    skill_level = (
        skill_level_from_badge(document) if "OpenBadgeCredential" in types_of(document) else None
    )
    return Draft(
        uuid=credential_uuid,
        document=document,
        purposes=purposes,
        holder=holder if isinstance(holder, str) else None,
        skill_uri=skill_level[0] if skill_level else None,
        level=skill_level[1] if skill_level else None,
        valid_until=_valid_until(document),
        fresh_id=fresh,
    )


def _purposes(options: Mapping[str, Any]) -> tuple[str, ...]:
    raw = options.get("statusPurposes", list(status_lists.PURPOSES))
    if not isinstance(raw, list) or any(p not in status_lists.PURPOSES for p in raw):
        raise InvalidFieldError(
            f"options.statusPurposes must be a list drawn from {list(status_lists.PURPOSES)}",
            field="options.statusPurposes",
        )
    return tuple(p for p in status_lists.PURPOSES if p in raw)


@dataclass
class _ListState:
    record: StatusListRecord
    used: set[int] | None = None  # known exactly after a collision, else None (unknown)

    @property
    def free(self) -> int:
        return self.record.capacity - len(self.used or ())


_NO_TEMPLATE: dict[str, Any] = {}
_ENTRY_TEMPLATES: dict[tuple[str, str], dict[str, Any]] = {}


def _status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """build_status_entry(list_url=..., index=..., purpose=...), with the list URL checked once
    per list: the entry of index 0 is the template the others are written from, once a few
    indices have shown that build_status_entry writes exactly that (else it is called)."""
    template = _ENTRY_TEMPLATES.get((list_url, purpose))
    if template is None:
        template = _entry_template(list_url, purpose)
        if len(_ENTRY_TEMPLATES) >= 4096:
            _ENTRY_TEMPLATES.clear()
        _ENTRY_TEMPLATES[(list_url, purpose)] = template
    if template is _NO_TEMPLATE or type(index) is not int or index < 0:
        return build_status_entry(list_url=list_url, index=index, purpose=purpose)
    return {**template, "id": f"{list_url}#{index}", "statusListIndex": str(index)}


def _entry_template(list_url: str, purpose: str) -> dict[str, Any]:
    template = build_status_entry(list_url=list_url, index=0, purpose=purpose)  # may raise
    for index in (0, 7, 131_071):
        written = {**template, "id": f"{list_url}#{index}", "statusListIndex": str(index)}
        built = build_status_entry(list_url=list_url, index=index, purpose=purpose)
        if json.dumps(written) != json.dumps(built):  # key order too
            return _NO_TEMPLATE
    return template


def _sign(draft: Draft, ctx: ServiceContext, key: SigningKey, method: str) -> dict[str, Any]:
    document = dict(draft.document)
    if draft.indices:
        entries = [
            _status_entry(status_lists.list_url(ctx, list_id), idx, purpose)
            for purpose, (list_id, idx) in draft.indices.items()
        ]
        document["credentialStatus"] = [*as_list(document.get("credentialStatus")), *entries]
        if len(document["credentialStatus"]) == 1:
            document["credentialStatus"] = document["credentialStatus"][0]
    try:
        return sign_credential(
            document, key, ProofOptions(verification_method=method), own=draft.own
        )
    except PassportVcError as exc:
        raise InvalidFieldError(exc.detail, field="credential") from None


def issue(
    ctx: ServiceContext,
    actor: Actor,
    makerspace: Makerspace,
    drafts: Sequence[Draft],
) -> list[dict[str, Any] | InvalidFieldError]:
    """Sign and store `drafts` (all needing the same status purposes), in chunks.

    Returns, per draft, its signed credential or the InvalidFieldError that kept it from
    being signed (nothing is stored for that one). Raises ConflictError on a credential id
    that is already taken (nothing is stored then).
    """
    if not drafts:
        return []
    assert makerspace.id is not None
    purposes = drafts[0].purposes
    key, method, lists = _issuing_state(ctx, makerspace.id)
    states = {p: _ListState(lists[p]) for p in purposes}
    outcome: dict[str, dict[str, Any] | InvalidFieldError] = {}
    pending = _replay(ctx, makerspace.id, drafts, outcome)
    supplied_ids = [d for d in pending if not d.fresh_id]
    if supplied_ids:
        with ctx.db.session() as session:
            _refuse_duplicate_ids(session, supplied_ids)
    attempts = 0
    while pending:
        attempts += 1
        if attempts > MAX_ATTEMPTS * (1 + len(drafts) // CHUNK):
            raise ConflictError("could not allocate status list indices; retry the request")
        full = [p for p, s in states.items() if s.free <= 0]
        if full:
            ctx.issuing_state.drop(makerspace.id)
            for p in full:
                status_lists.mark_full(ctx, states[p].record.id or 0)
                with ctx.db.session() as session:
                    states[p] = _ListState(
                        status_lists.current_list(ctx, session, makerspace.id, p)
                    )
            continue
        size = min(CHUNK, len(pending), *(s.free for s in states.values()))
        chunk = pending[:size]
        for p, state in states.items():
            picks = status_lists.random_indices(state.record.capacity, size, state.used or set())
            for draft, idx in zip(chunk, picks, strict=True):
                draft.indices[p] = (state.record.id or 0, idx)
        if size > 1 and any(state.used is None for state in states.values()):
            # Blind picks for a chunk would almost surely collide once a list fills: read
            # the taken indices once per call (one indexed scan) and draw from the free ones.
            with ctx.db.session() as session:
                for state in states.values():
                    assert state.record.id is not None
                    state.used = status_lists.used_indices(session, state.record.id)
            continue
        signed: list[tuple[Draft, dict[str, Any]]] = []
        for draft in chunk:
            try:
                signed.append((draft, _sign(draft, ctx, key, method)))
            except InvalidFieldError as exc:
                outcome[draft.uuid] = exc
        try:
            _store(ctx, actor, makerspace, signed, method)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            fresh = all(d.fresh_id for d, _ in signed)
            if (
                size == 1
                and fresh
                and attempts < 4
                and all(s.used is None for s in states.values())
                and not any(d.idempotency for d, _ in signed)
            ):
                continue  # a random index was taken meanwhile: draw again
            if len(_replay(ctx, makerspace.id, [d for d, _ in signed], outcome)) < len(signed):
                # A request with the same key was stored meanwhile: answer with its result.
                pending = [d for d in pending if d.uuid not in outcome]
                continue
            with ctx.db.session() as session:
                _refuse_duplicate_ids(session, [d for d, _ in signed])
                for state in states.values():
                    assert state.record.id is not None
                    state.used = status_lists.used_indices(session, state.record.id)
            continue
        for state in states.values():
            if state.used is not None:
                state.used.update(d.indices[state.record.purpose][1] for d, _ in signed)
        for draft, document in signed:
            outcome[draft.uuid] = document
        pending = pending[size:]
    return [outcome[d.uuid] for d in drafts]


async def issue_one_async(
    ctx: ServiceContext, actor: Actor, makerspace: Makerspace, draft: Draft
) -> dict[str, Any]:
    """`issue_one` for the event loop: signs inline and awaits the group commit, so a request
    costs no thread hand-off. Anything unusual (a supplied id, a list filling up, repeated
    collisions) goes down the general path in a thread."""
    assert makerspace.id is not None
    if draft.fresh_id and draft.idempotency is None:
        cached = ctx.issuing_state.get(makerspace.id)
        state: _IssuingState = (
            cached  # type: ignore[assignment]
            if cached is not None
            else await single_flight(
                ("issuing-state", id(ctx), makerspace.id), _issuing_state, ctx, makerspace.id
            )
        )
        key, method, lists = state
        for _ in range(3):
            for purpose in draft.purposes:
                record = lists[purpose]
                [idx] = status_lists.random_indices(record.capacity, 1, set())
                draft.indices[purpose] = (record.id or 0, idx)
            document = _sign(draft, ctx, key, method)
            signed = [(draft, document)]
            future = ctx.writer.submit_nowait(
                _rows(actor, makerspace, signed, method), _claims(signed)
            )
            try:
                await asyncio.wrap_future(future)
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                continue
            return document
        draft.indices.clear()
    return await run_in_threadpool(issue_one, ctx, actor, makerspace, draft)


T = TypeVar("T")
_IN_FLIGHT: dict[tuple[asyncio.AbstractEventLoop, Hashable], asyncio.Future[Any]] = {}


async def single_flight(key: Hashable, call: Callable[..., T], *args: Any) -> T:
    """`await run_in_threadpool(call, *args)`, once for all the coroutines of this event loop
    that ask with the same `key` while it runs: they all get its result (or its exception).

    For the per-worker caches that expire every second or few (the issuing state, the
    callers): when one does, every request in flight misses it at once, and without this each
    would read the same rows in a thread of its own, all of them waiting the longer for it."""
    loop = asyncio.get_running_loop()
    slot = (loop, key)
    future = _IN_FLIGHT.get(slot)
    if future is None:
        future = asyncio.ensure_future(run_in_threadpool(call, *args))
        _IN_FLIGHT[slot] = future

        def forget(done: asyncio.Future[Any]) -> None:
            if _IN_FLIGHT.get(slot) is done:
                del _IN_FLIGHT[slot]

        future.add_done_callback(forget)
    result: T = await asyncio.shield(future)
    return result


def issue_one(
    ctx: ServiceContext, actor: Actor, makerspace: Makerspace, draft: Draft
) -> dict[str, Any]:
    """Issue a single credential; InvalidFieldError if it cannot be signed."""
    [result] = issue(ctx, actor, makerspace, [draft])
    if isinstance(result, InvalidFieldError):
        raise result
    return result


_IssuingState = tuple[SigningKey, str, dict[str, StatusListRecord]]


def _issuing_state(ctx: ServiceContext, makerspace_id: int) -> _IssuingState:
    """The active key and the open status lists, read at most once per TTL per worker.

    Staleness is harmless: an old key stays in the DID document for at least twice the TTL
    after a rotation, and a list that filled meanwhile shows up as index collisions, which
    send the allocation down its exact path.
    """
    cached = ctx.issuing_state.get(makerspace_id)
    if cached is not None:
        return cached  # type: ignore[return-value]
    with ctx.db.session() as session:
        key, method = makerspaces.active_key(ctx, session, makerspace_id)
        lists = {
            p: status_lists.current_list(ctx, session, makerspace_id, p)
            for p in status_lists.PURPOSES
        }
    state = (key, method, lists)
    ctx.issuing_state.put(makerspace_id, state)
    return state


def _replay(
    ctx: ServiceContext,
    makerspace_id: int,
    drafts: Sequence[Draft],
    outcome: dict[str, dict[str, Any] | InvalidFieldError],
) -> list[Draft]:
    """The drafts still to issue. A draft whose Idempotency-Key is stored takes that
    credential (its outcome, marked replayed) or, for a different request, the error."""
    keys = [d.idempotency for d in drafts if d.idempotency is not None]
    if not keys:
        return list(drafts)
    with ctx.db.session() as session:
        found = idempotency.find(session, makerspace_id, keys)
    remaining = []
    for draft in drafts:
        hit = found.get(draft.idempotency.key) if draft.idempotency is not None else None
        if hit is None:
            remaining.append(draft)
        elif isinstance(hit, InvalidFieldError):
            outcome[draft.uuid] = hit
        else:
            draft.uuid, draft.replayed = hit.uuid, True
            outcome[draft.uuid] = hit.document
    return remaining


def _refuse_duplicate_ids(session: Any, drafts: Sequence[Draft]) -> None:
    ids = [str(d.document.get("id")) for d in drafts if "id" in d.document]
    if len(set(ids)) != len(ids):
        raise ConflictError("two credentials in the request share an id", field="credential.id")
    for start in range(0, len(ids), 500):
        taken = session.execute(
            select(col(CredentialRecord.credential_id)).where(
                col(CredentialRecord.credential_id).in_(ids[start : start + 500])
            )
        ).first()
        if taken is not None:
            raise ConflictError(
                f"a credential with id {taken[0]!r} was already issued here", field="credential.id"
            )


def _rows(
    actor: Actor,
    makerspace: Makerspace,
    signed: Sequence[tuple[Draft, dict[str, Any]]],
    method: str,
) -> dict[Table, list[dict[str, Any]]]:
    """The credential, status entry and audit rows of signed drafts."""
    now = utc_now()
    credentials = []
    entries = []
    events = []
    for draft, document in signed:
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        draft.stored = (document, text)
        credentials.append(
            {
                "id": draft.uuid,
                "credential_id": str(document.get("id")),
                "makerspace_id": makerspace.id,
                "holder": draft.holder,
                "skill_uri": draft.skill_uri,
                "level": draft.level,
                "issued_at": now,
                "valid_until": draft.valid_until,
                "document": text,
            }
        )
        for list_id, idx in draft.indices.values():
            entries.append(
                {"list_id": list_id, "idx": idx, "credential_id": draft.uuid, "status": 0}
            )
        events.append(
            audit.audit_row(
                actor,
                "credential.issue",
                str(document.get("id")),
                {
                    "holder": draft.holder,
                    "skill": draft.skill_uri,
                    "level": draft.level,
                    "key": method,
                },
            )
        )
    entries.sort(key=lambda row: (row["list_id"], row["idx"]))  # one lock order: no deadlock
    assert makerspace.id is not None
    keys = [
        idempotency.row(makerspace.id, draft.idempotency, draft.uuid)
        for draft, _ in signed
        if draft.idempotency is not None
    ]
    # The credential rows come first: the key rows refer to them.
    return {
        CREDENTIAL_TABLE: credentials,
        STATUS_ENTRY_TABLE: entries,
        AUDIT_TABLE: events,
        IDEMPOTENCY_TABLE: keys,
    }


def _claims(signed: Sequence[tuple[Draft, dict[str, Any]]]) -> list[tuple[int, int]]:
    return [claim for draft, _ in signed for claim in draft.indices.values()]


def _store(
    ctx: ServiceContext,
    actor: Actor,
    makerspace: Makerspace,
    signed: Sequence[tuple[Draft, dict[str, Any]]],
    method: str,
) -> None:
    if not signed:
        return
    rows = _rows(actor, makerspace, signed, method)
    if len(signed) == 1:
        ctx.writer.submit(rows, _claims(signed))  # shares a transaction with others
        return
    with ctx.db.write_connection() as connection:
        for table, values in rows.items():
            if values:
                connection.execute(insert(table), values)
