"""Contract commands of the CLI: `passport-vc contract check CONTRACT_ID VP.json...`.

The check runs in-process against the configured database (the same PASSPORT_VC_* settings
as the server), exactly as POST /contracts/{id}/qualification-checks does, and is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from passport_vc.cli import _emit, _fail, _read_json, app
from passport_vc.errors import PassportVcError
from passport_vc.services import contracts
from passport_vc.services.audit import Actor
from passport_vc.services.context import open_service
from passport_vc.services.qualifications import presentation_holder
from passport_vc.services.verification import Verifier
from passport_vc.settings import load_settings

contract_app = typer.Typer(help="Contracts and their qualification checks.", no_args_is_help=True)
app.add_typer(contract_app, name="contract")

CLI_ACTOR = Actor(name="cli")


def _presentations(files: list[Path]) -> dict[str, Any]:
    """Each file's presentation under its holder (the party it speaks for)."""
    out: dict[str, Any] = {}
    for path in files:
        document = _read_json(str(path))
        holder = presentation_holder(document)
        if not isinstance(document, Mapping) or holder is None:
            _fail(f"{path}: not a presentation with a holder")
        if holder in out:
            _fail(f"{path}: a second presentation by {holder}")
        out[holder] = document
    return out


@contract_app.command("check")
def contract_check(
    contract_id: Annotated[str, typer.Argument(help="The contract's id.")],
    presentations: Annotated[
        list[Path], typer.Argument(help="Verifiable presentations (JSON), one per party.")
    ],
    domain: Annotated[str | None, typer.Option(help="Expected presentation domain.")] = None,
) -> None:
    """Check the parties' qualifications; prints the outcome with its signed record.
    Exit 0 passed, 1 failed, 2 bad input."""
    given = _presentations(presentations)
    try:
        ctx = open_service(load_settings())
    except PassportVcError as exc:
        _fail(exc.detail)
    try:
        outcome = contracts.run_check(
            ctx, Verifier(ctx), contract_id, given, domain=domain, actor=CLI_ACTOR
        )
    except PassportVcError as exc:
        _fail(exc.detail)
    finally:
        ctx.close()
    _emit(outcome, compact=False)
    raise typer.Exit(0 if outcome["passed"] else 1)
