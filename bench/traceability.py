"""Traceability benchmark (issue 6) on PostgreSQL: reverse trace of a busy standard, nightly chain check.

Creates (or, with ``--reuse``, reuses) the database ``jiliang_bench_trace`` on 127.0.0.1:5432,
migrates it, loads regions and instrument types, and generates with a seeded script (``COPY``,
no ORM) a province of calibration work:

* 20 laboratories, 5,000 enterprises spread over the counties, 200,000 instruments;
* standards on two levels: standard **A** (two devices) used in ``--busy`` records (10^5), which
  calibrated (one record each, a trace link) one device of each of 20 level-2 standards **B1..B20**;
  each B was recalibrated a year later, and is used in ~5,000 records over three years; 180 other
  standards share the rest;
* ``--records`` calibration records (10^6) over three years, each with its ref rows (standard and
  device: 2 x 10^6 rows in ``calibration_record_refs``), three calibration points, and a certificate
  for one record in five.

It then runs VACUUM (ANALYZE) and times, each call in its own session:

1. ``reverse``: :func:`jiliang.traceability.reverse.preview` of standard A over the window since
   its last calibration (what the preview page and ``POST /api/v1/trace/reverse/preview`` do: the
   whole trace to any depth, the count, and the first page of 50 results with their points and
   verdict-could-change), ``--repeat`` times after ``--warmup`` untimed calls, as A's lab manager;
2. ``reverse, full list``: the trace plus the details of every affected result (what
   ``jiliang trace reverse --json`` prints), once;
3. ``open case``: :func:`jiliang.traceability.reverse.open_case` (one item per affected result,
   owners notified), once, rolled back;
4. ``nightly``: ``jiliang.traceability.chain.nightly(session)`` for the whole region, once, rolled
   back, when that module is present (``--nightly-timeout`` seconds at most, in a child process).

Figures go to stdout and, unless ``--no-write``, to the "Traceability (issue 6)" section of
``bench/RESULTS.md``.

    .venv/bin/python bench/traceability.py            # generate (several minutes) and measure
    .venv/bin/python bench/traceability.py --reuse    # measure again on the existing database
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import platform
import random
import secrets
import shlex
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Traceability (issue 6)"
BEGIN, END = "<!-- traceability:begin -->", "<!-- traceability:end -->"
TARGET_S = 1.0
N_LABS, N_ENTERPRISES, N_INSTRUMENTS = 20, 5_000, 200_000
N_B, N_OTHER = 20, 180
TODAY = date.today()
START = TODAY - timedelta(days=3 * 365)
A_SINCE = TODAY - timedelta(days=2 * 365)


# ------------------------------------------------------------------ database


def admin_connect(host: str, port: int) -> psycopg.Connection:
    return psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True)


def ensure_database(host: str, port: int, name: str, reuse: bool) -> tuple[str, bool]:
    """Create the database unless reusing an existing one; return its URL and whether it is new."""
    with admin_connect(host, port) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists and not reuse:
            conn.execute(f'drop database "{name}" with (force)')
            exists = None
        if not exists:
            conn.execute(f'create database "{name}"')
    return f"postgresql+psycopg://postgres@{host}:{port}/{name}", not exists


def _copy(cur, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples of text-ready values; None is NULL) into a table, in 8 MB chunks."""
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        buf = io.StringIO()
        for row in rows:
            buf.write("\t".join("\\N" if v is None else str(v) for v in row))
            buf.write("\n")
            n += 1
            if buf.tell() > 8_000_000:
                cp.write(buf.getvalue())
                buf = io.StringIO()
        cp.write(buf.getvalue())
    return n


def _setval(cur, table: str) -> None:
    cur.execute(f"select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))")


# ------------------------------------------------------------------ data


