"""Dependencies: the process's service context, the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from passport_vc.services import idempotency, makerspaces
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import AuthenticationError, ForbiddenError
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
                return makerspaces.authenticate(session, token)

        makerspace = await run_in_threadpool(lookup)
        ctx.callers.put(cache_key, makerspace)
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


async def get_idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            description="Any unique string (a UUID): a retry with the same key and body returns "
            "what the first request issued, with `Idempotent-Replayed: true`, never a second "
            "badge. For a batch, rows already issued under the key come back, the rest are "
            "issued.",
        ),
    ] = None,
) -> str | None:
    return idempotency.parse_header(key)


IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]
