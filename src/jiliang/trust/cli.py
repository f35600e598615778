"""``jiliang keys`` (signing keys) and ``jiliang log`` (the public log, offline verification)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


keys_app = typer.Typer(
    help="Signing keys: the log's Ed25519 key, organisations' DCC keys.", no_args_is_help=True
)
log_app = typer.Typer(
    help="The public log of certificates: checkpoints, bundles, verification.", no_args_is_help=True
)
commands: list[tuple[str, typer.Typer]] = [("keys", keys_app), ("log", log_app)]

OrgOpt = Annotated[str | None, typer.Option("--org", help="organisation id or USCC (DCC keys)")]
KindOpt = Annotated[str, typer.Option("--kind", help="dcc (an organisation's) or log (this log's)")]


def _org_id(session, org: str | None) -> int | None:
    from sqlalchemy import select

    from jiliang.orgs.models import Organisation

    if org is None:
        return None
    found = session.scalar(
        select(Organisation.id).where(
            (Organisation.uscc == org.upper())
            | (Organisation.id == (int(org) if org.isdigit() and len(org) < 10 else -1))
        )
    )
    if found is None:
        _fail(f"--org: no organisation with id or USCC {org}")
    return found


def _key_command(action: str, org: str | None, kind: str) -> None:
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError
    from jiliang.core.security import SYSTEM
    from jiliang.trust import keys

    if kind not in ("dcc", "log"):
        _fail("--kind must be dcc or log")
    if kind == "dcc" and org is None:
        _fail("--org is required for a DCC key")
    prepare_database()
    try:
        with session_scope() as session:
            org_id = _org_id(session, org) if kind == "dcc" else None
            fn = keys.create_key if action == "create" else keys.rotate_key
            record = fn(session, SYSTEM, kind, org_id)
            info = keys.key_info(record)
            path = keys.keys_dir() / record.file_name
    except DomainError as exc:
        _fail(exc.message_en)
    console.print(f"{action}d {info['kind']} key {info['fingerprint'][:16]} ({info['name']})")
    console.print(f"private key: {path} (0600)")
    typer.echo((info.get("vkey") or info["public_key"]).rstrip("\n"))


@keys_app.command("create")
def keys_create(org: OrgOpt = None, kind: KindOpt = "dcc") -> None:
    """Create the signing key of an organisation (--org) or of the log (--kind log)."""
    _key_command("create", org, kind)


@keys_app.command("rotate")
def keys_rotate(org: OrgOpt = None, kind: KindOpt = "dcc") -> None:
    """Retire the active key and create a new one; the old public key stays verifiable."""
    _key_command("rotate", org, kind)


@keys_app.command("list")
def keys_list(org: OrgOpt = None, as_json: JsonOpt = False) -> None:
    """List public keys, active and retired (private keys never leave their files)."""
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.trust import keys

    prepare_database()
    with session_scope() as session:
        org_id = _org_id(session, org)
        rows = [keys.key_info(k) for k in keys.list_keys(session, org_id=org_id)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = f"retired {r['retired_at']}" if r["retired_at"] else "active"
        owner = "log" if r["kind"] == "log" else f"org {r['org_id']}"
        typer.echo(
            f"{r['fingerprint'][:16]}\t{r['kind']}\t{owner}\t{r['algorithm']}\t"
            f"created {r['created_at']}\t{state}\t{r['name']}"
        )


@log_app.command("checkpoint")
def log_checkpoint() -> None:
    """Print the latest signed checkpoint (signing one if the log grew)."""
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.trust import service

    prepare_database()
    with session_scope() as session:
        note = service.publish_checkpoint(session).note
    typer.echo(note, nl=False)


@log_app.command("bundle")
def log_bundle(
    number: Annotated[str, typer.Argument(help="certificate number")],
    out: Annotated[Path | None, typer.Option(help="write to this file (default: print)")] = None,
    older_size: Annotated[
        list[int] | None,
        typer.Option(
            "--older-size", help="add a consistency proof from the checkpoint of this size"
        ),
    ] = None,
) -> None:
    """Write the offline verification bundle of a certificate."""
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError
    from jiliang.trust.bundle import bundle_bytes, make_bundle

    prepare_database()
    try:
        with session_scope() as session:
            data = bundle_bytes(make_bundle(session, number, older_size or ()))
    except DomainError as exc:
        _fail(exc.message_en)
    if out is None:
        typer.echo(data.decode(), nl=False)
    else:
        out.write_bytes(data)
        console.print(f"wrote {out} ({len(data)} bytes)")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")
        raise  # pragma: no cover


def verify_files(xml: Path, bundle: Path, checkpoint: Path | None, older: Path | None,
                 log_key: Path | None, as_json: bool, lang: str):
    """Verify a certificate's files offline and print the outcome; returns the result.

    Shared by ``jiliang log verify`` and ``jiliang verify`` (which differ only in exit codes).
    """
    from jiliang.trust.bundle import verify_bundle

    result = verify_bundle(
        _read(xml, "the certificate"),
        _read(bundle, "the bundle"),
        checkpoint_text=_read(checkpoint, "the checkpoint") if checkpoint else None,
        older_checkpoint=_read(older, "the older checkpoint") if older else None,
        trusted_log_vkey=_read(log_key, "the log key").decode().strip() if log_key else None,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.ok and result.status == "valid":
        typer.echo(
            f"valid: {result.certificate_number} is leaf {result.index} of "
            f"{result.origin} (tree size {result.tree_size}), signed by key "
            f"{(result.issuer_key or '')[:16]}"
        )
    elif result.ok:
        typer.echo(f"invalid: {result.certificate_number} is authentic but {result.status}")
        for e in result.status_entries:
            typer.echo(f"  - {e['kind']} {e.get('logged_at')}: {e.get('reason', '')}")
    else:
        typer.echo("invalid (verification FAILED):")
        for reason in result.reasons_zh if lang == "zh" else result.reasons:
            typer.echo(f"  - {reason}")
    return result


@log_app.command("verify")
def log_verify(
    xml: Annotated[Path, typer.Argument(metavar="CERT.xml", help="the signed DCC")],
    bundle: Annotated[Path, typer.Option("--bundle", help="BUNDLE.json of the certificate")],
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="a checkpoint obtained independently (same tree as the bundle's)"
        ),
    ] = None,
    older: Annotated[
        Path | None,
        typer.Option("--older", help="an older checkpoint the log must be consistent with"),
    ] = None,
    log_key: Annotated[
        Path | None,
        typer.Option(
            "--log-key", help="file with the trusted log vkey (/.well-known/jiliang/log-key)"
        ),
    ] = None,
    as_json: JsonOpt = False,
    lang: Annotated[str, typer.Option(help="zh or en")] = "en",
) -> None:
    """Verify a certificate offline: signature, log inclusion, checkpoint, consistency.

    Exit status 0: valid; 1: verification failed; 3: authentic but revoked or superseded.
    """
    result = verify_files(xml, bundle, checkpoint, older, log_key, as_json, lang)
    if not result.ok:
        raise typer.Exit(1)
    if result.status != "valid":
        raise typer.Exit(3)
