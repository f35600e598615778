"""Nightly jobs: the chain check of the whole region, early warnings, integrity ratings ...

Features name their jobs in ``jiliang.features.NIGHTLY_JOBS``. ``jiliang jobs run`` runs them
(for cron or a systemd timer); ``jiliang serve`` also runs them once a night in a background
thread unless ``--no-scheduler`` is given. Each run leaves an audit entry with its summary.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

from jiliang.core import audit
from jiliang.core.db import session_scope
from jiliang.features import NIGHTLY_JOBS, present


def available() -> dict[str, Any]:
    """name -> callable, for the jobs whose module is present."""
    jobs = {}
    for spec in NIGHTLY_JOBS:
        module, _, func = spec.partition(":")
        if present(module):
            fn = getattr(importlib.import_module(module), func, None)
            if fn is not None:
                jobs[f"{module.removeprefix('jiliang.')}.{func}"] = fn
    return jobs


def run_nightly(only: str | None = None) -> dict[str, Any]:
    """Run every job (or the one named), each in its own transaction; a failure does not stop the rest."""
    results: dict[str, Any] = {}
    for name, fn in available().items():
        if only and only != name:
            continue
        started = time.perf_counter()
        try:
            with session_scope() as session:
                summary = fn(session)
                audit.record(session, None, "job_run", "job", name,
                             after={"summary": summary, "seconds": round(time.perf_counter() - started, 3)})
            results[name] = {"ok": True, "summary": summary}
        except Exception as exc:  # noqa: BLE001 - one job's failure is reported, the others still run
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return results


def start_scheduler(at_hour: int = 2) -> threading.Thread:
    """A daemon thread that runs the nightly jobs at ``at_hour`` local time every day."""

    def loop() -> None:
        while True:
            now = datetime.now()
            nxt = now.replace(hour=at_hour, minute=0, second=0, microsecond=0)
            if nxt <= now:
                nxt += timedelta(days=1)
            time.sleep((nxt - now).total_seconds())
            run_nightly()

    thread = threading.Thread(target=loop, name="jiliang-nightly", daemon=True)
    thread.start()
    return thread


app = typer.Typer(help="Nightly jobs (chain check, early warning, integrity ratings).", no_args_is_help=True)
commands = [("jobs", app)]


@app.command("list")
def jobs_list() -> None:
    """Name the nightly jobs."""
    for name in available():
        typer.echo(name)


@app.command("run")
def jobs_run(
    only: Annotated[str | None, typer.Option(help="run only this job (see `jiliang jobs list`)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summaries as JSON")] = False,
) -> None:
    """Run the nightly jobs now; exit status 1 if any failed."""
    if only and only not in available():
        typer.echo(f"unknown job {only!r}; known: {', '.join(available()) or 'none'}", err=True)
        raise typer.Exit(2)
    results = run_nightly(only)
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    else:
        for name, res in results.items():
            typer.echo(f"{name}: {'ok' if res['ok'] else 'FAILED ' + res['error']}")
    if not all(r["ok"] for r in results.values()):
        raise typer.Exit(1)
