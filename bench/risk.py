"""Benchmark: global PFA / PFR for 10^5 instruments, vectorised (jiliang.conformity).

Run:  PYTHONPATH=src .venv/bin/python bench/risk.py [--n 100000] [--seed 1]

Each instrument gets a random in-tolerance probability (0.5-0.999), TUR (0.8-10) and bias
(|bias| <= 0.2). For every guard-band method the script times ``global_risk_many`` and checks
200 instruments against the scalar quadrature ``global_risk``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jiliang.conformity import GUARD_BAND_METHODS, global_risk, global_risk_many


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    itp = rng.uniform(0.5, 0.999, args.n)
    tur = rng.uniform(0.8, 10.0, args.n)
    bias = rng.uniform(-0.2, 0.2, args.n)
    print(f"instruments: {args.n}, seed {args.seed}")
    print(
        f"{'method':8s} {'best s':>8s} {'per 1e5 s':>10s} {'mean PFA':>9s} {'mean PFR':>9s}"
        f" {'max |quad-vec|':>14s}"
    )
    check = rng.choice(args.n, 200, replace=False)
    for method in GUARD_BAND_METHODS:
        if method in ("rss", "u"):
            sel = tur > 1.0  # these formulas need TUR > 1
        else:
            sel = np.ones(args.n, bool)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = global_risk_many(itp[sel], tur[sel], bias[sel], method=method, target=0.02)
            best = min(best, time.perf_counter() - t0)
        idx = np.nonzero(sel)[0]
        pos = {j: k for k, j in enumerate(idx)}
        diffs = []
        for j in check:
            if j not in pos:
                continue
            k = pos[j]
            q = global_risk(itp[j], tur[j], res["acceptance_factor"][k], bias[j])
            diffs.append(max(abs(q[0] - res["pfa"][k]), abs(q[1] - res["pfr"][k])))
        per = best * 1e5 / sel.sum()
        print(
            f"{method:8s} {best:8.3f} {per:10.3f} {res['pfa'].mean():9.5f} "
            f"{res['pfr'].mean():9.5f} {max(diffs):14.2e}"
        )
    # scalar quadrature for comparison
    m = 1000
    t0 = time.perf_counter()
    for j in range(m):
        global_risk(itp[j], tur[j], 1.0, bias[j])
    dt = time.perf_counter() - t0
    print(
        f"scalar quad (scipy): {dt / m * 1e3:.3f} ms per instrument "
        f"-> {dt / m * args.n:.1f} s for {args.n}"
    )


if __name__ == "__main__":
    main()
