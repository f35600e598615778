"""The ``jiliang`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

app = typer.Typer(help="Jiliang (计量): smart-metrology platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Import registers from spreadsheets.", no_args_is_help=True)
export_app = typer.Typer(help="Export registers to spreadsheets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
uncertainty_app = typer.Typer(help="Measurement uncertainty (GUM, Monte Carlo).", no_args_is_help=True)
risk_app = typer.Typer(help="Conformity decision risk (JCGM 106).", no_args_is_help=True)
prepackaged_app = typer.Typer(help="Net content of prepackaged goods (JJF 1070, OIML R 87).", no_args_is_help=True)
intervals_app = typer.Typer(help="Calibration intervals (OIML D 10, NCSLI RP-1).", no_args_is_help=True)
app.add_typer(uncertainty_app, name="uncertainty")
app.add_typer(risk_app, name="risk")
app.add_typer(prepackaged_app, name="prepackaged")
app.add_typer(intervals_app, name="intervals")

console = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


def read_document(path: str) -> dict:
    """A JSON document from a file, or from standard input when the path is ``-``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    if not isinstance(doc, dict):
        _fail(f"{path}: the document must be a JSON object")
    return doc


def _load_demo(size: str) -> None:
    from jiliang import demo
    from jiliang.core.db import session_scope

    with session_scope() as session:
        if not demo.is_empty(session):
            console.print("database not empty: demo data not loaded")
            return
        total = demo.SIZES[size]["instruments"]
        with Progress(console=console) as progress:
            task = progress.add_task(f"demo data ({size})", total=total)
            summary = demo.generate(
                session, size,
                progress=lambda label, n: progress.advance(task, n) if label == "instruments" else None,
            )
    console.print(f"demo data loaded: {summary}")
    _demo_certificates()


