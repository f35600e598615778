"""Benchmark of jiliang.uncertainty against peer tools (issue 3).

Run (peers installed in their own venv, never project dependencies)::

    python3.11 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install numpy scipy pint suncal metrolopy GTC uncertainties \
        metas-unclib
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=src \
        /work/bench-venv/bin/python bench/uncertainty.py [--quick] [--full-batch]

1. MCM, 10^6 trials, JCGM 101 9.3 mass calibration including the shortest 95 % interval,
   against suncal, metrolopy and METAS UncLib (each skipped with a message if it does not
   import), and against the floor: NumPy drawing the 10^6 x 5 input values.  Also the time
   to an adaptive result with ndig = 2 (JCGM 101 7.9).
2. GUM batch: a 6-input non-linear model at 100,000 points, against GTC and
   ``uncertainties`` looping over the points (peers run on a subset and are scaled
   linearly unless --full-batch).
3. Peak memory (max RSS of a fresh process) of 10^7 adaptive trials.

Times are the best of several repeats (the machine is shared); medians are printed too.
Section 1 times its in-process contenders round-robin, 25 rounds.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from jiliang.uncertainty import EXAMPLES, compile_model, evaluate, gum_batch
from jiliang.uncertainty.mcm import mcm

MASS = EXAMPLES["jcgm101_9_3_mass"]


def timeit(fn, repeat: int = 7) -> tuple[float, float]:
    fn()  # warm-up
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts), statistics.median(ts)


def fmt(t: tuple[float, float] | None) -> str:
    if t is None:
        return "skipped"
    return f"{t[0] * 1e3:8.1f} ms (median {t[1] * 1e3:.1f})"


# ---------------------------------------------------------------- 1. MCM
def ours_mcm(threads: int | str, bins: int):
    doc = copy.deepcopy(MASS)
    doc["methods"] = ["mcm"]
    doc["mcm"] = {"trials": 1_000_000, "seed": 1, "threads": threads, "histogram_bins": bins}
    model = compile_model(doc)

    def run():
        r = mcm(model)["outputs"]["dm"]
        return r["interval_shortest"]

    return run, doc


def floor_draw():
    rng = np.random.default_rng(1)

    def run():
        rng.normal(100000.0, 0.05, 1_000_000)
        rng.normal(1.234, 0.02, 1_000_000)
        rng.uniform(1.10, 1.30, 1_000_000)
        rng.uniform(7000.0, 9000.0, 1_000_000)
        rng.uniform(7950.0, 8050.0, 1_000_000)

    return run


def numpy_script_full_sort():
    """A plain NumPy script with a full sort (the issue's 'floor-plus' reference)."""
    rng = np.random.default_rng(1)
    n = 1_000_000

    def run():
        m_r = rng.normal(100000.0, 0.05, n)
        dm_r = rng.normal(1.234, 0.02, n)
        rho_a = rng.uniform(1.10, 1.30, n)
        rho_w = rng.uniform(7000.0, 9000.0, n)
        rho_r = rng.uniform(7950.0, 8050.0, n)
        y = (m_r + dm_r) * (1 + (rho_a - 1.2) * (1 / rho_w - 1 / rho_r)) - 100000.0
        s = np.sort(y)
        q = int(0.95 * n + 0.5)
        j = int(np.argmin(s[q:] - s[: n - q]))
        return s[j], s[j + q], y.mean(), y.std(ddof=1)

    return run


def suncal_mcm():
    try:
        import suncal
    except Exception as exc:  # noqa: BLE001
        return None, f"suncal not importable: {exc}"
    model = suncal.Model("dm = (mR + dmR)*(1 + (rhoa - 1.2)*(1/rhoW - 1/rhoR)) - 100000")
    model.var("mR").measure(100000.0).typeb(dist="normal", std=0.05)
    model.var("dmR").measure(1.234).typeb(dist="normal", std=0.02)
    model.var("rhoa").measure(1.2).typeb(dist="uniform", a=0.1)
    model.var("rhoW").measure(8000.0).typeb(dist="uniform", a=1000.0)
    model.var("rhoR").measure(8000.0).typeb(dist="uniform", a=50.0)

    def run():
        res = model.monte_carlo(samples=1_000_000)
        e = res.expand("dm", shortest=True, conf=0.95)
        return float(e.low), float(e.high)

    return run, f"suncal {suncal.__version__}"


def metrolopy_mcm():
    try:
        import metrolopy as uc
    except Exception as exc:  # noqa: BLE001
        return None, f"metrolopy not importable: {exc}"
    m_r = uc.gummy(100000.0, 0.05)
    dm_r = uc.gummy(1.234, 0.02)
    rho_a = uc.gummy(uc.UniformDist(lower_limit=1.10, upper_limit=1.30))
    rho_w = uc.gummy(uc.UniformDist(lower_limit=7000.0, upper_limit=9000.0))
    rho_r = uc.gummy(uc.UniformDist(lower_limit=7950.0, upper_limit=8050.0))
    y = (m_r + dm_r) * (1 + (rho_a - 1.2) * (1 / rho_w - 1 / rho_r)) - 100000.0
    y.cimethod = "shortest"
    y.p = 0.95

    def run():
        uc.gummy.simulate([y], n=1_000_000)
        return y.cisim

    return run, f"metrolopy {getattr(uc, '__version__', '')}".strip()


METAS_CHILD = r"""
import json, statistics, time
from metas_unclib import *
use_mcprop(n=1000000)
def run():
    m_r = ufloat(100000.0, 0.05)
    dm_r = ufloat(1.234, 0.02)
    rho_a = ufloatfromdistribution(UniformDistribution(1.10, 1.30))
    rho_w = ufloatfromdistribution(UniformDistribution(7000.0, 9000.0))
    rho_r = ufloatfromdistribution(UniformDistribution(7950.0, 8050.0))
    y = (m_r + dm_r) * (1 + (rho_a - 1.2) * (1 / rho_w - 1 / rho_r)) - 100000.0
    return get_value(y), get_stdunc(y), get_coverage_interval(y, 0.95)
run()
ts = []
for _ in range(3):
    t = time.perf_counter(); r = run(); ts.append(time.perf_counter() - t)
print(json.dumps({"best": min(ts), "median": statistics.median(ts), "result": str(r)}))
"""


def metas_mcm() -> tuple[tuple[float, float] | None, str]:
    """METAS UncLib runs on .NET (pythonnet + Mono here); a broken runtime can abort the
    process, so it runs in a child process."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", METAS_CHILD],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tempfile.gettempdir(),  # Mono writes crash dumps into the working directory
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"METAS UncLib did not run: {exc}"
    if out.returncode != 0:
        lines = [ln for ln in (out.stderr or "").splitlines() if ln.strip()]
        why = next(
            (ln for ln in lines if "Error" in ln or "Could not" in ln),
            lines[-1] if lines else f"exit code {out.returncode}",
        )
        return None, f"METAS UncLib not usable here (exit {out.returncode}): {why.strip()[:200]}"
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return (r["best"], r["median"]), "METAS UncLib (MCProp, symmetric interval)"


# ---------------------------------------------------------------- 2. GUM batch
BATCH_DOC = {
    "equations": ["y = a*exp(-b/c) + sqrt(d)*e/f"],
    "inputs": {
        "a": {"dist": "normal", "mean": 2.0, "std": 0.02, "dof": 10},
        "b": {"dist": "normal", "mean": 1.0, "std": 0.01, "dof": 11},
        "c": {"dist": "normal", "mean": 3.0, "std": 0.03, "dof": 12},
        "d": {"dist": "normal", "mean": 4.0, "std": 0.04, "dof": 13},
        "e": {"dist": "normal", "mean": 0.5, "std": 0.005, "dof": 14},
        "f": {"dist": "normal", "mean": 2.5, "std": 0.025, "dof": 15},
    },
    "methods": ["gum"],
}


def batch_points(n: int):
    rng = np.random.default_rng(0)
    return {k: rng.uniform(0.9, 1.1, n) * v["mean"] for k, v in BATCH_DOC["inputs"].items()}


def ours_batch(n: int):
    model = compile_model(BATCH_DOC)
    pts = batch_points(n)
    stds = {k: 0.01 * v for k, v in pts.items()}

    def run():
        return gum_batch(model, pts, stds)["y"]["expanded_uncertainty"]

    return run


def gtc_batch(n: int):
    try:
        import GTC
    except Exception as exc:  # noqa: BLE001
        return None, f"GTC not importable: {exc}"
    pts = batch_points(n)
    dofs = {k: v["dof"] for k, v in BATCH_DOC["inputs"].items()}
    cols = [pts[k] for k in "abcdef"]

    def run():
        out = []
        ureal, exp, sqrt = GTC.ureal, GTC.exp, GTC.sqrt
        for j in range(n):
            a, b, c, d, e, f = (
                ureal(cols[i][j], 0.01 * cols[i][j], dofs["abcdef"[i]]) for i in range(6)
            )
            y = a * exp(-b / c) + sqrt(d) * e / f
            out.append((y.x, y.u, y.df))
        return out

    return run, f"GTC {GTC.version}"


def uncertainties_batch(n: int):
    try:
        import uncertainties
        from uncertainties import ufloat, umath
    except Exception as exc:  # noqa: BLE001
        return None, f"uncertainties not importable: {exc}"
    pts = batch_points(n)
    cols = [pts[k] for k in "abcdef"]

    def run():
        out = []
        for j in range(n):
            a, b, c, d, e, f = (ufloat(cols[i][j], 0.01 * cols[i][j]) for i in range(6))
            y = a * umath.exp(-b / c) + umath.sqrt(d) * e / f
            out.append((y.nominal_value, y.std_dev))
        return out

    return run, f"uncertainties {uncertainties.__version__}"


# ---------------------------------------------------------------- 3. memory
MEM_CHILD = r"""
import json, sys, time, copy
from jiliang.uncertainty import EXAMPLES, evaluate
def hwm():  # peak RSS of this process image (VmHWM is reset by exec, ru_maxrss is not)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
doc = copy.deepcopy(EXAMPLES["jcgm101_9_3_mass"])
doc["methods"] = ["gum", "mcm"]
evaluate({**doc, "methods": ["gum"]})
base = hwm()
doc["mcm"] = {"trials": "adaptive", "ndig": 4, "seed": 1, "max_trials": 10_000_000}
t = time.perf_counter()
r = evaluate(doc)["outputs"]["dm"]["mcm"]
dt = time.perf_counter() - t
print(json.dumps({"trials": r["trials"], "seconds": dt, "base_kib": base, "peak_kib": hwm()}))
"""


def memory_10e7() -> dict:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-c", MEM_CHILD], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def adaptive_ndig2():
    doc = copy.deepcopy(MASS)
    doc["methods"] = ["mcm"]
    doc["mcm"] = {"trials": "adaptive", "ndig": 2, "seed": 1, "histogram_bins": 80}
    info = {}

    def run():
        r = evaluate(doc)["outputs"]["dm"]["mcm"]
        info["trials"] = r["trials"]
        return r

    return run, info


# ---------------------------------------------------------------- main
def machine() -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, NumPy {np.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--full-batch", action="store_true", help="peers loop all 100,000 points")
    args = ap.parse_args()
    rep = 3 if args.quick else 9
    rounds = 5 if args.quick else 25  # round-robin rounds for section 1
    print("machine:", machine())
    print(f"load average before start: {os.getloadavg()}")
    print(time.strftime("date: %Y-%m-%d %H:%M:%S UTC", time.gmtime()))

    print("\n1. MCM 10^6 trials, JCGM 101 9.3 mass calibration, shortest 95 % interval")
    # All in-process contenders are timed round-robin (one call each per round), so a
    # change of load on the shared machine hits them alike; best and median per contender.
    runs: dict[str, object] = {
        "floor: NumPy draws 10^6 x 5 inputs": floor_draw(),
        "plain NumPy script with full sort": numpy_script_full_sort(),
        "jiliang, 1 thread(s)": ours_mcm(1, 0)[0],
        "jiliang, 2 thread(s)": ours_mcm(2, 0)[0],
    }
    run, doc = ours_mcm("auto", 80)
    runs["jiliang, threads auto, + histogram"] = run
    runs["jiliang evaluate() (GUM+MCM+validation+JSON)"] = lambda: evaluate(
        {**doc, "methods": ["gum", "mcm"]}
    )
    peers = {}
    for name, factory in (("suncal", suncal_mcm), ("metrolopy", metrolopy_mcm)):
        try:
            run, label = factory()
            run()  # warm-up, and fail early
        except Exception as exc:  # noqa: BLE001
            run, label = None, f"{name} failed: {type(exc).__name__}: {exc}"
        if run is None:
            print(f"  {name}: SKIPPED ({label})")
            continue
        runs[label] = run
        peers[label] = None
    times: dict[str, list[float]] = {k: [] for k in runs}
    for fn in runs.values():
        fn()  # type: ignore[operator]
    for _ in range(rounds):
        for k, fn in runs.items():
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            times[k].append(time.perf_counter() - t0)
    res: dict[str, tuple[float, float] | None] = {
        k: (min(v), statistics.median(v)) for k, v in times.items()
    }
    for k in peers:
        peers[k] = res[k]
    t_metas, label = metas_mcm()
    if t_metas is None:
        print(f"  METAS UncLib: SKIPPED ({label})")
    else:
        res[label] = t_metas
        peers[label] = t_metas
    for k, v in res.items():
        if v is not None:
            print(f"  {k:48s} {fmt(v)}")
    ours = min(res["jiliang, 1 thread(s)"][0], res["jiliang, 2 thread(s)"][0])  # type: ignore[index]
    floor = res["floor: NumPy draws 10^6 x 5 inputs"][0]  # type: ignore[index]
    if peers:
        fastest = min(v[0] for v in peers.values())
        print(f"  speed-up vs fastest peer: {fastest / ours:.2f}x")
    print(f"  ours / floor: {ours / floor:.2f}")

    run, info = adaptive_ndig2()
    t = timeit(run, rep)
    print(f"  adaptive ndig=2 (JCGM 101 7.9): {fmt(t)}, {info['trials']} trials")

    n = 100_000
    print(f"\n2. GUM batch, 6-input non-linear model, {n} points")
    t_ours = timeit(ours_batch(n), rep)
    print(f"  jiliang gum_batch                               {fmt(t_ours)}")
    sub = n if args.full_batch else 10_000
    best_peer = None
    for factory in (gtc_batch, uncertainties_batch):
        run, label = factory(sub)
        if run is None:
            print(f"  SKIPPED: {label}")
            continue
        t0 = time.perf_counter()
        run()
        dt = (time.perf_counter() - t0) * n / sub
        note = "" if sub == n else f" (looped {sub} points, scaled x{n // sub})"
        print(f"  {label:47s} {dt:8.2f} s{note}")
        best_peer = dt if best_peer is None else min(best_peer, dt)
    if best_peer:
        print(f"  speed-up vs faster peer: {best_peer / t_ours[0]:.0f}x")

    print("\n3. Peak memory, 10^7 adaptive trials (ndig = 4, max_trials = 10^7)")
    mem = memory_10e7()
    print(
        f"  trials {mem['trials']}, {mem['seconds']:.2f} s, peak RSS "
        f"{mem['peak_kib'] / 1024:.0f} MiB (after imports {mem['base_kib'] / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
