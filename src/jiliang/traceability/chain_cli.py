"""``jiliang trace check CERTIFICATE_NUMBER [--json]`` and ``jiliang trace nightly``.

``check`` exits 0 when the chain is traceable, 1 when it is not, 2 for an unknown certificate
(the message on stderr, in the language of ``--lang``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)


def _check(
    number: Annotated[str, typer.Argument(metavar="CERTIFICATE_NUMBER", help="certificate number")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """Check the traceability chain of a certificate as of its date: traceable, gaps, depth."""
    from sqlalchemy import select

    from jiliang.bootstrap import prepare_database
    from jiliang.calibration.models import CalibrationRecord
    from jiliang.certificates.models import Certificate
    from jiliang.core.db import session_scope
    from jiliang.traceability.chain import check_record

    en = lang == "en"
    prepare_database()
    with session_scope() as session:
        cert = None
        if number and "\x00" not in number and len(number) <= 64:
            cert = session.scalar(select(Certificate).where(Certificate.number == number))
        if cert is None:
            err.print(f"no certificate numbered {number}" if en else f"没有编号为 {number} 的证书",
                      markup=False, highlight=False)
            raise typer.Exit(2)
        result = check_record(session, session.get(CalibrationRecord, cert.record_id))
        result["certificate"] = {"number": cert.number, "status": cert.status}
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print(result, cert.number, en)
    raise typer.Exit(0 if result["traceable"] else 1)


def _print(result: dict, number: str, en: bool) -> None:
    if result["traceable"]:
        typer.echo(f"{number}: traceable, depth {result['depth']}" if en
                   else f"{number}：可溯源，溯源深度 {result['depth']}")
        return
    typer.echo(f"{number}: NOT traceable, {len(result['gaps'])} gap(s), depth {result['depth']}" if en
               else f"{number}：溯源链不完整，{len(result['gaps'])} 处缺口，溯源深度 {result['depth']}")
    for g in result["gaps"]:
        reason = g["reason_en"] if en else g["reason_zh"]
        fix = g["fix"]["url"] or ""
        typer.echo(f"  [{g['level']}] {g['code']}: {reason} -> {fix}")


def _nightly(
    region: Annotated[str | None, typer.Option(help="only the labs in this region (6-digit code)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check every approved record's chain now and store the per-lab reports (as the nightly job)."""
    from sqlalchemy import or_, select

    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.traceability.chain import nightly

    if region is not None and not (len(region) == 6 and region.isdigit()):
        err.print("--region: a 6-digit region code", markup=False)
        raise typer.Exit(2)
    prepare_database()
    with session_scope() as session:
        labs = None
        if region is not None and not region.endswith("0000"):
            labs = list(session.scalars(select(Organisation.id).where(
                or_(Organisation.region_code == region, Organisation.city_code == region))))
        summary = nightly(session, labs)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(f"checked {summary['checked']} record(s) of {summary['labs']} lab(s): "
                   f"{summary['traceable']} traceable, {summary['broken']} broken")


def register(app: typer.Typer) -> None:
    app.command("check")(_check)
    app.command("nightly")(_nightly)
