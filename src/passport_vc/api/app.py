"""The FastAPI application: one ServiceContext per process, routers, errors, limits."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

import anyio.to_thread
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from passport_vc import __version__
from passport_vc.api import (
    problems,
    routes_admin,
    routes_authorisations,
    routes_contracts,
    routes_credentials,
    routes_facilities,
    routes_makerspaces,
    routes_passports,
    routes_public,
    routes_qr,
    routes_service,
)
from passport_vc.api.limits import BodySizeLimit
from passport_vc.api.openapi_security import declare_bearer_auth
from passport_vc.api.rate_limits import RateLimit
from passport_vc.services.context import ServiceContext, open_service
from passport_vc.services.verification import Verifier
from passport_vc.settings import Settings, load_settings
from passport_vc.web import (
    browse_pages,
    console,
    console_batch,
    credential_page,
    makerspace_pages,
    pages,
    passport_page,
    share_page,
    verify_page,
)

log = logging.getLogger("passport_vc")

DESCRIPTION = """Maker skill badges as W3C Verifiable Credentials (Open Badges 3.0).

Makerspaces issue and revoke with their API key (`Authorization: Bearer pvc_…`); anyone
verifies. Errors are RFC 9457 problem+json naming the field and the reason."""


def create_app(settings: Settings | None = None, ctx: ServiceContext | None = None) -> FastAPI:
    """The application; `ctx` is opened at startup from `settings` unless given."""
    settings = settings or (ctx.settings if ctx else load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = ctx or open_service(settings)
        # As many request threads as database connections (see Settings.database_pool_size).
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            opened.settings.database_pool_size
        )
        app.state.ctx = opened
        app.state.verifier = Verifier(opened)
        if ctx is None:
            # A served worker: what it loaded at start (taxonomy, contexts, templates, the
            # framework) lives as long as it does. Frozen out of the collector's sight, a full
            # collection under load takes ~2.5 ms instead of 60-90 ms, most of the p99.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if ctx is None:
                opened.close()

    app = FastAPI(
        title="passport-vc",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
    )
    if ctx is not None:
        app.state.ctx = ctx
        app.state.verifier = Verifier(ctx)
    problems.install(app)
    declare_bearer_auth(app)
    # The pages first: at a resource URL they answer browsers, and hand JSON clients on.
    app.include_router(pages.router)
    app.include_router(browse_pages.router)  # /facilities, /skills, /skills/{code}
    app.include_router(makerspace_pages.router)  # GET /makerspaces, /makerspaces/{slug}
    app.include_router(credential_page.router)
    app.include_router(verify_page.router)
    app.include_router(passport_page.router)
    app.include_router(share_page.router)
    app.include_router(console.router)
    app.include_router(console_batch.router)  # also /console/facilities
    for module in (
        routes_qr,  # before routes_credentials: its GET /credentials/{id:path} matches all
        routes_credentials,
        routes_makerspaces,
        routes_public,
        routes_admin,
        routes_facilities,
        routes_authorisations,
        routes_contracts,
        routes_passports,
        routes_service,
    ):
        app.include_router(module.router)
    static = StaticFiles(directory=str(files("passport_vc") / "static"))
    app.mount("/static", static, name="static")
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_body_bytes,
        large=settings.max_batch_body_bytes,
        large_paths=("/badges/batch", "/console/batch"),
    )
    if settings.rate_limits_enabled:
        # Outermost: a refused request costs no body read and no database work.
        app.add_middleware(RateLimit, limits=settings.rate_limits)
    return app


def app_from_environment() -> FastAPI:
    """The entry point uvicorn imports in each worker (`--workers N`)."""
    return create_app(load_settings())