def generate(url: str, records: int, busy: int, seed: int) -> dict:
    """The seeded data set (see the module docstring); returns what the measurements need."""
    rng = random.Random(seed)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        # consistent by construction: skip the per-row triggers (foreign-key checks, the
        # instrument_counts upkeep, which this bench does not read) while loading
        cur.execute("set session_replication_role = replica")
        counties = cur.execute("select code, city_code from regions where level = 'county' order by code").fetchall()
        types = [r[0] for r in cur.execute("select id from instrument_types order by id")]
        base = cur.execute("select coalesce(max(id), 0) from organisations").fetchone()[0]
        labs = list(range(base + 1, base + 1 + N_LABS))
        ents = list(range(labs[-1] + 1, labs[-1] + 1 + N_ENTERPRISES))
        places = {}
        org_rows = []
        for i, oid in enumerate(labs + ents):
            county, city = counties[rng.randrange(len(counties))]
            places[oid] = (county, city)
            kind = "calibration_lab" if oid in labs else "enterprise"
            org_rows.append((oid, f"bench-{kind}-{i}", kind, county, city, "active", now, now))
        _copy(cur, "organisations", ("id", "name", "kind", "region_code", "city_code", "status", "created_at",
                                     "updated_at"), org_rows)
        _setval(cur, "organisations")
        print(f"  organisations: {len(org_rows)}", flush=True)

        inst_owner = {}
        def instruments():
            for iid in range(1, N_INSTRUMENTS + 1 + 2 * N_B):
                owner = ents[rng.randrange(len(ents))] if iid <= N_INSTRUMENTS else labs[(iid - N_INSTRUMENTS) % N_LABS]
                inst_owner[iid] = owner
                county, city = places[owner]
                yield (iid, owner, types[rng.randrange(len(types))], f"B{iid:08d}", county, city, "other",
                       "in_service", secrets.token_hex(16), now, now)
        n = _copy(cur, "instruments", ("id", "owner_org_id", "type_id", "serial_no", "region_code", "city_code", "use",
                                       "status", "qr_token", "created_at", "updated_at"), instruments())
        _setval(cur, "instruments")
        print(f"  instruments: {n}", flush=True)

        # standards: A (index 0), B1..B20, 180 others; two devices each
        std_rows, dev_rows = [], []
        std_lab = {}
        valid = (TODAY + timedelta(days=365)).isoformat()
        for s in range(1 + N_B + N_OTHER):
            sid = s + 1
            lab = labs[0] if s == 0 else labs[s % N_LABS]
            std_lab[sid] = lab
            code = "BENCH-A" if s == 0 else (f"BENCH-B{s}" if s <= N_B else f"BENCH-O{s}")
            std_rows.append((sid, lab, f"bench standard {code}", code, "质量", "social_public", f"BENCH-CERT-{sid}",
                             valid, "active", now, now))
            for k in (1, 2):
                dev_rows.append((2 * s + k, sid, f"device {k} of {code}", f"{code}-D{k}", valid, "active"))
        _copy(cur, "measurement_standards", ("id", "lab_org_id", "name", "code", "quantity", "level",
                                             "assessment_cert_no", "assessment_valid_until", "status",
                                             "created_at", "updated_at"), std_rows)
        _copy(cur, "standard_devices", ("id", "standard_id", "name", "serial_no", "certificate_valid_until",
                                        "status"), dev_rows)
        _setval(cur, "measurement_standards")
        _setval(cur, "standard_devices")

        span = (TODAY - START).days
        a_span = (TODAY - A_SINCE).days
        b_first = [START + timedelta(days=rng.randrange(0, 300)) for _ in range(N_B)]  # R_i dates (A calibrated B_i)
        b_first = [max(d, A_SINCE + timedelta(days=10)) for d in b_first]
        busy_ids = set(rng.sample(range(1, records + 1), busy))
        b_each = 5_000
        rest = [i for i in range(1, records + 1) if i not in busy_ids]
        rng.shuffle(rest)
        b_of = {rid: 1 + (k // b_each) for k, rid in enumerate(rest[: N_B * b_each])}
        r_records = sorted(rng.sample(sorted(busy_ids), N_B))  # the records of A that calibrated B_i
        r_for_b = {b + 1: r_records[b] for b in range(N_B)}
        r_inst = {r_for_b[b]: N_INSTRUMENTS + b for b in range(1, N_B + 1)}
        day_of = {}

        def recs():
            for rid in range(1, records + 1):
                if rid in busy_ids:
                    sid = 1
                    day = A_SINCE + timedelta(days=rng.randrange(a_span))
                elif rid in b_of:
                    sid = 1 + b_of[rid]
                    day = START + timedelta(days=rng.randrange(span))
                else:
                    sid = 1 + N_B + 1 + rng.randrange(N_OTHER)
                    day = START + timedelta(days=rng.randrange(span))
                if rid in r_inst:
                    b = [k for k, v in r_for_b.items() if v == rid][0]
                    day = b_first[b - 1]
                    inst = r_inst[rid]
                else:
                    inst = 1 + rng.randrange(N_INSTRUMENTS)
                day_of[rid] = (day, sid, inst)
                dev = 2 * (sid - 1) + 1 + rng.randrange(2)
                yield (rid, f"BR{rid:08d}", std_lab[sid], inst, inst_owner[inst], "calibration", "JJG 99-2022",
                       day.isoformat(), "kg", json.dumps([sid]), json.dumps([dev]), "[]", '{"kind": "simple"}',
                       "approved", "pass", now, now)
        n = _copy(cur, "calibration_records", (
            "id", "number", "lab_org_id", "instrument_id", "customer_org_id", "kind", "procedure_code",
            "performed_on", "unit", "standard_ids", "device_ids", "material_ids", "decision_rule", "status",
            "overall_verdict", "created_at", "updated_at"), recs())
        _setval(cur, "calibration_records")
        print(f"  calibration records: {n}", flush=True)

        def refs():
            for rid, (day, sid, _inst) in day_of.items():
                dev_ids = 2 * (sid - 1) + 1, 2 * (sid - 1) + 2
                yield (rid, "standard", sid, day.isoformat(), std_lab[sid])
                yield (rid, "device", dev_ids[rid % 2], day.isoformat(), std_lab[sid])
        n = _copy(cur, "calibration_record_refs", ("record_id", "ref_kind", "ref_id", "performed_on", "lab_org_id"),
                  refs())
        print(f"  record refs: {n}", flush=True)

        def points():
            pid = 0
            for rid in day_of:
                for seq in (1, 2, 3):
                    pid += 1
                    err = round(rng.gauss(0, 0.1), 4)
                    yield (pid, rid, seq, 10.0 * seq, "[]", err, -0.3, 0.3, 0.02, "pass" if abs(err) <= 0.3 else "fail")
        n = _copy(cur, "calibration_points", ("id", "record_id", "seq", "nominal", "readings", "error", "mpe_lower",
                                              "mpe_upper", "expanded_uncertainty", "verdict"), points())
        _setval(cur, "calibration_points")
        print(f"  calibration points: {n}", flush=True)

        def certs():
            for rid, (_day, sid, inst) in day_of.items():
                if rid % 5 == 0:
                    yield (rid // 5, f"BC{rid:08d}", "calibration", "issued", rid, std_lab[sid], inst_owner[inst], inst,
                           "pass", "\\\\x3c2f3e", "0" * 64, "\\\\x25504446", "0" * 64, 0, now)
        n = _copy(cur, "certificates", ("id", "number", "kind", "status", "record_id", "lab_org_id",
                                        "customer_org_id", "instrument_id", "conformity", "xml", "xml_sha256", "pdf",
                                        "key_fingerprint", "log_index", "issued_at"), certs())
        _setval(cur, "certificates")
        print(f"  certificates: {n}", flush=True)

        # every standard and device of a level-1 standard is calibrated against a national primary
        # standard; device 1 of each B_b by record R_b of standard A, and again a year later
        links = []
        for sid in range(1, 1 + N_B + N_OTHER + 1):
            first = A_SINCE if sid == 1 else START - timedelta(days=30)
            links.append(("standard", sid, "terminal", None, "national_primary", "国家质量基准", first, None))
            for dev in (2 * (sid - 1) + 1, 2 * (sid - 1) + 2):
                if 2 <= sid <= N_B + 1 and dev % 2 == 1:
                    continue
                links.append(("device", dev, "terminal", None, "national_primary", "国家质量基准", first, None))
        for b in range(1, N_B + 1):
            dev = 2 * b + 1  # device 1 of B_b (standard id b + 1)
            links.append(("device", dev, "terminal", None, "national_primary", "国家质量基准",
                          START - timedelta(days=30), b_first[b - 1] - timedelta(days=1)))
            links.append(("device", dev, "record", r_for_b[b], None, None, b_first[b - 1], None))
            links.append(("device", dev, "terminal", None, "national_primary", "国家质量基准",
                          b_first[b - 1] + timedelta(days=365), None))
        links = [(k, i, sk, r, tk, tr, d.isoformat(), (v or TODAY + timedelta(days=365)).isoformat(), "active", now)
                 for k, i, sk, r, tk, tr, d, v in links]
        _copy(cur, "trace_links", ("subject_kind", "subject_id", "source_kind", "record_id", "terminal_kind",
                                   "terminal_reference", "calibrated_on", "valid_until", "status", "created_at"),
              links)
        conn.commit()
    return {"lab": labs[0]}


def prepare(url: str, fresh: bool, records: int, busy: int, seed: int) -> None:
    os.environ["JILIANG_DATABASE_URL"] = url
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine

    reset_engine()
    prepare_database()
    if fresh:
        t0 = time.perf_counter()
        generate(url, records, busy, seed)
        print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("vacuum (analyze)")


# ------------------------------------------------------------------ measurements


def _manager():
    from sqlalchemy import select

    from jiliang.core.db import session_scope
    from jiliang.core.security import Principal
    from jiliang.standards.models import MeasurementStandard

    with session_scope() as s:
        lab = s.scalar(select(MeasurementStandard.lab_org_id).where(MeasurementStandard.code == "BENCH-A"))
    return Principal(user_id=0, username="bench", role="lab_manager", org_id=lab)


def _spec(session, error: float | None = 0.2):
    from jiliang.traceability import reverse

    return reverse.parse_spec(session, {"standard_code": "BENCH-A", "error_found": error, "error_unit": "kg",
                                        "description": "bench"})


def measure_reverse(repeat: int, warmup: int) -> dict:
    from jiliang.core.db import session_scope
    from jiliang.traceability import reverse

    who = _manager()
    times, count, depth = [], 0, 0
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        with session_scope() as s:
            out = reverse.preview(s, who, _spec(s), 1, 50)
        dt = time.perf_counter() - t0
        count, depth = out["count"], out["max_depth"]
        if i >= warmup:
            times.append(dt)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times) + 0.5)) - 1)]
    return {"count": count, "max_depth": depth, "p50": statistics.median(times), "p95": p95,
            "max": times[-1], "n": len(times)}