def _demo_certificates() -> None:
    """Issue the demo certificates of every kind when the DCC schema folder is configured."""
    import os

    from jiliang import demo
    from jiliang.core.db import session_scope

    if not os.environ.get("JILIANG_DCC_SCHEMA_DIR"):
        console.print("JILIANG_DCC_SCHEMA_DIR is not set: demo certificates skipped "
                      "(the PTB DCC 3.3.0 schema is not shipped; see the README)")
        return
    with session_scope() as session:
        numbers = demo.add_certificates(session)
    console.print(f"demo certificates issued: {', '.join(numbers)}")


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data set if the database is empty.")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
    scheduler: Annotated[bool, typer.Option(help="Run the nightly jobs in-process at 02:00.")] = True,
) -> None:
    """Start the web platform (migrates the database first)."""
    import uvicorn

    from jiliang.bootstrap import prepare_database
    from jiliang.core.config import get_settings

    prepare_database()
    if demo:
        _load_demo("small")
    from jiliang.app import create_app

    if scheduler:
        from jiliang.jobs import start_scheduler

        start_scheduler()
    settings = get_settings()
    console.print(f"Jiliang on http://{host}:{port}/  (data: {settings.data_path}, db: {settings.sqlalchemy_url.split('@')[-1]})")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the schema to the newest revision and load shipped reference data."""
    from jiliang.bootstrap import prepare_database

    prepare_database()
    console.print("database at head")


@demo_app.command("load")
def demo_load(size: Annotated[str, typer.Option(help="small (50,000 instruments), large (10^6) or tiny")] = "small") -> None:
    """Load the seeded Shaanxi demo data set into an empty database."""
    from jiliang import demo as demo_mod
    from jiliang.bootstrap import prepare_database

    if size not in demo_mod.SIZES:
        _fail(f"--size must be one of: {', '.join(demo_mod.SIZES)}")
    prepare_database()
    _load_demo(size)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, regulator, lab_manager, metrologist, reviewer, approver, enterprise")],
    scope: Annotated[str | None, typer.Option(help="region code (regulator) or organisation id / USCC (lab and enterprise roles)")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password: Annotated[str | None, typer.Option(help="password; asked for when omitted")] = None,
) -> None:
    """Create a user account."""
    from sqlalchemy import select

    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError, ValidationFailed
    from jiliang.core.security import SYSTEM
    from jiliang.orgs.models import Organisation
    from jiliang.people.service import create_user

    prepare_database()
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    data: dict = {"username": username, "display_name": name or username, "role": role, "password": password}
    try:
        with session_scope() as session:
            if role == "regulator":
                data["scope_region"] = scope
            elif scope:
                org_id = session.scalar(select(Organisation.id).where(
                    (Organisation.uscc == scope.upper()) | (Organisation.id == (int(scope) if scope.isdigit() else -1))))
                if org_id is None:
                    _fail(f"--scope: no organisation with id or USCC {scope}")
                data["org_id"] = org_id
            user = create_user(session, SYSTEM, **data)
            console.print(f"user {user.username} ({user.role}) created")
    except ValidationFailed as exc:
        _fail("\n".join(f"{k}: {v[1]}" for k, v in exc.errors.items()))
    except DomainError as exc:
        _fail(exc.message_en)


def _acting_principal(session, as_user: str | None):
    from sqlalchemy import select

    from jiliang.core.security import SYSTEM
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    if not as_user:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == as_user))
    if user is None:
        _fail(f"--as: no user {as_user}")
    return principal_for(session, user)


def _run_import(register: str, file: Path, dry_run: bool, valid_only: bool, as_user: str | None,
                as_json: bool) -> None:
    import jiliang.instruments.io  # noqa: F401  (registers the importers)
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.core.errors import DomainError
    from jiliang.core.importer import IMPORTERS

    if not file.exists():
        _fail(f"{file}: no such file")
    prepare_database()
    try:
        with session_scope() as session:
            who = _acting_principal(session, as_user)
            report = IMPORTERS[register](session, who, file.name, file.read_bytes(), dry_run, valid_only)
    except DomainError as exc:
        _fail(exc.message_en)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for p in report.problems:
            typer.echo(f"row {p.row}\t{p.field}\t{p.rule}")
        typer.echo(f"{report.rows} rows, {report.valid} valid, {report.imported} imported" + (" (dry run)" if dry_run else ""))
    if report.problems and not report.imported:
        raise typer.Exit(1)


DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row, import nothing.")]
ValidOnly = Annotated[bool, typer.Option("--valid-only", help="Import the valid rows even if others have errors.")]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this user (default: system administrator)")]


@import_app.command("instruments")
def import_instruments(file: Path, dry_run: DryRun = False, valid_only: ValidOnly = False,
                       as_user: AsUser = None, as_json: JsonOpt = False) -> None:
    """Import instruments from an .xlsx or .csv file, with a report per row."""
    _run_import("instruments", file, dry_run, valid_only, as_user, as_json)


@import_app.command("instrument-types")
def import_instrument_types(file: Path, dry_run: DryRun = False, valid_only: ValidOnly = False,
                            as_user: AsUser = None, as_json: JsonOpt = False) -> None:
    """Import instrument types (category, name, JJG/JJF regulation, period, mandatory form)."""
    _run_import("instrument-types", file, dry_run, valid_only, as_user, as_json)


@import_app.command("organisations")
def import_organisations(file: Path, dry_run: DryRun = False, valid_only: ValidOnly = False,
                         as_user: AsUser = None, as_json: JsonOpt = False) -> None:
    """Import organisations (name, kind, USCC checked to its check character, region, contacts)."""
    _run_import("organisations", file, dry_run, valid_only, as_user, as_json)


@export_app.command("instruments")
def export_instruments(
    region: Annotated[str, typer.Option(help="region code: province, city or county")] = "610000",
    format: Annotated[str, typer.Option(help="xlsx or csv")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="output file (default instruments-REGION.FORMAT)")] = None,
    lang: str = "zh",
) -> None:
    """Export the instruments of a region."""
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.instruments import io as instrument_io
    from jiliang.regions.models import Region

    if format not in ("xlsx", "csv"):
        _fail("--format must be xlsx or csv")
    prepare_database()
    with session_scope() as session:
        r = session.get(Region, region)
        if r is None:
            _fail(f"--region: unknown region code {region}")
        filters = {} if r.level == "province" else {"city": region} if r.level == "city" else {"region_code": region}
        header, rows = instrument_io.export_rows(session, SYSTEM, filters, None, lang)
        data = instrument_io.to_xlsx(header, rows) if format == "xlsx" else instrument_io.to_csv(header, rows)
    target = out or Path(f"instruments-{region}.{format}")
    target.write_bytes(data)
    console.print(f"wrote {target} ({len(data)} bytes)")


def _kernel_failure(exc: Exception, as_json: bool, lang: str) -> None:
    from jiliang.api.kernels import kernel_error

    body = kernel_error(exc, lang)
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
    else:
        console.print(f"[red]{body['message']}[/red]")
    raise typer.Exit(2)


def _emit(result: dict, as_json: bool, text) -> None:
    """Print the result as JSON, or as the readable text ``text(result)``."""
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else text(result))


def _plain(result: dict) -> str:
    return "\n".join(f"{k}: {v}" for k, v in result.items() if not isinstance(v, dict | list))


def _evaluate(path: str, kernel, errors: type[Exception], as_json: bool, lang: str, text) -> None:
    """Read a JSON document, run a kernel on it, print the result or the named input error."""
    doc = read_document(path)
    try:
        result = kernel(doc)
    except errors as exc:
        _kernel_failure(exc, as_json, lang)
    _emit(result, as_json, text)


LangOpt = Annotated[str, typer.Option(help="zh or en, for the readable report")]


@uncertainty_app.command("evaluate")
def uncertainty_evaluate(model: Annotated[str, typer.Argument(help="MODEL.json, or - for standard input")],
                         as_json: JsonOpt = False, lang: LangOpt = "zh") -> None:
    """Evaluate a measurement model by the GUM and/or Monte Carlo."""
    from jiliang import uncertainty

    _evaluate(model, uncertainty.evaluate, uncertainty.ModelError, as_json, lang,
              lambda r: uncertainty.format_report(r, lang))


@risk_app.command("evaluate")
def risk_evaluate(doc_path: Annotated[str, typer.Argument(metavar="RISK.json", help="or - for standard input")],
                  as_json: JsonOpt = False, lang: LangOpt = "zh") -> None:
    """Specific risk of one result, or global false accept/reject with guard bands."""
    from jiliang import conformity

    _evaluate(doc_path, conformity.evaluate_risk, conformity.RiskError, as_json, lang, _plain)


@prepackaged_app.command("evaluate")
def prepackaged_evaluate(lot: Annotated[str, typer.Argument(metavar="LOT.json", help="or - for standard input")],
                         as_json: JsonOpt = False, lang: LangOpt = "zh") -> None:
    """Verdict on the net content of a lot, with every figure behind it."""
    from jiliang import prepackaged

    _evaluate(lot, prepackaged.evaluate, prepackaged.LotError, as_json, lang,
              lambda r: prepackaged.summary_text(r, lang))


@intervals_app.command("recommend")
def intervals_recommend(
    history: Annotated[Path, typer.Argument(metavar="HISTORY.csv")],
    method: Annotated[str, typer.Option(help="m1 (OIML D 10 method 1), a3 (RP-1 A3) or s2 (RP-1 S2)")] = "a3",
    target: Annotated[float, typer.Option(help="end-of-period reliability target")] = 0.9,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh",
) -> None:
    """Recommend a calibration interval from a calibration history."""
    from jiliang import intervals

    if not history.exists():
        _fail(f"{history}: no such file")
    try:
        result = intervals.recommend(intervals.read_history_csv(history), method, target)
    except (intervals.HistoryError, ValueError) as exc:
        _kernel_failure(exc, as_json, lang)
    _emit(result, as_json, _plain)


def _add_feature_commands() -> None:
    from jiliang.features import CLI_MODULES, load

    for module in load(CLI_MODULES):
        for name, sub in module.commands:
            app.add_typer(sub, name=name)


_add_feature_commands()

if __name__ == "__main__":
    app()
