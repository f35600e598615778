"""``jiliang trace reverse STANDARD_CODE --since DATE [--until DATE] [--json]``."""

from __future__ import annotations

import json
from datetime import date

import typer

from jiliang.core.errors import ValidationFailed


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint=name) from None


def reverse(
    standard_code: str = typer.Argument(..., help="Code of the standard found out of tolerance"),
    since: str = typer.Option(..., "--since", help="Start of the window (its last good calibration), YYYY-MM-DD"),
    until: str | None = typer.Option(None, "--until", help="End of the window, YYYY-MM-DD (default today)"),
    error_found: float | None = typer.Option(None, "--error-found", help="Size of the error found"),
    unit: str | None = typer.Option(None, "--unit", help="Unit of the error found"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """List every result reached through a standard inside the window, to any depth."""
    from jiliang.core.db import session_scope
    from jiliang.traceability import reverse as svc

    data = {"standard_code": standard_code, "since": _date(since, "--since"), "until": _date(until, "--until"),
            "error_found": error_found, "error_unit": unit}
    with session_scope() as session:
        try:
            spec = svc.parse_spec(session, data)
        except ValidationFailed as exc:
            typer.echo(f"error: {exc.message('en')}", err=True)
            raise typer.Exit(2) from None
        tr = svc.trace(session, spec.subject, spec.since, spec.until)
        rows = [svc.as_json(r) for r in svc.describe(session, tr.hits, spec.error_found, spec.error_unit)]
    if as_json:
        typer.echo(json.dumps({"standard": spec.subject.code, "since": spec.since.isoformat(),
                               "until": spec.until.isoformat(), "count": len(rows), "affected": rows},
                              ensure_ascii=False, indent=2))
        return
    typer.echo(f"{spec.subject.label}: {spec.since} .. {spec.until}: {len(rows)} affected result(s)")
    for r in rows:
        change = {True: "may change", False: "unchanged", None: "unknown"}[r["verdict_may_change"]]
        typer.echo(f"  [{r['depth']}] {r['performed_on']} {r['record']} cert={r['certificate'] or '-'} "
                   f"instrument={r['instrument_id']} ({r['serial_no'] or '-'}) owner={r['owner']} "
                   f"county={r['region_code'] or '-'} verdict {change}  via {' > '.join(r['via'])}")


def register(app: typer.Typer) -> None:
    app.command("reverse")(reverse)
