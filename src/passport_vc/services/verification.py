"""Verifying for anyone: the engine's pipeline with this service's resolvers and registry.

DID documents and status lists of makerspaces hosted here come straight from the database;
everything else goes through the engine's did:web resolver (allowlisted, public hosts only).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from passport_vc import errors
from passport_vc.credentials.model import as_list, issuer_id, problem
from passport_vc.credentials.openbadges import skill_level_from_badge
from passport_vc.credentials.verification import (
    VerifyOptions,
    verify_credential,
    verify_presentation,
)
from passport_vc.dids import DidWebResolver, UniversalResolver
from passport_vc.dids.did_web import did_web_from_url, parse_json_object
from passport_vc.dids.https_fetcher import HttpsFetcher
from passport_vc.errors import DidResolutionError, PassportVcError, StatusListError
from passport_vc.proofs.data_integrity import proofs_of
from passport_vc.services import challenges, makerspaces, status_lists, trust
from passport_vc.services.context import ServiceContext

STATUS_LIST_MAX_BYTES = 4 * 1024 * 1024


class LocalFirstDidResolver:
    """did:web documents of hosted makerspaces from the database, the rest over HTTPS."""

    def __init__(self, ctx: ServiceContext, remote: DidWebResolver) -> None:
        self._ctx = ctx
        self._remote = remote

    def resolve(self, did: str) -> dict[str, Any]:
        with self._ctx.db.session() as session:
            hosted = makerspaces.by_did(session, did)
            if hosted is not None:
                return makerspaces.did_document(session, hosted)
        if did.startswith(_hosted_prefix(self._ctx)):
            raise DidResolutionError(f"{did} is not a makerspace registered on this service")
        return self._remote.resolve(did)


def _hosted_prefix(ctx: ServiceContext) -> str:
    return did_web_from_url(ctx.public_url, ["makerspaces"]) + ":"


class StatusListFetcher:
    """Status list credentials: ours rendered locally, others fetched over HTTPS."""

    def __init__(self, ctx: ServiceContext, fetcher: HttpsFetcher) -> None:
        self._ctx = ctx
        self._fetcher = fetcher

    def __call__(self, url: str) -> Mapping[str, Any]:
        list_id = status_lists.list_id_from_url(self._ctx, url)
        if list_id is not None:
            try:
                body = status_lists.render_list(self._ctx, list_id).body
            except PassportVcError as exc:
                raise StatusListError(
                    f"{url}: {exc.detail}", problem_type=errors.STATUS_RETRIEVAL_ERROR
                ) from None
            loaded: dict[str, Any] = json.loads(body)
            return loaded
        try:
            raw = self._fetcher(url, timeout=5.0, max_bytes=STATUS_LIST_MAX_BYTES)
            return parse_json_object(raw, url)
        except PassportVcError as exc:
            raise StatusListError(
                f"status list {url} could not be retrieved: {exc.detail}",
                problem_type=errors.STATUS_RETRIEVAL_ERROR,
            ) from None


class Verifier:
    """One per process; resolvers cache remote documents (never our own, read per request)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        allowlist = ctx.settings.did_web_allowlist or None
        remote = DidWebResolver(allowlist=allowlist)
        self.did_resolver = UniversalResolver(did_web=LocalFirstDidResolver(ctx, remote))
        self.status_resolver = StatusListFetcher(ctx, HttpsFetcher())

    def _options(self, **kwargs: Any) -> VerifyOptions:
        return VerifyOptions(
            did_resolver=self.did_resolver, status_resolver=self.status_resolver, **kwargs
        )

    def verify_credential(self, credential: Any) -> dict[str, Any]:
        result = verify_credential(credential, self._options())
        if isinstance(credential, Mapping):
            self._describe(credential, result)
        return result

    def verify_presentation(
        self, presentation: Any, *, challenge: str | None, domain: str | list[str] | None
    ) -> dict[str, Any]:
        proof_challenge = _proof_challenge(presentation)
        wanted = challenge if challenge is not None else proof_challenge
        fresh = wanted is None or challenges.consume_challenge(self.ctx, wanted)
        result = verify_presentation(presentation, self._options(challenge=wanted, domain=domain))
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
                with contextlib.suppress(PassportVcError):
                    result["skill"]["criteria"] = skill.criteria(level.number)


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
