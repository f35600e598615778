"""``jiliang certificates list|export|issue`` and ``jiliang verify CERT.xml`` (offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)

certificates_app = typer.Typer(
    help="Issued certificates: list, export (XML, PDF, bundle), issue.", no_args_is_help=True
)
verify_app = typer.Typer(
    help="Verify a certificate offline: jiliang verify CERT.xml [--bundle B] [--checkpoint C].",
    context_settings={"allow_interspersed_args": True},
)
commands: list[tuple[str, typer.Typer]] = [
    ("certificates", certificates_app),
    ("verify", verify_app),
]


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


@certificates_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    status: Annotated[str | None, typer.Option(help="issued, revoked or superseded")] = None,
    kind: Annotated[
        str | None, typer.Option(help="verification, verification_notice, calibration")
    ] = None,
) -> None:
    """Every certificate (administrators' view), newest first."""
    from jiliang.bootstrap import prepare_database
    from jiliang.certificates import service
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM

    prepare_database()
    with session_scope() as session:
        rows, total = service.list_certificates(session, SYSTEM, None, kind, status, 1, 10**6)
        facts = [service.public_facts(session, c) for c in rows]
    if as_json:
        typer.echo(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("number", "kind", "status", "issued", "laboratory", "log index")
    for f in facts:
        table.add_row(
            f["number"],
            f["kind"],
            f["status"],
            f["issued_at"],
            f["laboratory"] or "",
            str(f["log_index"]),
        )
    Console().print(table)
    console.print(f"{total} certificate(s)")


@certificates_app.command("export")
def export_cmd(
    number: Annotated[str, typer.Argument(help="certificate number")],
    out: Annotated[Path, typer.Option("--out", help="folder to write into")] = Path("."),
) -> None:
    """Write NUMBER.xml (signed DCC, exact bytes), NUMBER.pdf and NUMBER.bundle.json."""
    from jiliang.bootstrap import prepare_database
    from jiliang.certificates import service
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError
    from jiliang.trust.bundle import bundle_bytes, make_bundle
    from jiliang.trust.service import publish_checkpoint

    prepare_database()
    try:
        with session_scope() as session:
            cert = service.by_number(session, number)
            xml, pdf = bytes(cert.xml), bytes(cert.pdf)
            bundle = bundle_bytes(make_bundle(session, cert.number))
            checkpoint = publish_checkpoint(session).note
    except DomainError as exc:
        _fail(exc.message_en, 1)
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in number)
    for suffix, data in (
        (".xml", xml),
        (".pdf", pdf),
        (".bundle.json", bundle),
        (".checkpoint", checkpoint.encode()),
    ):
        path = out / f"{safe}{suffix}"
        path.write_bytes(data)
        console.print(f"wrote {path} ({len(data)} bytes)")


@certificates_app.command("issue")
def issue_cmd(
    record_id: Annotated[int, typer.Argument(help="id of an approved calibration record")],
    as_user: Annotated[
        str, typer.Option("--as", help="username of the approver or lab manager issuing it")
    ],
) -> None:
    """Issue the certificate of an approved record as USER (handy for demos)."""
    from sqlalchemy import select

    from jiliang.bootstrap import prepare_database
    from jiliang.certificates import service
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    prepare_database()
    try:
        with session_scope() as session:
            user = session.scalar(select(User).where(User.username == as_user))
            if user is None or user.status != "active":
                _fail(f"--as: no active user {as_user}")
            cert = service.issue(session, principal_for(session, user), record_id, "en")
            number, index = cert.number, cert.log_index
    except DomainError as exc:
        _fail(exc.message_en, 1)
    typer.echo(f"issued {number} (log index {index})")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")
        raise  # pragma: no cover


@verify_app.callback(invoke_without_command=True)
def verify_cmd(
    xml: Annotated[Path, typer.Argument(metavar="CERT.xml", help="the signed DCC")],
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="BUNDLE.json (default: CERT.bundle.json next to the XML)"),
    ] = None,
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    lang: Annotated[str, typer.Option(help="zh or en")] = "en",
) -> None:
    """Verify a certificate offline: the signature against the issuer's key in the bundle, the
    leaf's inclusion in the log, the checkpoint's signature and, given --older, consistency.

    Prints valid/invalid with the reasons; exit status 0 when valid, 1 otherwise (a revoked or
    superseded certificate is authentic but not valid: 1, with its status).
    """
    from jiliang.trust.cli import verify_files

    if bundle is None:
        name = xml.name[:-4] if xml.name.endswith(".xml") else xml.name
        bundle = xml.with_name(name + ".bundle.json")
        if not bundle.exists():
            _fail("--bundle is required (no CERT.bundle.json next to the XML)", 1)
    result = verify_files(xml, bundle, checkpoint, older, log_key, as_json, lang)
    if not (result.ok and result.status == "valid"):
        raise typer.Exit(1)