def measure_full_list() -> float:
    from jiliang.core.db import session_scope
    from jiliang.traceability import reverse

    t0 = time.perf_counter()
    with session_scope() as s:
        spec = _spec(s)
        tr = reverse.trace(s, spec.subject, spec.since, spec.until)
        rows = reverse.describe(s, tr.hits, spec.error_found, spec.error_unit)
    assert len(rows) == len(tr.hits)
    return time.perf_counter() - t0


def measure_open_case() -> tuple[float, int]:
    from sqlalchemy.orm import Session

    from jiliang.core.db import get_engine
    from jiliang.traceability import reverse

    who = _manager()
    with Session(get_engine()) as s:
        t0 = time.perf_counter()
        case = reverse.open_case(s, who, _spec(s))
        s.flush()
        dt = time.perf_counter() - t0
        total = case.total
        s.rollback()
    return dt, total


def _nightly_child(url: str, queue) -> None:
    os.environ["JILIANG_DATABASE_URL"] = url
    from sqlalchemy.orm import Session

    from jiliang.core.db import get_engine, reset_engine
    from jiliang.traceability import chain

    reset_engine()
    with Session(get_engine()) as s:
        t0 = time.perf_counter()
        summary = chain.nightly(s)
        s.flush()
        queue.put((time.perf_counter() - t0, json.dumps(summary, default=str)[:400]))
        s.rollback()


