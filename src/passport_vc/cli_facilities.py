"""Facility commands of the CLI: `passport-vc facility import FILE.json --makerspace SLUG`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from passport_vc.cli import _emit, _fail, app
from passport_vc.cli_service import CLI_ACTOR, _open
from passport_vc.errors import PassportVcError
from passport_vc.okw import OkwError, parse_document
from passport_vc.services import facilities, makerspaces

facility_app = typer.Typer(help="OKW facilities and their equipment.", no_args_is_help=True)
app.add_typer(facility_app, name="facility")


def _load(file: Path) -> Any:
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{file} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except (ValueError, RecursionError) as exc:
        _fail(f"{file} is not usable JSON: {str(exc)[:200]}")


@facility_app.command("import")
def facility_import(
    file: Annotated[
        Path,
        typer.Argument(help="JSON: an OKW facility, a list of them, or an OKW map export."),
    ],
    makerspace: Annotated[str, typer.Option("--makerspace", help="Slug of the owner.")],
) -> None:
    """Import facilities for a makerspace; the same id or name replaces. Prints the ids."""
    data = _load(file)
    try:
        records = parse_document(data)
    except OkwError as exc:
        _fail(exc.detail)
    ctx = _open()
    imported: list[dict[str, str]] = []
    try:
        with ctx.db.session() as session:
            owner = makerspaces.by_slug(session, makerspace)
        for index, record in enumerate(records):
            where = f"[{index}] " if isinstance(data, list) else ""
            try:
                stored = facilities.import_facility(ctx, CLI_ACTOR, owner, record)
            except PassportVcError as exc:
                _fail(f"{where}{record.name!r}: {exc.detail}")
            imported.append({"id": stored.id, "name": stored.name})
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()
    _emit({"imported": imported}, False)
