"""Supervision benchmark (issue 7): early warning on 10^6 instruments in PostgreSQL.

Creates (or, with ``--reuse``, reuses) the database ``jiliang_bench_sup`` with the generator of
``bench/registry.py`` (``jiliang.demo.generate``, whose feature seeds include the early-warning
demo: eleven months of snapshots and one nightly run), then times in-process through the service
layer, one session per call:

1. ``map``: the province map aggregate — ``dashboard.build`` for 610000 as ``province`` plus the
   dashboard's early-warning panels (warning counts by city, 12-month trend, coverage from the
   month's snapshot); target p95 < 300 ms;
2. ``list``: a county's overdue list — ``warnings.list_warnings`` kind ``overdue``, first page of
   25 by due date, as that county's regulator; target p95 < 50 ms;
3. ``nightly``: the early-warning run (warnings, status moves, notices, delivery, snapshot) —
   ``warnings.run`` for tomorrow (new warnings and notices appear) and again for today (steady
   state), each in a transaction that is rolled back so the database stays as generated.

    .venv/bin/python bench/supervision.py              # generate 10^6 and measure (several minutes)
    .venv/bin/python bench/supervision.py --reuse      # measure again on the existing database
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import registry  # noqa: E402  (the generator, database set-up, timing and machine info)

SECTION = "## Supervision (issue 7)"
BEGIN, END = "<!-- supervision:begin -->", "<!-- supervision:end -->"
TARGETS_MS = {"map": 300.0, "list": 50.0}  # coverage: for information
console = registry.console


def _busiest_county(session) -> str:
    from sqlalchemy import func, select

    from jiliang.supervision.warning_models import InstrumentWarning

    W = InstrumentWarning
    return session.execute(
        select(W.region_code, func.count()).where(W.kind == "overdue")
        .group_by(W.region_code).order_by(func.count().desc()).limit(1)
    ).one()[0]


def expand(target: int) -> int:
    """Copy the generated instruments server-side until the register holds ``target``.

    Each copy keeps its source row's owner, type, place, status and dates (so the distributions
    of the generator are kept) with a new serial suffix and QR token. The per-row trigger that
    keeps ``instrument_counts`` is switched off for the copy and the summary rebuilt with one
    GROUP BY afterwards: in one long transaction the trigger updates the same few hundred
    counter rows 10^6 times, and every update walks the dead versions left by the earlier ones.
    """
    from sqlalchemy import text

    from jiliang.core.db import get_engine

    with get_engine().begin() as conn:
        have = conn.execute(text("select count(*) from instruments")).scalar_one()
        if have >= target:
            return have
        copies = -(-(target - have) // have)
        cols = ("owner_org_id, type_id, maker, model, measuring_range, accuracy, location, region_code, "
                "city_code, use, status, due_date, last_verified, created_at, updated_at")
        conn.execute(text("alter table instruments disable trigger instruments_count"))
        conn.execute(text(
            f"insert into instruments ({cols}, serial_no, qr_token) "
            f"select {cols}, serial_no || '-' || g.k, substr(md5(i.id::text || '-' || g.k::text), 1, 32) "
            "from (select * from instruments order by id) i cross join generate_series(1, :copies) g(k) "
            "limit :n"
        ), {"copies": copies, "n": target - have})
        conn.execute(text("alter table instruments enable trigger instruments_count"))
        conn.execute(text("delete from instrument_counts"))
        conn.execute(text(
            "insert into instrument_counts (region_code, status, city_code, n) "
            "select region_code, status, min(city_code), count(*) from instruments group by region_code, status"
        ))
        total = conn.execute(text("select count(*) from instruments")).scalar_one()
    console.print(f"expanded {have:,} generated instruments to {total:,} by server-side copies")
    return total


def first_run() -> tuple[float, dict]:
    """The early-warning run over the expanded register (its new warnings, moves and notices)."""
    from jiliang.core.db import session_scope
    from jiliang.supervision import warnings

    started = time.perf_counter()
    with session_scope() as session:
        summary = warnings.run(session)
    seconds = time.perf_counter() - started
    console.print(f"first early-warning run over the whole register: {seconds:.1f} s {summary}")
    return seconds, summary


def ensure_catalogue_links() -> int:
    """Coverage needs types mapped to the catalogue; a database generated before the catalogue
    data shipped gets one synthetic periodic item for every mandatory type (bench data only)."""
    from sqlalchemy import func, select

    from jiliang.core.db import session_scope
    from jiliang.instruments.models import InstrumentType
    from jiliang.supervision.catalogue_models import CatalogueItem, TypeCatalogueLink

    with session_scope() as session:
        links = session.scalar(select(func.count()).select_from(TypeCatalogueLink)) or 0
        if links:
            return links
        item = CatalogueItem(code="BENCH", level=1, name_zh="基准测试", name_en="Bench", form="periodic", uses=[],
                             source="bench/supervision.py (synthetic)", confirmed=False, status="active")
        session.add(item)
        session.flush()
        types = list(session.scalars(select(InstrumentType.id).where(InstrumentType.mandatory.is_(True))))
        session.add_all([TypeCatalogueLink(type_id=t, item_id=item.id) for t in types])
        console.print(f"linked {len(types)} mandatory types to a synthetic catalogue item")
        return len(types)


def measure(repeat: int, warmup: int, with_nightly: bool = True) -> tuple[list[registry.Figure], dict]:
    from sqlalchemy import func, select

    from jiliang.core.db import session_scope
    from jiliang.core.security import Principal
    from jiliang.instruments import dashboard
    from jiliang.people.models import User
    from jiliang.people.service import principal_for
    from jiliang.supervision import warnings
    from jiliang.supervision.warning_models import InstrumentWarning

    with session_scope() as session:
        province = principal_for(session, session.scalar(select(User).where(User.username == "province")))
        county = _busiest_county(session)
        overdue_n = session.scalar(select(func.count()).select_from(InstrumentWarning).where(
            InstrumentWarning.region_code == county, InstrumentWarning.kind == "overdue"))
    county_reg = Principal(user_id=0, username="bench-county", role="regulator", scope_region=county,
                           scope_level="county")

    def map_call(_i: int) -> None:
        with session_scope() as session:
            dashboard.build(session, province, "610000", "zh")
            warnings.counts(session, province, "610000")
            warnings.trends(session, province, "610000")
            warnings.coverage_snapshot(session, province, "610000")

    def build_call(_i: int) -> None:
        with session_scope() as session:
            dashboard.build(session, province, "610000", "zh")

    def list_call(i: int) -> None:
        with session_scope() as session:
            warnings.list_warnings(session, county_reg, kind="overdue", page=1 + (i % 3), per_page=25)

    def coverage_call(_i: int) -> None:
        with session_scope() as session:
            warnings.coverage(session, province, "610000")

    figures = []
    for name, what, fn, n in (
        ("map", "province 610000: dashboard.build + warning counts by city + 12-month trend + coverage "
                "(the regulator dashboard's aggregates)", map_call, repeat),
        ("build", "of which: dashboard.build alone (registry: status counts + 30-day due window)", build_call,
         repeat),
        ("list", f"county {county} overdue list ({overdue_n:,} rows), page of 25 by due date", list_call, repeat),
        ("coverage", "province 610000 coverage (filed vs verified on time), live count", coverage_call,
         max(10, repeat // 10)),
    ):
        with console.status(f"{name} ×{n}"):
            figures.append(registry.Figure(name, what, registry.timed(fn, n, min(warmup, n))))
    nightly = {}
    if not with_nightly:
        return figures, nightly
    for label, day in (("tomorrow", date.today() + timedelta(days=1)), ("today again", date.today())):
        with console.status(f"nightly run ({label})"), session_scope() as session:
            started = time.perf_counter()
            summary = warnings.run(session, day)
            session.flush()
            nightly[label] = (time.perf_counter() - started, summary)
            session.rollback()
    return figures, nightly


def markdown(figures, nightly, info, rows, copies, command, repeat, warmup) -> str:
    lines = [
        BEGIN,
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']}",
        f"- PostgreSQL: {info['postgres']}",
        f"- Data: {rows:,} instruments: {rows - copies:,} from `jiliang.demo.generate` (the generator of "
        f"bench/registry.py, size large) and {copies:,} server-side copies of them (`--generate`, see `expand`)",
        f"- Command: `{command}`",
        f"- Method: in-process through the service layer, one session per call, {warmup} warm-up "
        f"calls then {repeat} timed calls each.",
        "",
        "| measure | what | n | p50 ms | p95 ms | mean ms | target p95 | result |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for f in figures:
        target = TARGETS_MS.get(f.name)
        verdict = "—" if target is None else ("pass" if f.p95 < target else "**fail**")
        shown = f"< {target:g}" if target else "—"
        lines.append(f"| {f.name} | {f.what} | {len(f.samples)} | {f.p50:.1f} | {f.p95:.1f} | {f.mean:.1f} | "
                     f"{shown} | {verdict} |")
    lines += ["", "| nightly early-warning run | seconds | warnings | moved | notices queued | delivered |",
              "|---|--:|---|--:|--:|--:|"]
    for label, (seconds, s) in nightly.items():
        lines.append(f"| {s['day']} ({label}) | {seconds:.1f} | {s['warnings']} | {s['moved']:,} | "
                     f"{s['queued']:,} | {s['delivered']:,} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_results(block: str) -> None:
    path = registry.RESULTS
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}"
    path.write_text(text, encoding="utf-8")
    console.print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instruments", type=int, default=10**6)
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    ap.add_argument("--database", default="jiliang_bench_sup")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--generate", type=int, default=None, metavar="N",
                    help="generate only N instruments with the demo generator and copy them server-side up to "
                         "--instruments (much faster on a loaded machine)")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--no-nightly", action="store_true", help="skip timing the nightly run")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    args = ap.parse_args(argv)

    url = registry.ensure_database(args.host, args.port, args.database, args.reuse)
    os.environ["JILIANG_DATABASE_URL"] = url
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine

    reset_engine()
    with console.status("migrating and loading reference data"):
        prepare_database()
    started = time.perf_counter()
    base = min(args.generate or args.instruments, args.instruments)
    registry.populate(base, args.enterprises, args.seed)
    console.print(f"populate step took {time.perf_counter() - started:.0f} s")
    first = None
    if base < args.instruments:
        ensure_catalogue_links()
        expand(args.instruments)
        first = first_run()
    with console.status("VACUUM (ANALYZE)"):
        registry.analyze()
    if args.generate_only:
        return 0
    from sqlalchemy import func, select

    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument

    with session_scope() as session:
        rows = session.scalar(select(func.count()).select_from(Instrument)) or 0
        copies = session.scalar(select(func.count()).select_from(Instrument)
                                .where(Instrument.serial_no.like("%-%"))) or 0
    ensure_catalogue_links()
    figures, nightly = measure(args.repeat, args.warmup, not args.no_nightly)
    if first is not None:
        nightly = {"first run over the expanded register, committed": first, **nightly}
    for f in figures:
        console.print(f"{f.name}: p50 {f.p50:.1f} ms, p95 {f.p95:.1f} ms (target {TARGETS_MS.get(f.name, '—')})")
    for label, (seconds, s) in nightly.items():
        console.print(f"nightly {label}: {seconds:.1f} s {s}")
    if not args.no_write:
        command = " ".join([".venv/bin/python", "bench/supervision.py", *map(shlex.quote, sys.argv[1:])])
        write_results(markdown(figures, nightly, registry.machine(), rows, copies, command, args.repeat,
                               args.warmup))
    return 0 if all(f.p95 < TARGETS_MS[f.name] for f in figures if f.name in TARGETS_MS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
