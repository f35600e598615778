"""Ledger benchmark (issue 5): the public log on PostgreSQL.

Creates (or, with ``--reuse``, reuses) the database ``jiliang_bench_ledger`` on 127.0.0.1:5432
(trust auth, user ``postgres``), migrates it and measures, in-process through
:mod:`jiliang.trust.service`:

1. ``append``: ``--appends`` entries (default 100,000) through :func:`service.append_many`
   (indices under the head-row lock, leaves + completed subtree nodes, audit entries), committed
   in transactions of ``--batch`` entries; plus the latency of ``--single`` appends through
   :func:`service.append`, committed one per transaction (as the certificate issuer does);
2. the log is then filled to ``--leaves`` leaves (default 10^6): entries and nodes computed in
   memory with the kernel (:class:`jiliang.ledger.MemoryStore`) and loaded with COPY; the root
   the database gives is checked against the in-memory root, and a checkpoint is signed;
3. ``inclusion proof``: p50/p95 of :func:`service.inclusion_proof_for` (one query for the
   plan's nodes) at random leaves of the full tree, each proof checked against the root; and of
   the whole ``GET /api/v1/log/entries/{i}`` service call (entry + checkpoint + proof);
4. ``verify``: verifications per second of :func:`jiliang.trust.bundle.verify_bundle` (the
   logic of ``jiliang log verify``: XML signature, SHA-256, inclusion, checkpoint signature)
   in-process, and of the log part alone (checkpoint signature + inclusion proof).

Results go to stdout and, unless ``--no-write``, into the "Ledger (issue 5)" section of
``bench/RESULTS.md``.

    .venv/bin/python bench/ledger.py                 # (re)create, 10^5 appends, 10^6 leaves
    .venv/bin/python bench/ledger.py --reuse         # measure proofs/verify on the existing log
    .venv/bin/python bench/ledger.py --appends 2000 --leaves 20000 --no-write   # smoke run
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import platform
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Ledger (issue 5)"
BEGIN, END = "<!-- ledger:begin -->", "<!-- ledger:end -->"
TARGET_PROOF_P95_MS = 2.0
FP = "ab" * 32

console = Console()


def ensure_database(host: str, port: int, name: str, reuse: bool) -> tuple[str, str]:
    """Create the bench database (dropping an old one unless reusing); (URL, server version)."""
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists and not reuse:
            console.print(f"dropping the old database [bold]{name}[/]")
            conn.execute(f'drop database "{name}" with (force)')
            exists = None
        if not exists:
            conn.execute(f'create database "{name}"')
            console.print(f"created database [bold]{name}[/]")
        version = conn.execute("select version()").fetchone()[0]
    return f"postgresql+psycopg://postgres@{host}:{port}/{name}", version


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def bench_appends(n: int, batch: int, single: int) -> dict:
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.trust import service

    def payload(i: int) -> dict:
        return {
            "certificate_number": f"BENCH-{i:08d}",
            "issuer_org_id": 1 + i % 50,
            "xml_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
            "key_sha256": FP,
        }

    with session_scope() as session:
        start = service.log_size(session)
    t0 = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(f"append {n} (batches of {batch})", total=n)
        done = 0
        while done < n:
            k = min(batch, n - done)
            with session_scope() as session:
                service.append_many(
                    session, SYSTEM, [("issued", payload(start + done + j)) for j in range(k)]
                )
            done += k
            progress.update(task, completed=done)
    batched = time.perf_counter() - t0
    lat = []
    for j in range(single):
        t = time.perf_counter()
        with session_scope() as session:
            service.append(session, SYSTEM, "issued", payload(start + n + j))
        lat.append((time.perf_counter() - t) * 1000)
    return {
        "n": n,
        "batch": batch,
        "seconds": batched,
        "rate": n / batched,
        "single": single,
        "single_p50": pct(lat, 0.5),
        "single_p95": pct(lat, 0.95),
    }


def fill_to(url: str, leaves: int) -> dict:
    """Fill the log to ``leaves`` entries: kernel in memory, COPY into the tables."""
    from jiliang.ledger import MemoryStore
    from jiliang.trust.service import encode_entry

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    t0 = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        size = conn.execute("select size from log_head where id = 1").fetchone()[0]
        if size >= leaves:
            return {"added": 0, "seconds": 0.0}
        existing = [
            bytes(h) for (h,) in conn.execute('select leaf_hash from log_entries order by "index"')
        ]
        assert len(existing) == size, "log_head and log_entries disagree"
        store = MemoryStore(existing)
        now = datetime.now(UTC).replace(microsecond=0)
        created = now.replace(tzinfo=None)
        with _progress() as progress:
            task = progress.add_task(f"entries {size}..{leaves} (COPY)", total=leaves - size)
            with (
                conn.cursor() as cur,
                cur.copy(
                    'COPY log_entries ("index", kind, certificate_number, issuer_org_id, data, '
                    "leaf_hash, created_at) FROM STDIN"
                ) as cp,
            ):
                for i in range(size, leaves):
                    number = f"FILL-{i:08d}"
                    data = encode_entry(
                        "issued",
                        i,
                        {
                            "certificate_number": number,
                            "issuer_org_id": 1 + i % 50,
                            "key_sha256": FP,
                            "xml_sha256": hashlib.sha256(number.encode()).hexdigest(),
                        },
                        now,
                    )
                    store.append_data(data)
                    cp.write_row(
                        (i, "issued", number, 1 + i % 50, data, store.get_node(0, i), created)
                    )
                    if i % 10000 == 0:
                        progress.update(task, completed=i - size)
                progress.update(task, completed=leaves - size)
        rows = 0
        with conn.cursor() as cur, cur.copy("COPY log_nodes (level, idx, hash) FROM STDIN") as cp:
            for level, row in enumerate(store._levels):
                # nodes not stored yet: those whose leaf range ends after the old size
                for idx in range(size >> level, len(row)):
                    cp.write_row((level, idx, row[idx]))
                    rows += 1
        conn.execute("update log_head set size = %s where id = 1", (leaves,))
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze log_entries")
        conn.execute("vacuum analyze log_nodes")
    return {
        "added": leaves - size,
        "nodes": rows,
        "seconds": time.perf_counter() - t0,
        "root": store.root(),
    }


def bench_proofs(repeat: int, warmup: int, expected_root: bytes | None) -> dict:
    from jiliang.core.db import session_scope
    from jiliang.ledger import verify_inclusion
    from jiliang.trust import service

    with session_scope() as session:
        cp = service.publish_checkpoint(session)
        size, root = cp.size, bytes(cp.root)
    if expected_root is not None:
        assert root == expected_root, "the database root differs from the in-memory root"
    rng = random.Random(1)
    proof_ms, view_ms, floor_ms = [], [], []
    with session_scope() as session:
        leaves = dict(
            session.execute(
                service.select(service.LogEntry.index, service.LogEntry.leaf_hash).where(
                    service.LogEntry.index.in_([rng.randrange(size) for _ in range(50)])
                )
            ).all()
        )
    with session_scope() as session:  # one open transaction, as inside a request
        service.log_size(session)
        for i, index in enumerate(rng.randrange(size) for _ in range(repeat + warmup)):
            t = time.perf_counter()
            proof = service.inclusion_proof_for(session, index, size)
            dt = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            session.execute(service.text("SELECT 1")).scalar()
            floor = (time.perf_counter() - t) * 1000
            if i >= warmup:
                proof_ms.append(dt)
                floor_ms.append(floor)
            if index in leaves:
                assert verify_inclusion(bytes(leaves[index]), index, size, proof, root)
    for i, index in enumerate(rng.randrange(size) for _ in range(repeat // 2 + warmup)):
        with session_scope() as session:
            t = time.perf_counter()
            service.entry_view(session, index)
            dt = (time.perf_counter() - t) * 1000
        if i >= warmup:
            view_ms.append(dt)
    return {
        "size": size,
        "proof_p50": pct(proof_ms, 0.5),
        "proof_p95": pct(proof_ms, 0.95),
        "proof_n": len(proof_ms),
        "floor_p50": pct(floor_ms, 0.5),
        "floor_p95": pct(floor_ms, 0.95),
        "view_p50": pct(view_ms, 0.5),
        "view_p95": pct(view_ms, 0.95),
        "view_n": len(view_ms),
    }


def bench_verify(seconds: float) -> dict:
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.dcc import EXAMPLE_CERT, build_dcc, sign_dcc
    from jiliang.ledger import leaf_hash, verify_checkpoint, verify_inclusion
    from jiliang.orgs.models import Organisation
    from jiliang.trust import keys, service
    from jiliang.trust.bundle import bundle_bytes, make_bundle, verify_bundle

    number = f"VERIFY-{int(time.time())}"
    with session_scope() as session:
        org = session.query(Organisation).order_by(Organisation.id).first()
        if org is None:
            org = Organisation(name="Bench lab", kind="calibration_lab", region_code="610113")
            session.add(org)
            session.flush()
        if keys._active(session, "dcc", org.id) is None:
            keys.create_key(session, SYSTEM, "dcc", org.id)
        private, record = keys.signing_key_for(session, org.id)
        cert = copy.deepcopy(EXAMPLE_CERT)
        cert["number"] = number
        xml = sign_dcc(build_dcc(cert), private, private.public_key())
        service.append(
            session,
            SYSTEM,
            "issued",
            {
                "certificate_number": number,
                "issuer_org_id": org.id,
                "xml_sha256": hashlib.sha256(xml).hexdigest(),
                "key_sha256": record.fingerprint,
            },
        )
    with session_scope() as session:
        data = bundle_bytes(make_bundle(session, number))
    import json

    doc = json.loads(data)
    assert verify_bundle(xml, data).ok
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        result = verify_bundle(xml, data)
        n += 1
    full = n / (time.perf_counter() - t0)
    assert result.ok
    item = doc["entries"][0]
    entry = item["entry"].encode()
    import base64

    proof = [base64.b64decode(p) for p in item["inclusion_proof"]]
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        _, size, root = verify_checkpoint(doc["checkpoint"], doc["log_vkey"])
        assert verify_inclusion(leaf_hash(entry), item["index"], size, proof, root)
        n += 1
    log_only = n / (time.perf_counter() - t0)
    return {
        "full": full,
        "log_only": log_only,
        "proof_len": len(proof),
        "bytes": len(data),
        "xml_bytes": len(xml),
    }


def machine(pg_version: str) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    pg = " ".join(pg_version.split()[:2])
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{date}; {os.cpu_count()} CPUs (nproc), {cpu}; {pg}; Python "
        f"{platform.python_version()}; load average at the end {load}"
    )


def render(args, info: str, app: dict | None, fill: dict | None, proofs: dict, ver: dict) -> str:
    cmd = "python bench/ledger.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [BEGIN, "", f"Machine: {info}.", f"Command: `{cmd.strip()}`.", ""]
    lines += ["| figure | value | target |", "|---|--:|---|"]
    if app:
        lines.append(
            f"| `append_many`, {app['n']:,} entries in transactions of {app['batch']} | "
            f"{app['rate']:,.0f} entries/s ({app['seconds']:.0f} s) | |"
        )
        lines.append(
            f"| `append`, one entry per transaction ({app['single']} commits) | "
            f"p50 {app['single_p50']:.2f} ms, p95 {app['single_p95']:.2f} ms | |"
        )
    if app is None:  # --reuse: keep the append and fill figures of the last full run
        old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        block = old.split(BEGIN, 1)[1].split(END, 1)[0] if BEGIN in old and END in old else ""
        for line in block.splitlines():
            if line.startswith(("| `append", "| bulk fill", "| last full run: ")):
                lines.append(
                    line
                    if line.startswith("| last full run: ")
                    else line.replace("| ", "| last full run: ", 1)
                )
    if fill and fill.get("added"):
        lines.append(
            f"| bulk fill by COPY ({fill['added']:,} entries, {fill['nodes']:,} nodes, "
            f"computed with the kernel) | {fill['seconds']:.0f} s | |"
        )
    ok = proofs["proof_p95"] < TARGET_PROOF_P95_MS
    lines.append(
        f"| inclusion proof at {proofs['size']:,} leaves "
        f"(`inclusion_proof_for`: plan, one query for its nodes, fold; in an open "
        f"transaction; {proofs['proof_n']} random leaves) | "
        f"p50 {proofs['proof_p50']:.3f} ms, p95 {proofs['proof_p95']:.3f} ms | "
        f"p95 < {TARGET_PROOF_P95_MS:g} ms: {'pass' if ok else '**fail**'} |"
    )
    lines.append(
        f"| round trip of `SELECT 1` in the same loop (the machine's noise floor) | "
        f"p50 {proofs['floor_p50']:.3f} ms, p95 {proofs['floor_p95']:.3f} ms | |"
    )
    lines.append(
        f"| entry + checkpoint + proof, one transaction each (`entry_view`, the "
        f"`GET /api/v1/log/entries/{{i}}` service call, {proofs['view_n']} leaves) | "
        f"p50 {proofs['view_p50']:.3f} ms, p95 {proofs['view_p95']:.3f} ms | |"
    )
    lines.append(
        f"| `verify_bundle` in-process (XML signature + SHA-256 + inclusion + "
        f"checkpoint; {ver['xml_bytes']:,}-byte DCC, {ver['proof_len']}-hash proof) | "
        f"{ver['full']:,.0f} verifications/s | |"
    )
    lines.append(
        f"| log part only (checkpoint Ed25519 signature + inclusion proof) | "
        f"{ver['log_only']:,.0f} verifications/s | |"
    )
    lines += ["", END]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--database", default="jiliang_bench_ledger")
    ap.add_argument("--reuse", action="store_true", help="keep the log, skip appends and fill")
    ap.add_argument("--appends", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--single", type=int, default=300)
    ap.add_argument("--leaves", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--verify-seconds", type=float, default=5.0)
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    args = ap.parse_args(argv)

    url, version = ensure_database(args.host, args.port, args.database, args.reuse)
    data_dir = Path(tempfile.gettempdir()) / f"{args.database}-data"
    data_dir.mkdir(exist_ok=True)
    os.environ["JILIANG_DATABASE_URL"] = url
    os.environ["JILIANG_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("JILIANG_LOG_ORIGIN", "jiliang.bench/log")
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine

    reset_engine()
    prepare_database()  # migrations, regions, instrument types
    app = fill = None
    if not args.reuse:
        app = bench_appends(args.appends, args.batch, args.single)
        console.print(app)
        fill = fill_to(url, args.leaves)
        console.print({k: v for k, v in fill.items() if k != "root"})
    proofs = bench_proofs(args.repeat, args.warmup, fill.get("root") if fill else None)
    console.print(proofs)
    ver = bench_verify(args.verify_seconds)
    console.print(ver)
    block = render(args, machine(version), app, fill, proofs, ver)
    console.print(block)
    if not args.no_write:
        write_results(block)
    return 0 if proofs["proof_p95"] < TARGET_PROOF_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