def measure_nightly(url: str, timeout: float) -> tuple[float | None, str]:
    from jiliang.features import present

    if not present("jiliang.traceability.chain") or not hasattr(__import__("jiliang.traceability.chain",
                                                                           fromlist=["nightly"]), "nightly"):
        return None, "jiliang.traceability.chain.nightly not present"
    queue = multiprocessing.get_context("spawn").Queue()
    proc = multiprocessing.get_context("spawn").Process(target=_nightly_child, args=(url, queue))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, f"not finished within {timeout:.0f} s (stopped)"
    if proc.exitcode != 0:
        return None, f"failed (exit code {proc.exitcode})"
    dt, summary = queue.get(timeout=5) if not queue.empty() else (time.perf_counter() - t0, "")
    return dt, summary


# ------------------------------------------------------------------ report


def markdown(rev: dict, full: float, case: tuple[float, int], nightly: tuple[float | None, str], args,
             command: str) -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with admin_connect(args.host, args.port) as conn:
        version = conn.execute("show server_version").fetchone()[0]
    load = os.getloadavg()[0]
    met = "met" if rev["p95"] < TARGET_S else "**not met**"
    nightly_line = (f"**{nightly[0]:.1f} s** (summary: `{nightly[1][:200]}`)" if nightly[0] is not None
                    else f"not measured: {nightly[1]}")
    return "\n".join([
        SECTION, "", BEGIN,
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: `nproc` = {os.cpu_count()}, CPU \"{cpu}\", "
        f"Python {platform.python_version()}, PostgreSQL {version}; 1-minute load average {load:.2f} at the end "
        "(the machine is shared with other engineers' test runs).",
        "", "Command:", "", "```", command, "```", "",
        f"Data (seed {args.seed}): {args.records:,} approved calibration records with "
        f"{2 * args.records:,} ref rows, {3 * args.records:,} points and {args.records // 5:,} certificates; "
        f"standard A used in {args.busy:,} records over two years, which calibrated one device of each of "
        f"{N_B} level-2 standards (recalibrated a year later), each used in ~5,000 records.",
        "",
        "| measurement | figure |",
        "|---|---:|",
        f"| reverse trace of A (preview: whole trace to any depth + count + first 50 with points), p95 of "
        f"{rev['n']} | **{rev['p95'] * 1000:.0f} ms** (target < 1 s: {met}) |",
        f"| same, p50 / max | {rev['p50'] * 1000:.0f} ms / {rev['max'] * 1000:.0f} ms |",
        f"| affected results found (max depth) | {rev['count']:,} ({rev['max_depth']}) |",
        f"| full list with details of every result (`jiliang trace reverse --json` work) | {full:.1f} s |",
        f"| open a case (one item per result, owners notified; rolled back) | {case[0]:.1f} s for {case[1]:,} items |",
        f"| nightly chain check of the whole region (`jiliang.traceability.chain.nightly`) | {nightly_line} |",
        END, "",
    ])


def write_results(block: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if SECTION in text and BEGIN in text and END in text:
        head, _, tail = text.partition(SECTION)
        _, _, after = tail.partition(END)
        text = head + block.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--database", default="jiliang_bench_trace")
    ap.add_argument("--reuse", action="store_true", help="reuse the existing database (generate only if new)")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--busy", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--nightly-timeout", type=float, default=1800)
    ap.add_argument("--skip-nightly", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/traceability.py", *sys.argv[1:]])
    url, fresh = ensure_database(args.host, args.port, args.database, args.reuse)
    prepare(url, fresh, args.records, args.busy, args.seed)
    rev = measure_reverse(args.repeat, args.warmup)
    print(f"reverse preview: {rev}", flush=True)
    full = measure_full_list()
    print(f"full list: {full:.2f} s", flush=True)
    case = measure_open_case()
    print(f"open case: {case[0]:.2f} s, {case[1]} items", flush=True)
    nightly = (None, "skipped (--skip-nightly)") if args.skip_nightly else measure_nightly(url, args.nightly_timeout)
    print(f"nightly: {nightly}", flush=True)
    block = markdown(rev, full, case, nightly, args, command)
    print(block)
    if not args.no_write:
        write_results(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
