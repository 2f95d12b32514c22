"""Dependencies: the process's service context, the caller's identity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from passport_vc.services import idempotency, makerspaces
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import AuthenticationError, ForbiddenError
from passport_vc.services.issuance import single_flight
from passport_vc.services.verification import Verifier
from passport_vc.store import Makerspace


async def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


async def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the API key as 'Authorization: Bearer <key>'")
    return token.strip()


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


class Caller:
    """The authenticated makerspace and the actor that audit rows name."""

    def __init__(self, makerspace: Makerspace, actor: Actor) -> None:
        self.makerspace = makerspace
        self.actor = actor


async def get_caller(request: Request, ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> Caller:
    """The makerspace whose API key is the Bearer token (cached a few seconds per worker)."""
    token = _bearer(request)
    cache_key = makerspaces.hash_api_key(token)
    cached = ctx.callers.get(cache_key)
    if isinstance(cached, Makerspace):
        makerspace = cached
    else:

        def lookup() -> Makerspace:
            with ctx.db.session() as session:
                found = makerspaces.authenticate(session, token)
            ctx.callers.put(cache_key, found)
            return found

        # One lookup for all the requests with this key that miss the cache meanwhile.
        makerspace = await single_flight(("caller", id(ctx), cache_key), lookup)
    actor = Actor(
        name=f"makerspace:{makerspace.slug}",
        makerspace_id=makerspace.id,
        api_key_hint=makerspace.api_key_hint,
        client=client_of(request),
    )
    return Caller(makerspace, actor)


def require_slug(caller: Caller, slug: str) -> None:
    if caller.makerspace.slug != slug:
        raise ForbiddenError(f"this API key belongs to {caller.makerspace.slug}, not {slug}")


async def get_admin(request: Request, ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> Actor:
    token = _bearer(request)
    if not ctx.settings.is_admin_token(token):
        raise AuthenticationError("the admin token is not valid")
    return Actor(name="admin", client=client_of(request))


CtxDep = Annotated[ServiceContext, Depends(get_ctx)]
CallerDep = Annotated[Caller, Depends(get_caller)]
AdminDep = Annotated[Actor, Depends(get_admin)]
VerifierDep = Annotated[Verifier, Depends(get_verifier)]


IDEMPOTENCY_KEY_DESCRIPTION = (
    "Any unique string (a UUID): a retry with the same key and body returns "
    "what the first request issued, with `Idempotent-Replayed: true`, never a second "
    "badge. For a batch, rows already issued under the key come back, the rest are "
    "issued."
)


async def get_idempotency_key(
    key: Annotated[
        str | None,
        Header(alias=idempotency.HEADER, description=IDEMPOTENCY_KEY_DESCRIPTION),
    ] = None,
) -> str | None:
    return idempotency.parse_header(key)


IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]


# For the single-badge route, which reads its caller and Idempotency-Key itself: FastAPI's
# dependency and header-parameter machinery cost it more than the reading does. The OpenAPI
# parameter the dependency would declare, declared by hand (tests/service check they agree).
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "schema": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "description": IDEMPOTENCY_KEY_DESCRIPTION,
        "title": idempotency.HEADER,
    },
    "description": IDEMPOTENCY_KEY_DESCRIPTION,
}


def context_of(request: Request) -> ServiceContext:
    """What get_ctx gives."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def idempotency_key_of(request: Request) -> str | None:
    """What get_idempotency_key gives: FastAPI reads a header parameter as Headers.get does
    (case-insensitive, the first of repeated headers)."""
    return idempotency.parse_header(request.headers.get(idempotency.HEADER))
