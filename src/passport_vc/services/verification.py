"""Verifying for anyone: the engine's pipeline with this service's resolvers and registry.

DID documents and status lists of makerspaces hosted here come straight from the database;
everything else goes through the engine's did:web resolver (allowlisted, public hosts only).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from passport_vc import errors
from passport_vc.credentials.model import as_list, issuer_id, problem
from passport_vc.credentials.openbadges import skill_level_from_badge
from passport_vc.credentials.verification import (
    VerifyOptions,
    verify_credential,
    verify_presentation,
)
from passport_vc.dids import DidWebResolver, UniversalResolver
from passport_vc.dids.did_web import Fetcher, did_web_from_url, parse_json_object
from passport_vc.dids.https_fetcher import HttpsFetcher
from passport_vc.errors import DidResolutionError, PassportVcError, StatusListError
from passport_vc.proofs.data_integrity import proofs_of
from passport_vc.services import challenges, makerspaces, service_identity, status_lists, trust
from passport_vc.services.context import ServiceContext
from passport_vc.store import StatusListCopy, StoreUnavailableError
from passport_vc.timestamps import format_datetime_stamp, utc_now

STATUS_LIST_MAX_BYTES = 4 * 1024 * 1024
STATUS_LIST_TYPE = "BitstringStatusListCredential"
COPY_URL_MAX = 2000  # status_list_copy.url
log = logging.getLogger("passport_vc.verification")


class LocalFirstDidResolver:
    """did:web documents of hosted makerspaces from the database, the rest over HTTPS."""

    def __init__(self, ctx: ServiceContext, remote: DidWebResolver) -> None:
        self._ctx = ctx
        self._remote = remote

    def resolve(self, did: str) -> dict[str, Any]:
        if did == service_identity.service_did(self._ctx):
            return service_identity.did_document(self._ctx)
        try:
            with self._ctx.db.session() as session:
                hosted = makerspaces.by_did(session, did)
                if hosted is not None:
                    return makerspaces.did_document(session, hosted)
        except StoreUnavailableError as exc:
            _note_store_failure(exc)
            raise
        if did.startswith(_hosted_prefix(self._ctx)):
            raise DidResolutionError(f"{did} is not a makerspace registered on this service")
        return self._remote.resolve(did)


def _hosted_prefix(ctx: ServiceContext) -> str:
    return did_web_from_url(ctx.public_url, ["makerspaces"]) + ":"


# The database failures the resolvers met while a Verifier call ran. The engine turns any
# resolver failure into a "not verified" problem (dids.dereference catches every exception);
# our own database being down is no property of the credential: the call raises it (503).
_store_failures: ContextVar[list[StoreUnavailableError] | None] = ContextVar(
    "store_failures", default=None
)


def _note_store_failure(exc: StoreUnavailableError) -> None:
    found = _store_failures.get()
    if found is not None:
        found.append(exc)


@contextlib.contextmanager
def _store_failures_raise() -> Iterator[None]:
    found: list[StoreUnavailableError] = []
    token = _store_failures.set(found)
    try:
        yield
    finally:
        _store_failures.reset(token)
    if found:
        raise found[0]


# The cached copies a status check fell back on, by URL (set while a Verifier call runs).
_copies_used: ContextVar[dict[str, datetime] | None] = ContextVar("copies_used", default=None)


class StatusListFetcher:
    """Status list credentials: ours rendered locally, others fetched over HTTPS.

    Every remote list fetched is kept (table status_list_copy). When its host cannot be
    reached, the copy stands in while it is younger than `status_list_max_age_seconds`, and
    the verification says so (`copies_used`); an older copy fails closed.
    """

    def __init__(self, ctx: ServiceContext, fetcher: Fetcher) -> None:
        self._ctx = ctx
        self._fetcher = fetcher

    def __call__(self, url: str) -> Mapping[str, Any]:
        list_id = status_lists.list_id_from_url(self._ctx, url)
        if list_id is not None:
            try:
                body = status_lists.render_list(self._ctx, list_id).body
            except StoreUnavailableError as exc:
                _note_store_failure(exc)
                raise
            except PassportVcError as exc:
                raise StatusListError(
                    f"{url}: {exc.detail}", problem_type=errors.STATUS_RETRIEVAL_ERROR
                ) from None
            loaded: dict[str, Any] = json.loads(body)
            return loaded
        try:
            raw = self._fetcher(url, timeout=5.0, max_bytes=STATUS_LIST_MAX_BYTES)
            document = parse_json_object(raw, url)
        except PassportVcError as exc:
            return self._from_copy(url, exc.detail)
        self._keep_copy(url, document)
        return document

    @staticmethod
    @contextlib.contextmanager
    def copies_used() -> Iterator[dict[str, datetime]]:
        """Collects, for the verification run inside the block, each list URL answered from a
        cached copy and when that copy was fetched."""
        used: dict[str, datetime] = {}
        token = _copies_used.set(used)
        try:
            yield used
        finally:
            _copies_used.reset(token)

    def _keep_copy(self, url: str, document: Mapping[str, Any]) -> None:
        """Upsert the copy (race-safe on both backends); never fails the verification."""
        if len(url) > COPY_URL_MAX or STATUS_LIST_TYPE not in as_list(document.get("type")):
            return  # only status list credentials: anything else is of no use offline
        values = {
            "url": url,
            "document": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            "fetched_at": utc_now(),
        }
        update = {"document": values["document"], "fetched_at": values["fetched_at"]}
        try:
            with self._ctx.db.session(write=True) as session:
                if self._ctx.db.is_sqlite:
                    lite = sqlite.insert(StatusListCopy).values(**values)
                    session.execute(lite.on_conflict_do_update(index_elements=["url"], set_=update))
                else:
                    pg = postgresql.insert(StatusListCopy).values(**values)
                    session.execute(pg.on_conflict_do_update(index_elements=["url"], set_=update))
        except (SQLAlchemyError, StoreUnavailableError) as exc:
            log.warning("could not keep a copy of status list %s: %s", url, type(exc).__name__)

    def _from_copy(self, url: str, failure: str) -> Mapping[str, Any]:
        problem_detail = f"status list {url} could not be retrieved: {failure}"
        try:
            with self._ctx.db.session() as session:
                copy = session.get(StatusListCopy, url) if len(url) <= COPY_URL_MAX else None
        except StoreUnavailableError as exc:
            _note_store_failure(exc)
            raise
        if copy is None:
            raise StatusListError(problem_detail, problem_type=errors.STATUS_RETRIEVAL_ERROR)
        age = max(0.0, (utc_now() - copy.fetched_at).total_seconds())
        limit = self._ctx.settings.status_list_max_age_seconds
        fetched = format_datetime_stamp(copy.fetched_at)
        if age > limit:
            raise StatusListError(
                f"{problem_detail}; the last copy, fetched at {fetched}, is {_duration(age)} old, "
                f"older than the {_duration(limit)} a copy may stand in for it",
                problem_type=errors.STATUS_RETRIEVAL_ERROR,
            )
        used = _copies_used.get()
        if used is not None:
            used[url] = copy.fetched_at
        try:
            loaded: dict[str, Any] = json.loads(copy.document)
        except json.JSONDecodeError:
            raise StatusListError(
                problem_detail, problem_type=errors.STATUS_RETRIEVAL_ERROR
            ) from None
        return loaded


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    if whole < 172_800:
        return f"{whole // 3600} h"
    return f"{whole // 86_400} days"


def cached_copy_warnings(
    credential: Mapping[str, Any], used: Mapping[str, datetime]
) -> list[dict[str, str]]:
    """A warning for each status list of `credential` answered from a cached copy."""
    out = []
    for entry in as_list(credential.get("credentialStatus")):
        url = entry.get("statusListCredential") if isinstance(entry, Mapping) else None
        if isinstance(url, str) and url in used:
            stamp = format_datetime_stamp(used[url])
            note = problem(
                errors.STATUS_RETRIEVAL_ERROR,
                f"status list {url} could not be retrieved: the status is from the cached "
                f"copy fetched at {stamp}",
                "Status from cached copy",
            )
            if note not in out:
                out.append(note)
    return out


class Verifier:
    """One per process; resolvers cache remote documents (never our own, read per request)."""

    def __init__(self, ctx: ServiceContext, *, status_fetcher: Fetcher | None = None) -> None:
        """`status_fetcher` gets remote status lists (default: HTTPS; tests inject one)."""
        self.ctx = ctx
        allowlist = ctx.settings.did_web_allowlist or None
        remote = DidWebResolver(allowlist=allowlist)
        self.did_resolver = UniversalResolver(did_web=LocalFirstDidResolver(ctx, remote))
        self.status_resolver = StatusListFetcher(ctx, status_fetcher or HttpsFetcher())

    def _options(self, **kwargs: Any) -> VerifyOptions:
        return VerifyOptions(
            did_resolver=self.did_resolver, status_resolver=self.status_resolver, **kwargs
        )

    def verify_credential(self, credential: Any) -> dict[str, Any]:
        with _store_failures_raise(), self.status_resolver.copies_used() as copies:
            result = verify_credential(credential, self._options())
        if isinstance(credential, Mapping):
            self._describe(credential, result)
            result["warnings"].extend(cached_copy_warnings(credential, copies))
        return result

    def verify_presentation(
        self, presentation: Any, *, challenge: str | None, domain: str | list[str] | None
    ) -> dict[str, Any]:
        proof_challenge = _proof_challenge(presentation)
        wanted = challenge if challenge is not None else proof_challenge
        fresh = wanted is None or challenges.consume_challenge(self.ctx, wanted)
        with _store_failures_raise(), self.status_resolver.copies_used() as copies:
            result = verify_presentation(
                presentation, self._options(challenge=wanted, domain=domain)
            )
        if wanted is not None and not fresh:
            result["verified"] = False
            result["problemDetails"].append(
                problem(
                    errors.INVALID_CHALLENGE_ERROR,
                    "the challenge was not issued here, has expired or was already used",
                    "Invalid challenge",
                )
            )
            result["results"].setdefault("presentation", {})["challenge"] = {
                "verified": False,
                "input": wanted,
            }
        if wanted is None:
            result["warnings"].append(
                problem(
                    errors.INVALID_CHALLENGE_ERROR,
                    "the presentation carries no challenge, so a replay cannot be detected; "
                    "ask the holder to sign one from POST /challenges",
                    "No challenge",
                )
            )
        if isinstance(presentation, Mapping):
            for vc, item in zip(
                as_list(presentation.get("verifiableCredential")),
                result["results"].get("credentials", []),
                strict=False,
            ):
                if isinstance(vc, Mapping):
                    self._describe(vc, item)
                    notes = cached_copy_warnings(vc, copies)
                    item["warnings"].extend(notes)
                    result["warnings"].extend(n for n in notes if n not in result["warnings"])
        return result

    def _describe(self, credential: Mapping[str, Any], result: dict[str, Any]) -> None:
        """Add what a person wants to read: who issued it, registered or not, which skill."""
        did = issuer_id(credential)
        with self.ctx.db.session() as session:
            found = trust.standing(session, did)
        if found is not None:
            claimed = credential.get("issuer")
            claimed_name = claimed.get("name") if isinstance(claimed, Mapping) else None
            result["issuer"] = {
                "id": found.did,
                "name": found.name or (claimed_name if isinstance(claimed_name, str) else None),
                "registered": found.registered,
                "trusted": found.trusted,
                "makerspace": found.makerspace,
            }
        skill_level = skill_level_from_badge(credential)
        if skill_level is not None:
            skill = self.ctx.taxonomy.find(skill_level[0])
            if skill is not None:
                level = self.ctx.taxonomy.level(skill_level[1])
                category = self.ctx.taxonomy.category(skill.category)
                result["skill"] = {
                    "id": skill.uri,
                    "code": skill.code,
                    "label": skill.label_in("en"),
                    "category": category.label_in("en"),
                    "level": level.number,
                    "levelName": level.name_in("en"),
                }
                criteria = skill.level_criteria.get(level.number)
                if criteria is not None:
                    result["skill"]["criteria"] = criteria


def _proof_challenge(presentation: Any) -> str | None:
    if not isinstance(presentation, Mapping):
        return None
    try:
        for proof in proofs_of(presentation):
            value = proof.get("challenge")
            if isinstance(value, str):
                return value
    except PassportVcError:
        return None
    return None
