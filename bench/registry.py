"""Registry benchmark (issue 2): 10^6 instruments in PostgreSQL, p50/p95 of the hot reads.

Creates (or, with ``--reuse``, reuses) the database ``jiliang_bench`` on 127.0.0.1:5432, migrates
it, loads regions and instrument types, generates the demo data set with ``--instruments``
instruments through :func:`jiliang.demo.generate`, runs VACUUM (ANALYZE) and then times, in-process
through the service layer (and with ``--http`` also through the JSON API):

1. ``list``: a county's instrument list filtered by status and type, first page of 25, sorted by
   due date, as the county regulator ``yanta``;
2. ``detail``: one instrument (``resources.get`` of a random id) plus its audit entries;
3. ``dashboard``: the province dashboard (``dashboard.build`` as ``province`` for 610000).

Each figure is measured ``--repeat`` times after ``--warmup`` untimed calls; every call opens
its own session (one transaction, as one request would). Results go to stdout and, unless
``--no-write``, into the "Registry (issue 2)" section of ``bench/RESULTS.md``.

    .venv/bin/python bench/registry.py              # generate 10^6 and measure (several minutes)
    .venv/bin/python bench/registry.py --reuse      # measure again on the existing database
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Registry (issue 2)"
BEGIN, END = "<!-- registry:begin -->", "<!-- registry:end -->"
TARGETS_MS = {"list": 50.0, "detail": 10.0, "dashboard": 300.0}

console = Console()


# ------------------------------------------------------------------ database


def _admin_connect(host: str, port: int) -> psycopg.Connection:
    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=host, port=port, user=user, dbname="postgres", autocommit=True
            )
        except psycopg.OperationalError as exc:
            last = exc
    raise SystemExit(f"cannot connect to PostgreSQL at {host}:{port}: {last}")


def ensure_database(host: str, port: int, name: str, reuse: bool) -> str:
    """Create the bench database (dropping an old one unless reusing); return its URL."""
    with _admin_connect(host, port) as conn:
        user = conn.info.user
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists and not reuse:
            console.print(f"dropping the old database [bold]{name}[/]")
            conn.execute(f'drop database "{name}" with (force)')
            exists = None
        if not exists:
            conn.execute(f'create database "{name}"')
            console.print(f"created database [bold]{name}[/]")
        version = conn.execute("show server_version").fetchone()[0]
    console.print(f"PostgreSQL {version} at {host}:{port} as {user}")
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


def populate(instruments: int, enterprises: int, seed: int) -> None:
    from jiliang.core.db import session_scope
    from jiliang.demo import generate, is_empty

    with session_scope() as session:
        if not is_empty(session):
            console.print("the database already holds data: reusing it")
            return
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("instruments", total=instruments)
        stage = progress.add_task("preparing", total=None)

        def step(label: str, n: int) -> None:
            if label == "instruments":
                progress.update(stage, description="instruments", visible=False)
                progress.advance(bar, n)
            else:
                progress.update(stage, description=f"{label} {n}")

        with session_scope() as session:
            summary = generate(
                session, "large", seed, step, instruments=instruments, enterprises=enterprises
            )
        progress.update(stage, description="committed", visible=True)
    console.print(f"generated in {time.perf_counter() - started:.0f} s: {summary}")


def analyze() -> None:
    from sqlalchemy import text

    from jiliang.core.db import get_engine

    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # VACUUM too: it sets the visibility map as autovacuum would after the bulk load, so the
        # planner's index-only scans behave as on a settled production database
        conn.execute(text("vacuum (analyze)"))


# ------------------------------------------------------------------ timing


@dataclass
class Figure:
    name: str
    what: str
    samples: list[float]  # milliseconds

    def pct(self, p: float) -> float:
        data = sorted(self.samples)
        k = (len(data) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(data) - 1)
        return data[lo] + (data[hi] - data[lo]) * (k - lo)

    @property
    def p50(self) -> float:
        return self.pct(0.50)

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def target(self) -> float:
        return TARGETS_MS[self.name.split(" ")[0]]

    @property
    def passed(self) -> bool:
        return self.p95 < self.target


def timed(fn: Callable[[int], object], repeat: int, warmup: int) -> list[float]:
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(warmup + i)
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


@dataclass
class Setup:
    county: str
    county_count: int
    county_principal: object
    province_principal: object
    list_params: list[dict[str, str]]
    detail_ids: list[int]


def prepare_setup(seed: int) -> Setup:
    from sqlalchemy import func, select

    from jiliang.core.db import session_scope
    from jiliang.core.security import Principal
    from jiliang.instruments.models import Instrument
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    rng = random.Random(seed)
    with session_scope() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        province = principal_for(session, users["province"])
        yanta = principal_for(session, users["yanta"])
        counts = dict(
            session.execute(
                select(Instrument.region_code, func.count()).group_by(Instrument.region_code)
            ).all()
        )
        county = yanta.scope_region
        busiest = max(counts, key=counts.get)
        # 610113 is the demo county; fall back to the busiest one if it holds too few to matter
        if counts.get(county, 0) < 0.5 * counts[busiest]:
            county = busiest
            yanta = Principal(
                user_id=yanta.user_id,
                username=yanta.username,
                role="regulator",
                scope_region=county,
                scope_level="county",
                display_name=yanta.display_name,
            )
        top_types = [
            t
            for t, _ in session.execute(
                select(Instrument.type_id, func.count())
                .where(Instrument.region_code == county)
                .group_by(Instrument.type_id)
                .order_by(func.count().desc())
                .limit(4)
            )
        ]
        statuses = ["in_service", "due", "overdue"]
        params = [
            {"region_code": county, "status": s, "type_id": str(t)}
            for s in statuses
            for t in top_types
        ]
        max_id = session.scalar(select(func.max(Instrument.id))) or 1
        min_id = session.scalar(select(func.min(Instrument.id))) or 1
        ids = [rng.randint(min_id, max_id) for _ in range(5000)]
    return Setup(county, counts.get(county, 0), yanta, province, params, ids)


def measure_service(setup: Setup, repeat: int, warmup: int) -> list[Figure]:
    from jiliang.core import audit, resources
    from jiliang.core.db import session_scope
    from jiliang.instruments import dashboard
    from jiliang.instruments.service import INSTRUMENTS

    def list_call(i: int) -> None:
        with session_scope() as session:
            page = resources.list_page(
                session,
                setup.county_principal,
                INSTRUMENTS,
                None,
                setup.list_params[i % len(setup.list_params)],
                "due_date",
                1,
                25,
            )
            [resources.to_dict(INSTRUMENTS, obj) for obj in page.items]

    def detail_call(i: int) -> None:
        with session_scope() as session:
            obj = resources.get(
                session,
                setup.province_principal,
                INSTRUMENTS,
                setup.detail_ids[i % len(setup.detail_ids)],
            )
            resources.to_dict(INSTRUMENTS, obj)
            audit.entries_for(session, INSTRUMENTS.entity, obj.id)

    def dashboard_call(_i: int) -> None:
        with session_scope() as session:
            dashboard.build(session, setup.province_principal, "610000", "zh")

    figures = []
    for name, what, fn, n in (
        (
            "list",
            f"county {setup.county} list, status+type filter, 25 by due date",
            list_call,
            repeat,
        ),
        ("detail", "instrument by random id + audit entries", detail_call, repeat),
        ("dashboard", "province 610000 dashboard", dashboard_call, repeat),
    ):
        with console.status(f"service: {name} ×{n}"):
            figures.append(Figure(name, what, timed(fn, n, warmup)))
    return figures


def measure_http(setup: Setup, repeat: int, warmup: int) -> list[Figure]:
    os.environ.setdefault("JILIANG_SECRET_KEY", "bench-only-secret")
    from fastapi.testclient import TestClient

    from jiliang.app import create_app
    from jiliang.core.config import get_settings

    get_settings.cache_clear()
    client = TestClient(create_app())
    password = get_settings().demo_password

    def token(username: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        r.raise_for_status()
        return {"authorization": f"Bearer {r.json()['token']}"}

    county_h, province_h = token("yanta"), token("province")
    if setup.county_principal.scope_region != "610113":
        # yanta's token is scoped to 610113; the busiest county is listed as the province
        console.print(f"[yellow]HTTP list of {setup.county} runs as province (yanta is 610113)[/]")
        county_h = province_h

    def list_call(i: int) -> None:
        params = {**setup.list_params[i % len(setup.list_params)], "sort": "due_date"}
        client.get("/api/v1/instruments", params=params, headers=county_h).raise_for_status()

    def detail_call(i: int) -> None:
        ident = setup.detail_ids[i % len(setup.detail_ids)]
        client.get(f"/api/v1/instruments/{ident}", headers=province_h).raise_for_status()
        client.get(f"/api/v1/instruments/{ident}/audit", headers=province_h).raise_for_status()

    def dashboard_call(_i: int) -> None:
        client.get("/api/v1/dashboard", params={"region": "610000"}, headers=province_h)

    figures = []
    for name, what, fn in (
        (
            "list http",
            "GET /api/v1/instruments?region_code&status&type_id&sort=due_date",
            list_call,
        ),
        ("detail http", "GET /api/v1/instruments/{id} + /{id}/audit", detail_call),
        ("dashboard http", "GET /api/v1/dashboard?region=610000", dashboard_call),
    ):
        with console.status(f"http: {name} ×{repeat}"):
            figures.append(Figure(name, what, timed(fn, repeat, warmup)))
    return figures


# ------------------------------------------------------------------ reporting


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from sqlalchemy import text

    from jiliang.core.db import get_engine

    with get_engine().connect() as conn:
        pg = conn.execute(text("select version()")).scalar_one().split(" on ")[0]
        settings = ", ".join(
            f"{k}={conn.execute(text(f'show {k}')).scalar_one()}"
            for k in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit")
        )
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
        "machine": f"{os.cpu_count()} CPUs ({cpu}), {mem}, Python {platform.python_version()}; "
        f"load average at the end {load} (the machine is shared)",
        "postgres": f"{pg} ({settings})",
    }


def table(figures: list[Figure]) -> Table:
    t = Table(title="registry benchmark (ms)")
    for col in ("measure", "n", "p50", "p95", "mean", "target p95", "result"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for f in figures:
        t.add_row(
            f.name,
            str(len(f.samples)),
            f"{f.p50:.1f}",
            f"{f.p95:.1f}",
            f"{f.mean:.1f}",
            f"< {f.target:g}",
            "[green]pass[/]" if f.passed else "[red]FAIL[/]",
        )
    return t


def markdown(
    figures: list[Figure],
    info: dict[str, str],
    setup: Setup,
    rows: int,
    command: str,
    repeat: int,
    warmup: int,
) -> str:
    lines = [
        BEGIN,
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']}",
        f"- PostgreSQL: {info['postgres']}",
        f"- Data: {rows:,} instruments; list county {setup.county} holds {setup.county_count:,}",
        f"- Command: `{command}`",
        f"- Method: in-process through the service layer, one session per call, {warmup} warm-up "
        f"calls then {repeat} timed calls each; `http` rows go through `TestClient` and the JSON "
        "API with a bearer token (detail = item + audit, two requests); the targets "
        "apply to the service rows, the http rows are for information.",
        "",
        "| measure | what | n | p50 ms | p95 ms | mean ms | target p95 | result |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.name} | {f.what} | {len(f.samples)} | {f.p50:.1f} | {f.p95:.1f} | "
            f"{f.mean:.1f} | < {f.target:g} | {'pass' if f.passed else '**fail**'} |"
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_results(block: str) -> None:
    """Replace the generated block of our section; other sections stay as they are."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block.rstrip("\n") + tail
    elif SECTION in text:
        pattern = re.compile(re.escape(SECTION) + r"\n")
        text = pattern.sub(lambda m: m.group(0) + "\n" + block, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}"
    RESULTS.write_text(text, encoding="utf-8")
    console.print(f"wrote {RESULTS.relative_to(HERE.parent)}")


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instruments", type=int, default=10**6)
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    ap.add_argument("--database", default="jiliang_bench")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--http", action="store_true", help="also time the JSON API via TestClient")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    args = ap.parse_args(argv)

    url = ensure_database(args.host, args.port, args.database, args.reuse)
    os.environ["JILIANG_DATABASE_URL"] = url
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine

    reset_engine()
    with console.status("migrating and loading reference data"):
        prepare_database()
    populate(args.instruments, args.enterprises, args.seed)
    with console.status("VACUUM (ANALYZE)"):
        analyze()
    if args.generate_only:
        return 0

    from sqlalchemy import func, select

    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument

    with session_scope() as session:
        rows = session.scalar(select(func.count()).select_from(Instrument)) or 0
    setup = prepare_setup(args.seed)
    console.print(
        f"{rows:,} instruments; list county {setup.county} ({setup.county_count:,}), "
        f"{len(setup.list_params)} filter combinations"
    )
    figures = measure_service(setup, args.repeat, args.warmup)
    if args.http:
        try:
            figures += measure_http(setup, args.repeat, args.warmup)
        except Exception as exc:  # the API is optional here: report and keep the service figures
            console.print(f"[red]HTTP measurement skipped: {exc!r}[/]")
    console.print(table(figures))
    if not args.no_write:
        command = " ".join(
            [".venv/bin/python", "bench/registry.py", *map(shlex.quote, sys.argv[1:])]
        )
        info = machine()
        write_results(markdown(figures, info, setup, rows, command, args.repeat, args.warmup))
    return 0 if all(f.passed for f in figures if "http" not in f.name) else 1


if __name__ == "__main__":
    raise SystemExit(main())
