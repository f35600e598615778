"""Benchmark: NCSLI RP-1 method S2 on 10,000 seeded synthetic calibration histories.

Run:  PYTHONPATH=src .venv/bin/python bench/intervals.py [--n 10000] [--workers 2] [--seed 7]

Each history is an instrument-type group whose true reliability is Weibull,
``R(t) = exp(-(t/eta)**beta)`` with ``eta`` in 300-3000 d and ``beta`` in 0.7-2.5. It has 3-8
distinct resubmission times (60-1100 d) and 40-240 calibrations; in-tolerance counts are
binomial. Every history is fitted with all ten RP-1 models (``fit_s2``) at target 0.9. The
script reports throughput and how close the recommended interval is to the true one.
A second, smaller run goes through ``recommend()`` on row dictionaries (end to end).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import math
import time
from multiprocessing import Pool

import numpy as np

from jiliang.intervals import fit_s2, recommend

TARGET = 0.9


def make_history(seed: int):
    rng = np.random.default_rng(seed)
    eta = rng.uniform(300, 3000)
    beta = rng.uniform(0.7, 2.5)
    k = int(rng.integers(3, 9))
    t = np.sort(rng.choice(np.arange(60, 1101, 10), size=k, replace=False)).astype(float)
    total = int(rng.integers(40, 241))
    n = rng.multinomial(total - k, np.ones(k) / k) + 1
    r = np.exp(-((t / eta) ** beta))
    g = rng.binomial(n, r)
    truth = eta * (-math.log(TARGET)) ** (1 / beta)
    return t, n, g, truth


def run_one(seed: int):
    t, n, g, truth = make_history(seed)
    res = fit_s2(t, n, g, TARGET)
    return res["interval"], truth, res["model"]["name"], res["capped"], float(t.max())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--end-to-end", type=int, default=500)
    args = ap.parse_args()
    seeds = [args.seed * 1_000_003 + i for i in range(args.n)]
    t0 = time.perf_counter()
    if args.workers > 1:
        with Pool(args.workers) as pool:
            out = pool.map(run_one, seeds, chunksize=50)
    else:
        out = [run_one(s) for s in seeds]
    elapsed = time.perf_counter() - t0
    est = np.array([o[0] for o in out])
    truth = np.array([o[1] for o in out])
    capped = np.array([o[3] for o in out])
    inside = np.array([o[1] <= o[4] for o in out])  # true interval within the observed range
    rel = np.abs(est - truth) / truth
    models = collections.Counter(o[2] for o in out)
    print(f"S2 histories: {args.n}, workers {args.workers}, seed {args.seed}")
    print(
        f"total {elapsed:.1f} s, {elapsed / args.n * 1e3:.2f} ms per history (wall), "
        f"{elapsed * args.workers / args.n * 1e3:.2f} ms per history per core"
    )
    print(f"true interval inside observed range: {inside.mean():.1%}; capped: {capped.mean():.1%}")
    sel = inside & ~capped
    print(
        f"relative error (true interval inside range): median {np.median(rel[sel]):.3f}, "
        f"90th percentile {np.quantile(rel[sel], 0.9):.3f}"
    )
    print("models chosen:", ", ".join(f"{k} {v}" for k, v in models.most_common()))

    # end to end through recommend() on rows
    m = args.end_to_end
    if m <= 0:
        return
    rows_sets = []
    for i in range(m):
        t, n, g, _ = make_history(seeds[i])
        rows, d = [], dt.date(2010, 1, 1)
        for tj, nj, gj in zip(t, n, g, strict=True):
            for q in range(int(nj)):
                d += dt.timedelta(days=1)
                rows.append(
                    {
                        "instrument": f"I{q % 9}",
                        "calibration_date": d,
                        "interval_days": float(tj),
                        "in_tolerance": q < gj,
                    }
                )
        rows_sets.append(rows)
    t0 = time.perf_counter()
    for rows in rows_sets:
        recommend(rows, "s2", target=TARGET)
    e2e = time.perf_counter() - t0
    print(f"recommend(rows, 's2') end to end: {m} histories, {e2e / m * 1e3:.2f} ms each")


if __name__ == "__main__":
    main()
