"""Nightly chain check (issue 6) on PostgreSQL: ``jiliang.traceability.chain.nightly`` over N records.

Creates (or, with ``--reuse``, reuses) the database ``jiliang_bench_chain`` on 127.0.0.1:5432,
migrates it, loads the tiny demo set (labs, standards, devices, the demo chains), links every
device not yet linked to a terminal node, then inserts ``--records`` approved records (10^6 by
default: 10^5 through SQLAlchemy Core, the rest copied server-side in nine rounds), each with one
calibration point and its ref rows (device and standard). The record dates spread over 1000 days,
so the demo's expired link and lapsed devices break about 7 % of the chains.

It then times one nightly run for the whole province (one report row per lab; rolled back) and
prints the summary. Figures are appended to ``bench/RESULTS.md`` unless ``--no-write``.

    .venv/bin/python bench/trace_chain.py                 # generate (~8 min on 2 cores) and measure
    .venv/bin/python bench/trace_chain.py --reuse         # measure again
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "jiliang_bench_chain"


def _url(host: str, port: int) -> str:
    return f"postgresql+psycopg://postgres@{host}:{port}/{NAME}"


def _prepare(host: str, port: int, reuse: bool) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"postgresql+psycopg://postgres@{host}:{port}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": NAME}).first()
        if not exists:
            c.execute(text(f'CREATE DATABASE "{NAME}"'))
            reuse = False
    admin.dispose()
    os.environ["JILIANG_DATABASE_URL"] = _url(host, port)
    os.environ.setdefault("JILIANG_DATA_DIR", str(HERE / ".bench-data"))
    if not reuse:
        eng = create_engine(_url(host, port), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        eng.dispose()


def _generate(n: int, seed: int) -> None:
    from sqlalchemy import func, insert, select, text

    from jiliang import demo
    from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument
    from jiliang.standards.models import MeasurementStandard, StandardDevice
    from jiliang.traceability.models import RecordRef, TraceLink

    today = date.today()
    with session_scope() as s:
        demo.generate(s, "tiny", seed=seed)
    with session_scope() as s:
        devs = s.execute(select(StandardDevice.id, StandardDevice.standard_id, MeasurementStandard.lab_org_id)
                         .join(MeasurementStandard, MeasurementStandard.id == StandardDevice.standard_id)
                         .order_by(StandardDevice.id)).all()
        linked = set(s.scalars(select(TraceLink.subject_id).where(TraceLink.subject_kind == "device")))
        for d in devs:
            if d[0] not in linked:
                s.add(TraceLink(subject_kind="device", subject_id=d[0], source_kind="terminal",
                                terminal_kind="national_primary", terminal_reference="bench",
                                calibrated_on=today - timedelta(days=1200), status="active"))
        inst = s.scalars(select(Instrument.id).order_by(Instrument.id).limit(1000)).all()
        cust = s.scalar(select(Instrument.owner_org_id).order_by(Instrument.id).limit(1))
        rng = random.Random(seed)
        base = s.scalar(select(func.coalesce(func.max(CalibrationRecord.id), 0)))
        first = min(n, 100_000)
        for start in range(0, first, 20_000):
            recs, pts, refs = [], [], []
            for i in range(start, min(first, start + 20_000)):
                d, rid = rng.choice(devs), base + i + 1
                on = today - timedelta(days=rng.randint(0, 1000))
                recs.append(dict(id=rid, number=f"B{i}", lab_org_id=d[2], instrument_id=rng.choice(inst),
                                 customer_org_id=cust, kind="calibration", procedure_code="JJG 99-2022",
                                 performed_on=on, unit="kg", standard_ids=[d[1]], device_ids=[d[0]],
                                 material_ids=[], decision_rule={"kind": "simple"}, status="approved"))
                pts.append(dict(record_id=rid, seq=1, nominal=1.0, readings=[1.0], expanded_uncertainty=0.01,
                                verdict="pass"))
                refs += [dict(record_id=rid, ref_kind="device", ref_id=d[0], performed_on=on, lab_org_id=d[2]),
                         dict(record_id=rid, ref_kind="standard", ref_id=d[1], performed_on=on, lab_org_id=d[2])]
            s.execute(insert(CalibrationRecord), recs)
            s.execute(insert(CalibrationPoint), pts)
            s.execute(insert(RecordRef), refs)
        rounds = max(0, n // first - 1)
        for k in range(1, rounds + 1):
            mx = s.scalar(select(func.max(CalibrationRecord.id)))
            s.execute(text(
                "INSERT INTO calibration_records (id, number, lab_org_id, instrument_id, customer_org_id, kind, "
                "procedure_code, performed_on, unit, standard_ids, device_ids, material_ids, decision_rule, status, "
                "created_at, updated_at) SELECT :mx + row_number() OVER (ORDER BY id), number || '-' || :k, "
                "lab_org_id, instrument_id, customer_org_id, kind, procedure_code, performed_on, unit, standard_ids, "
                "device_ids, material_ids, decision_rule, status, created_at, updated_at FROM calibration_records "
                "WHERE number LIKE 'B%' AND number NOT LIKE '%-%'"), {"mx": mx, "k": str(k)})
            s.execute(text("INSERT INTO calibration_points (record_id, seq, nominal, readings, expanded_uncertainty, "
                           "verdict) SELECT id, 1, 1.0, '[1.0]', 0.01, 'pass' FROM calibration_records WHERE id > :mx"),
                      {"mx": mx})
            s.execute(text("INSERT INTO calibration_record_refs (record_id, ref_kind, ref_id, performed_on, "
                           "lab_org_id) SELECT r.id, x.ref_kind, x.ref_id, r.performed_on, r.lab_org_id "
                           "FROM calibration_records r JOIN calibration_records o ON o.number = split_part(r.number, "
                           "'-', 1) JOIN calibration_record_refs x ON x.record_id = o.id WHERE r.id > :mx"),
                      {"mx": mx})
    from sqlalchemy import create_engine

    eng = create_engine(os.environ["JILIANG_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    eng.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    _prepare(args.host, args.port, args.reuse)
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine, session_scope

    reset_engine()
    prepare_database()
    if not args.reuse:
        t0 = time.perf_counter()
        _generate(args.records, args.seed)
        print(f"generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    from jiliang.traceability.chain import nightly

    with session_scope() as s:
        t0 = time.perf_counter()
        summary = nightly(s)
        seconds = time.perf_counter() - t0
        s.rollback()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = (f"| {datetime.now(UTC):%Y-%m-%d} | {platform.machine()}, {os.cpu_count()} cores, load "
            f"{os.getloadavg()[0]:.1f} | {summary['checked']:,} | {summary['broken']:,} | {seconds:.0f} s | "
            f"{seconds / max(1, summary['checked']) * 1e6:.0f} µs | {rss:.0f} MB |")
    print(summary)
    print(line)
    if not args.no_write:
        results = HERE / "RESULTS.md"
        text_ = results.read_text(encoding="utf-8") if results.exists() else ""
        head = "## Traceability chain, nightly check (issue 6)"
        if head not in text_:
            text_ += (f"\n{head}\n\n`.venv/bin/python bench/trace_chain.py` (PostgreSQL 127.0.0.1, one nightly "
                      "run of `jiliang.traceability.chain.nightly` over every approved record of the province, "
                      "rolled back). No target is set by the issue; the run must be feasible nightly.\n\n"
                      "| date | machine | records | broken | time | per record | peak RSS |\n"
                      "|---|---|---|---|---|---|---|\n")
        results.write_text(text_ + line + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
