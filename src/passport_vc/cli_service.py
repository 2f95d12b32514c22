"""Service commands of the CLI: serve, makerspace, issue-batch, db, demo.

They read the same PASSPORT_VC_* settings as the server, so a makerspace created here is
usable by a server started with the same environment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from passport_vc.cli import _emit, _fail, app
from passport_vc.errors import PassportVcError
from passport_vc.services import batch, makerspaces
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext, open_service
from passport_vc.settings import load_settings

makerspace_app = typer.Typer(
    help="Register makerspaces and manage their keys.", no_args_is_help=True
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(makerspace_app, name="makerspace")
app.add_typer(db_app, name="db")

CLI_ACTOR = Actor(name="cli")


def _open() -> ServiceContext:
    try:
        return open_service(load_settings())
    except PassportVcError as exc:
        _fail(exc.detail)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    demo: Annotated[bool, typer.Option(help="Add demo data first (idempotent).")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the HTTP service (uvicorn with uvloop and httptools)."""
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        _fail("--ssl-certfile and --ssl-keyfile go together")
    ctx = _open()  # migrates once, before any worker starts
    if demo:
        from passport_vc.demo import seed_demo

        info = seed_demo(ctx)
    else:
        info = None
    scheme = "https" if ssl_certfile else "http"
    base = f"{scheme}://{host}:{port}"
    _print_banner(ctx, base, info)
    ctx.close()
    uvicorn.run(
        "passport_vc.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
    )


def _print_banner(ctx: ServiceContext, base: str, demo: dict[str, Any] | None) -> None:
    lines = [
        f"passport-vc on {base}  (public URL {ctx.public_url})",
        f"  database:    {ctx.db.url.split('@')[-1]}",
        f"  API docs:    {base}/docs",
        f"  skills:      {base}/skills",
        f"  verify:      {base}/verify   (paste or upload a badge)",
        f"  console:     {base}/console  (sign in with a makerspace's API key)",
        f"  share:       {base}/share    (a maker makes a link to their passport)",
    ]
    if demo is not None:
        lines.append(f"  admin token: {ctx.settings.resolved_admin_token}")
    elif ctx.settings.admin_token is None:
        lines.append(f"  admin token: in {ctx.settings.admin_token_file}")
    if demo is not None:
        lines += [
            f"  demo makerspace: {base}/makerspaces/{demo['slug']}  (DID {demo['did']})",
            f"  its DID document: {base}/makerspaces/{demo['slug']}/did.json",
            f"  its API key: {demo['api_key']}",
            f"  a demo badge: {base}/credentials/{demo['credentials'][0]}",
            f"  status list:  {demo['status_list']}",
        ]
    sys.stderr.write("\n".join(lines) + "\n")


@makerspace_app.command("create")
def makerspace_create(
    name: Annotated[str, typer.Option(help="Display name.")],
    slug: Annotated[str | None, typer.Option(help="URL name (default: from the name).")] = None,
    did_method: Annotated[str | None, typer.Option(help="web (default) or key.")] = None,
    url: Annotated[str | None, typer.Option(help="Web site.")] = None,
    email: Annotated[str | None, typer.Option(help="Public contact e-mail.")] = None,
    location: Annotated[str | None, typer.Option(help="City, country.")] = None,
    facility_url: Annotated[str | None, typer.Option(help="OKW facility record URL.")] = None,
) -> None:
    """Register a makerspace; prints {id, slug, did, api_key} (the key is shown only once)."""
    ctx = _open()
    try:
        created = makerspaces.create_makerspace(
            ctx,
            CLI_ACTOR,
            name=name,
            slug=slug,
            did_method=did_method,
            url=url,
            email=email,
            location=location,
            facility_url=facility_url,
        )
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()
    record = created.makerspace
    _emit(
        {"id": record.id, "slug": record.slug, "did": record.did, "api_key": created.api_key}, False
    )


@makerspace_app.command("list")
def makerspace_list() -> None:
    """The registered makerspaces (public profiles) as JSON."""
    ctx = _open()
    with ctx.db.session() as session:
        _emit([makerspaces.public_view(m) for m in makerspaces.list_makerspaces(session)], False)
    ctx.close()


@makerspace_app.command("rotate-key")
def makerspace_rotate_key(slug: str) -> None:
    """New badges get a new key; the old one stays in the DID document until retired."""
    ctx = _open()
    try:
        _emit({"verificationMethod": makerspaces.rotate_key(ctx, CLI_ACTOR, slug)}, False)
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()


@makerspace_app.command("retire-key")
def makerspace_retire_key(slug: str, key: str) -> None:
    """Drop a previous key (its fragment, e.g. key-1) from the DID document."""
    ctx = _open()
    try:
        _emit({"retired": makerspaces.retire_key(ctx, CLI_ACTOR, slug, key)}, False)
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()


@app.command("issue-batch")
def issue_batch(
    file: Annotated[
        Path, typer.Argument(help="CSV: holder,skill,level[,holderName,evidence,validUntil,scope]")
    ],
    makerspace: Annotated[
        str, typer.Option("--makerspace", help="Slug of the issuing makerspace.")
    ],
    output: Annotated[
        Path | None, typer.Option(help="Write the per-row results (JSON) here.")
    ] = None,
) -> None:
    """Issue a CSV of badges with a progress bar; exits 1 if any row failed."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    ctx = _open()
    try:
        rows = batch.parse_csv(data, ctx.settings.max_batch_rows * 100)
        with ctx.db.session() as session:
            issuer = makerspaces.by_slug(session, makerspace)
        results: list[dict[str, Any]] = []
        with typer.progressbar(length=len(rows), label="issuing", file=sys.stderr) as bar:
            step = ctx.settings.max_batch_rows
            for start in range(0, len(rows), step):
                part = batch.issue_batch(
                    ctx, CLI_ACTOR, issuer, rows[start : start + step], bar.update
                )
                for row in part.rows:
                    row["row"] += start
                results.extend(part.rows)
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()
    summary = batch.BatchResult(results)
    report = summary.to_json(include_credentials=output is not None)
    if output is not None:
        output.write_text(json.dumps(report, ensure_ascii=False))
    for row in results:
        if row["status"] == "failed":
            sys.stderr.write(f"row {row['row'] + 1}: {row['field']}: {row['detail']}\n")
    _emit({k: v for k, v in report.items() if k != "results"}, False)
    raise typer.Exit(0 if summary.issued == len(results) else 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (the server also does this when it starts)."""
    ctx = _open()
    ctx.close()
    typer.echo("database is at the latest schema", err=True)


@app.command()
def demo() -> None:
    """Add the demo makerspace, maker and badges (idempotent) and print them as JSON."""
    from passport_vc.demo import seed_demo

    ctx = _open()
    try:
        _emit(seed_demo(ctx), False)
    finally:
        ctx.close()
