"""The passport-vc command line.

Bad input exits with status 2 and one line on stderr; `verify` exits 0 when verified, 1 when not.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from passport_vc import __version__
from passport_vc.errors import PassportVcError
from passport_vc.keys import SigningKey

if TYPE_CHECKING:
    from passport_vc.dids.offline import OfflineDidResolver

app = typer.Typer(
    help="passport-vc: maker skill badges as W3C Verifiable Credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Suite = Annotated[
    str, typer.Option("--suite", help="Cryptosuite: eddsa-rdfc-2022 (default) or eddsa-jcs-2022.")
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"passport-vc: {message}", err=True)
    raise typer.Exit(2)


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {source}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{source} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def _jsonl_lines() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line


def _emit(value: Any, compact: bool) -> None:
    text = (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if compact
        else (json.dumps(value, ensure_ascii=False, indent=2))
    )
    sys.stdout.write(text + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def keygen() -> None:
    """Generate an Ed25519 key; prints did, verificationMethod and both multibase keys."""
    key = SigningKey.generate()
    _emit(
        {
            "did": key.did_key,
            "verificationMethod": key.verification_method,
            "publicKeyMultibase": key.public_key.multibase,
            "secretKeyMultibase": key.secret_multibase(),
        },
        compact=False,
    )


@app.command()
def sign(
    file: Annotated[str, typer.Argument(help="JSON file to sign, or - for stdin.")] = "-",
    key: Annotated[str, typer.Option("--key", help="Secret key as Multikey (z3u2…).")] = "",
    suite: Suite = "eddsa-rdfc-2022",
    created: Annotated[
        str | None, typer.Option(help="Proof creation time (dateTimeStamp).")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="assertionMethod (credentials) or authentication.")
    ] = None,
    challenge: Annotated[str | None, typer.Option(help="Challenge for a presentation.")] = None,
    domain: Annotated[str | None, typer.Option(help="Domain for a presentation.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Sign one document per stdin line.")
    ] = False,
) -> None:
    """Sign a credential or a presentation with a did:key key; prints the signed document."""
    from passport_vc.credentials.model import types_of
    from passport_vc.credentials.signing import sign as sign_document
    from passport_vc.proofs.data_integrity import ProofOptions

    if not key:
        _fail("--key is required (a secretKeyMultibase from `passport-vc keygen`)")
    try:
        signing_key = SigningKey.from_multibase(key)
    except PassportVcError as exc:
        _fail(f"--key: {exc.detail}")

    def options_for(document: Any) -> ProofOptions:
        is_vp = isinstance(document, Mapping) and "VerifiablePresentation" in types_of(document)
        default = "authentication" if is_vp else "assertionMethod"
        return ProofOptions(
            cryptosuite=suite,
            proof_purpose=purpose or default,
            created=created,
            challenge=challenge,
            domain=domain,
        )

    if not jsonl:
        document = _read_json(file)
        try:
            _emit(sign_document(document, signing_key, options_for(document)), compact=False)
        except PassportVcError as exc:
            _fail(exc.detail)
        return
    failed = 0
    for n, line in enumerate(_jsonl_lines(), start=1):
        try:
            document = json.loads(line)
            _emit(sign_document(document, signing_key, options_for(document)), compact=True)
        except json.JSONDecodeError as exc:
            failed += 1
            _emit({"error": {"line": n, "detail": f"not JSON: {exc.msg}"}}, compact=True)
        except PassportVcError as exc:
            failed += 1
            _emit({"error": {"line": n, **exc.problem()}}, compact=True)
    if failed:
        typer.echo(f"passport-vc: {failed} document(s) could not be signed", err=True)
        raise typer.Exit(2)


def _offline_resolver(files: list[Path]) -> OfflineDidResolver:
    """The DID documents given with --did-document; exit 2 naming the file that is wrong."""
    from passport_vc.dids.offline import OfflineDidResolver, load_did_document

    resolver = OfflineDidResolver()
    for path in files:
        where = f"--did-document {path}"
        try:
            body = path.read_bytes()
        except OSError as exc:
            _fail(f"{where}: cannot read it: {exc.strerror or type(exc).__name__}")
        try:
            resolver.add(load_did_document(body, str(path)))
        except PassportVcError as exc:
            _fail(f"{where}: {' '.join(exc.detail.split())}")
    return resolver


@app.command()
def verify(
    file: Annotated[str, typer.Argument(help="JSON file to verify, or - for stdin.")] = "-",
    challenge: Annotated[str | None, typer.Option(help="Expected presentation challenge.")] = None,
    domain: Annotated[str | None, typer.Option(help="Expected presentation domain.")] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option("--status-list", help="A status list credential file, used offline."),
    ] = None,
    did_document: Annotated[
        list[Path] | None,
        typer.Option(
            "--did-document",
            help="A DID document file (JSON), used for its id instead of resolving it "
            "(e.g. a service's /.well-known/did.json). Repeatable.",
        ),
    ] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Verify one document per stdin line.")
    ] = False,
) -> None:
    """Verify a credential or presentation; exit 0 verified, 1 not, 2 bad input.

    Nothing is fetched: did:key is resolved locally, any other DID only from a
    --did-document file, and status lists only from --status-list files."""
    from passport_vc.credentials.verification import VerifyOptions
    from passport_vc.credentials.verification import verify as verify_document

    resolver = _offline_resolver(did_document or [])
    lists: dict[str, Any] = {}
    for path in status_list or []:
        doc = _read_json(str(path))
        if not isinstance(doc, Mapping) or not isinstance(doc.get("id"), str):
            _fail(f"{path}: a status list credential needs an id")
        lists[doc["id"]] = doc

    def resolve_status(url: str) -> Mapping[str, Any]:
        if url not in lists:
            raise PassportVcError(f"status list {url} was not given (use --status-list FILE)")
        found: Mapping[str, Any] = lists[url]
        return found

    options = VerifyOptions(
        challenge=challenge,
        domain=domain,
        did_resolver=resolver,
        status_resolver=resolve_status if lists else None,
        return_document=False,
    )
    if not jsonl:
        result = verify_document(_read_json(file), options)
        _emit(result, compact=False)
        raise typer.Exit(0 if result["verified"] else 1)
    all_ok = True
    for line in _jsonl_lines():
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            document = None
            result = {
                "verified": False,
                "problemDetails": [
                    {
                        "type": "https://www.w3.org/TR/vc-data-model#PARSING_ERROR",
                        "title": "Parsing error",
                        "detail": f"not JSON: {exc.msg}",
                    }
                ],
                "results": {},
            }
        if document is not None:
            result = verify_document(document, options)
        all_ok = all_ok and bool(result["verified"])
        _emit(result, compact=True)
    raise typer.Exit(0 if all_ok else 1)


@app.command()
def skills(
    category: Annotated[str | None, typer.Option(help="Category code or URI.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Text to search in labels and definitions.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the maker skills taxonomy."""
    from passport_vc.errors import PassportVcError as _Err
    from passport_vc.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    try:
        found = list(taxonomy.skills)
        if category:
            wanted = {s.code for s in taxonomy.in_category(category)}
            found = [s for s in found if s.code in wanted]
        if search:
            order = [s.code for s in taxonomy.search(search)]
            found = sorted((s for s in found if s.code in order), key=lambda s: order.index(s.code))
    except _Err as exc:
        _fail(exc.detail)
    if as_json:
        _emit(
            [
                {
                    "code": s.code,
                    "uri": s.uri,
                    "label": s.label,
                    "category": s.category,
                    "kind": s.kind,
                }
                for s in found
            ],
            compact=False,
        )
        return
    for s in found:
        typer.echo(f"{s.code:<22} {s.category:<14} {s.label}")
    if not found:
        typer.echo("no skill matches", err=True)


# The service commands (serve, makerspace, issue-batch, db, demo) register on `app`.
from passport_vc import cli_contracts as _contract_commands  # noqa: E402, F401
from passport_vc import cli_facilities as _facility_commands  # noqa: E402, F401
from passport_vc import cli_service as _service_commands  # noqa: E402, F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()
