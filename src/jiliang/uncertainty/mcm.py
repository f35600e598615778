"""Monte Carlo method (JCGM 101 clause 7) and multivariate outputs (JCGM 102 7).

Design for speed and bounded memory:

* the model trees are evaluated on NumPy arrays (one pass per node; shared sub-trees once);
* trials are drawn in chunks (at most :data:`CHUNK` per task) by independent generators
  spawned from one :class:`numpy.random.SeedSequence`, so a seed reproduces the result
  exactly whatever the number of threads; tasks run on a small thread pool (NumPy's
  generators and ufuncs release the GIL);
* only the output values are kept (8 bytes per trial and output: 10^7 trials = 80 MB);
* coverage intervals use :func:`numpy.partition` to isolate the two tails that can hold
  an endpoint (a fraction 1 - p of each side), and sort only those (JCGM 101 7.7).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import special

from . import expr as ex
from .errors import ModelError
from .model import Model

#: trials per task (one reproducible random stream each)
CHUNK = 1 << 19
#: trials evaluated at once inside a task: inputs and temporaries stay in the CPU cache
BLOCK = 1 << 15


def tolerance(u: float, ndig: int) -> float:
    """Numerical tolerance delta of u to ``ndig`` significant digits (JCGM 101 7.9.2).

    u is written c x 10^l with c an ndig-digit integer; delta = 10^l / 2.
    """
    if not u > 0 or not math.isfinite(u):
        return 0.0
    lead = math.floor(math.log10(u))
    l_exp = lead - ndig + 1
    c = round(u / 10.0**l_exp)
    if c >= 10**ndig:  # rounding carried into one more digit, e.g. 99.6 -> 100
        l_exp += 1
    return 0.5 * 10.0**l_exp


def _tails(y: np.ndarray, r0: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``r0`` smallest and the ``r0`` largest values of ``y``, each sorted.

    Thresholds taken from a strided subsample select a few percent more than needed in one
    pass over ``y`` (boolean masks, block by block); only those values are sorted.  If a
    threshold turns out too tight (very unlikely), fall back to a partial partition.
    """
    m = y.shape[0]
    if m < 200_000 or 4 * r0 > m:
        part = np.partition(y, (r0 - 1, m - r0))
        return np.sort(part[:r0]), np.sort(part[m - r0 :])
    step = max(1, m // 40_000)
    sub = y[::step]
    n = sub.shape[0]
    frac = r0 / m
    margin = 6 * math.sqrt(frac * (1 - frac) / n) + 2 / n
    k_lo = min(n - 1, int(math.ceil((frac + margin) * n)))
    k_hi = max(0, int(math.floor((1 - frac - margin) * n)))
    ps = np.partition(sub, (k_hi, k_lo) if k_hi < k_lo else (k_lo, k_hi))
    t_lo, t_hi = ps[k_lo], ps[k_hi]
    lows, highs = [], []
    # cache-sized blocks: the masks stay small and are not page-faulted in afresh
    for start in range(0, m, BLOCK):
        b = y[start : start + BLOCK]
        lows.append(b[b <= t_lo])
        highs.append(b[b >= t_hi])
    low = np.concatenate(lows)
    high = np.concatenate(highs)
    if low.shape[0] < r0 or high.shape[0] < r0:
        part = np.partition(y, (r0 - 1, m - r0))
        return np.sort(part[:r0]), np.sort(part[m - r0 :])
    low.sort()
    high.sort()
    return low[:r0], high[high.shape[0] - r0 :]


def coverage_intervals(y: np.ndarray, p: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Shortest and probabilistically symmetric coverage intervals (JCGM 101 7.7).

    With M values and q = floor(pM + 1/2), the candidates are [y_(r), y_(r+q)] for
    r = 1, ..., M - q; only the M - q smallest and M - q largest values are needed, and
    only they are sorted.

    Returns
    -------
    (shortest, symmetric)
        Each a ``(low, high)`` pair.
    """
    m = y.shape[-1]
    q = int(math.floor(p * m + 0.5))
    r0 = m - q
    if r0 < 1:
        lo, hi = float(np.min(y)), float(np.max(y))
        return (lo, hi), (lo, hi)
    if 2 * r0 + 2 >= m:
        s = np.sort(y)
        low, high = s[:r0], s[q:]
    else:
        low, high = _tails(y, r0)
    j = int(np.argmin(high - low))
    rs = (m - q) / 2
    rs_i = int(rs) if float(rs).is_integer() else int(math.floor(rs + 0.5))
    rs_i = min(max(rs_i, 1), r0)
    return (float(low[j]), float(high[j])), (float(low[rs_i - 1]), float(high[rs_i - 1]))


def _batch_intervals(y: np.ndarray, p: float) -> tuple[np.ndarray, ...]:
    """Row-wise shortest and symmetric intervals of an (h, M) array (adaptive procedure)."""
    m = y.shape[1]
    q = int(math.floor(p * m + 0.5))
    r0 = m - q
    part = np.partition(y, (r0 - 1, q), axis=1)
    low = np.sort(part[:, :r0], axis=1)
    high = np.sort(part[:, q:], axis=1)
    w = high - low
    j = np.argmin(w, axis=1)
    rows = np.arange(y.shape[0])
    rs = (m - q) / 2
    rs_i = int(rs) if float(rs).is_integer() else int(math.floor(rs + 0.5))
    rs_i = min(max(rs_i, 1), r0)
    return low[rows, j], high[rows, j], low[:, rs_i - 1], high[:, rs_i - 1]


class Sampler:
    """Draws joint samples of the inputs (JCGM 101 6.4) and evaluates the outputs."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.names = model.names
        n = len(self.names)
        self.factor = model.input_factor
        grouped = {i for g in model.simultaneous for i in g}
        corr = model.correlation.copy()
        for g in model.simultaneous:
            for i in g:
                for j in g:
                    if i != j:
                        corr[i, j] = 0.0
        # inputs linked by correlation coefficients: Gaussian copula (JCGM 101 6.4.8)
        linked = sorted(
            {
                i
                for i in range(n)
                for j in range(n)
                if i != j and corr[i, j] != 0 and i not in grouped
            }
        )
        self.copula = linked
        self.copula_chol = _psd_cholesky(corr[np.ix_(linked, linked)]) if linked else None
        # simultaneous observations: multivariate t with nu = n - 1 and scale S/n
        self.groups = []
        for g in model.simultaneous:
            data = np.vstack([model.inputs[i].observations for i in g])  # type: ignore[misc]
            nobs = data.shape[1]
            scale = np.cov(data) / nobs
            self.groups.append((g, data.mean(axis=1), _psd_cholesky(scale), nobs - 1))
        self.independent = [i for i in range(n) if i not in grouped and i not in linked]
        self.outputs = model.outputs
        # sample directly in base units
        self.base = [q.scaled(f) for q, f in zip(model.inputs, self.factor, strict=True)]
        self.plan = ex.Plan([model.trees[o] for o in model.outputs])

    def draw(
        self, rng: np.random.Generator, size: int, bufs: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        env: dict[str, np.ndarray] = {}
        base = self.base
        for i in self.independent:
            name = self.names[i]
            out = None if bufs is None else bufs[name][:size]
            env[name] = base[i].sample(rng, size, out)
        if self.copula and self.copula_chol is not None:
            k = len(self.copula)
            z = self.copula_chol @ rng.standard_normal((k, size))
            u = special.ndtr(z)
            for row, i in enumerate(self.copula):
                env[self.names[i]] = base[i].ppf(u[row], z[row])
        for g, mean, chol, nu in self.groups:
            z = chol @ rng.standard_normal((len(g), size))
            w = np.sqrt(nu / rng.chisquare(nu, size))
            for row, i in enumerate(g):
                env[self.names[i]] = (mean[row] + z[row] * w) * self.factor[i]
        return env

    def run(self, rng: np.random.Generator, out: np.ndarray) -> bool:
        """Fill ``out`` (n_outputs, size) with output values in base units, block by block.

        Returns False if any value is not finite.
        """
        size = out.shape[1]
        block = min(BLOCK, size)
        # buffers for this task, reused for every block: no allocation in the loop
        bufs = {self.names[i]: np.empty(block) for i in self.independent}
        work = [np.empty(block) for _ in range(self.plan.nbuf)]
        finite = True
        with np.errstate(all="ignore"):
            for start in range(0, size, block):
                n = min(block, size - start)
                env = self.draw(rng, n, bufs)
                for k, v in enumerate(self.plan.run(env, work, n)):
                    dst = out[k, start : start + n]
                    dst[...] = v
                    if finite and not np.isfinite(dst).all():
                        finite = False
        return finite


def _psd_cholesky(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(a)
        return v * np.sqrt(np.clip(w, 0, None))


def _check_finite(y: np.ndarray, outputs: list[str]) -> None:
    bad = ~np.isfinite(y)
    if bad.any():
        k = int(np.argmax(bad.any(axis=1)))
        raise ModelError(
            f"the model gave {int(bad[k].sum())} undefined values (division by zero, log or "
            "sqrt of a negative number, ...) for sampled inputs; restrict the input "
            "distributions to the model's domain",
            code="mcm_nonfinite",
            field=f"output '{outputs[k]}'",
        )


def auto_threads() -> int:
    """Threads to use: 2 when a second core is idle, else 1.

    Each thread releases the GIL only inside NumPy calls; on an oversubscribed machine a
    second thread mostly waits for the GIL and slows the run down.  Results do not depend
    on the number of threads (one random stream per task, not per thread).
    """
    n = os.cpu_count() or 1
    if n < 2:
        return 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 2
    return 2 if load < n - 0.5 else 1


class _Runner:
    """Runs tasks on a thread pool with a reproducible stream per task."""

    def __init__(self, sampler: Sampler, seed: int | None, threads: int | str) -> None:
        self.sampler = sampler
        self.seq = np.random.SeedSequence(seed)
        self.threads = auto_threads() if threads == "auto" else int(threads)
        self.pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    def chunk(self, total: int) -> np.ndarray:
        """``total`` trials split into tasks; returns (n_outputs, total)."""
        # the split depends on the trial count only, so results do not depend on threads
        ntask = max(2, math.ceil(total / CHUNK))
        sizes = [total // ntask + (1 if t < total % ntask else 0) for t in range(ntask)]
        children = self.seq.spawn(ntask)
        out = np.empty((len(self.sampler.outputs), total))
        bounds = np.concatenate([[0], np.cumsum(sizes)])

        def task(t: int) -> bool:
            rng = np.random.Generator(np.random.PCG64(children[t]))
            return self.sampler.run(rng, out[:, bounds[t] : bounds[t + 1]])

        if self.pool is None:
            ok = [task(t) for t in range(ntask)]
        else:
            ok = list(self.pool.map(task, range(ntask)))
        if not all(ok):
            _check_finite(out, self.sampler.outputs)
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _mean_std(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (divisor M - 1, JCGM 101 7.6) in cache-sized blocks,
    without an M-sized temporary."""
    m = y.shape[0]
    mean = float(np.mean(y))
    buf = np.empty(min(BLOCK, m))
    ss = 0.0
    for start in range(0, m, BLOCK):
        n = min(BLOCK, m - start)
        d = buf[:n]
        np.subtract(y[start : start + n], mean, out=d)
        np.multiply(d, d, out=d)  # (no BLAS call: its thread start-up costs more here)
        ss += float(d.sum())
    return mean, math.sqrt(ss / (m - 1)) if m > 1 else 0.0


def _summarise(model: Model, y: np.ndarray, trials: int) -> dict[str, Any]:
    p = model.coverage
    bins = model.mcm.get("histogram_bins", 80)
    outs: dict[str, Any] = {}
    for k, o in enumerate(model.outputs):
        f = model.output_factor[o]
        yk = y[k]
        mean, std = _mean_std(yk)
        (s_lo, s_hi), (p_lo, p_hi) = coverage_intervals(yk, p)
        r: dict[str, Any] = {
            "value": mean / f,
            "std_uncertainty": std / f,
            "interval_shortest": [s_lo / f, s_hi / f],
            "interval_symmetric": [p_lo / f, p_hi / f],
            "coverage": p,
            "trials": int(trials),
        }
        if bins:
            w = max(s_hi - s_lo, std, 1e-300)
            lo = max(s_lo - 0.6 * w, float(np.min(yk)))
            hi = min(s_hi + 0.6 * w, float(np.max(yk)))
            if hi <= lo:
                hi = lo + w
            counts = np.zeros(bins + 2, dtype=np.int64)
            scale = bins / (hi - lo)
            buf = np.empty(BLOCK)
            ibuf = np.empty(BLOCK, dtype=np.int64)
            for start in range(0, yk.shape[0], BLOCK):
                n = min(BLOCK, yk.shape[0] - start)
                b, ib = buf[:n], ibuf[:n]
                np.subtract(yk[start : start + n], lo, out=b)
                b *= scale
                np.clip(b, -1.0, bins + 0.5, out=b)
                np.floor(b, out=b)
                ib[...] = b
                ib += 1
                counts += np.bincount(ib, minlength=bins + 2)
            r["histogram"] = {
                "edges": (np.linspace(lo, hi, bins + 1) / f).tolist(),
                "counts": counts[1:-1].tolist(),
                "below": int(counts[0]),
                "above": int(counts[-1]),
            }
        outs[o] = r
    fac = np.array([model.output_factor[o] for o in model.outputs])
    if len(model.outputs) > 1:
        cov = _covariance(y) / np.outer(fac, fac)
    else:
        u = outs[model.outputs[0]]["std_uncertainty"]
        cov = np.array([[u * u]])
    return {"outputs": outs, "covariance": cov}


def _covariance(y: np.ndarray) -> np.ndarray:
    """Covariance matrix of the rows of y (JCGM 102 7.6), in blocks, divisor M - 1."""
    k, m = y.shape
    mean = y.mean(axis=1, keepdims=True)
    cov = np.zeros((k, k))
    buf = np.empty((k, min(BLOCK, m)))
    for start in range(0, m, BLOCK):
        n = min(BLOCK, m - start)
        d = buf[:, :n]
        np.subtract(y[:, start : start + n], mean, out=d)
        cov += np.einsum("ij,kj->ik", d, d)
    return cov / (m - 1)


def mcm(model: Model) -> dict[str, Any]:
    """Propagation of distributions by the Monte Carlo method (JCGM 101 7).

    ``model.mcm["trials"]`` is a number of trials M, or ``"adaptive"`` for the adaptive
    procedure of JCGM 101 7.9 with ``ndig`` significant decimal digits.

    Returns
    -------
    dict
        ``outputs`` (per output: value, std_uncertainty, interval_shortest,
        interval_symmetric, trials, histogram) and ``covariance`` (JCGM 102 7.6).
    """
    opts = model.mcm
    sampler = Sampler(model)
    runner = _Runner(sampler, opts.get("seed"), opts.get("threads", "auto"))
    try:
        if opts["trials"] == "adaptive":
            y, info = _adaptive(model, runner)
        else:
            y = runner.chunk(int(opts["trials"]))
            info = {}
    finally:
        runner.close()
    res = _summarise(model, y, y.shape[1])
    for o in model.outputs:
        res["outputs"][o].update(info)
    return res


def _adaptive(model: Model, runner: _Runner) -> tuple[np.ndarray, dict[str, Any]]:
    """Adaptive Monte Carlo procedure (JCGM 101 7.9.4).

    Sequences of M = max(J, 10^4) trials, J = ceil(100/(1 - p)), are added until twice the
    standard deviation of the sequence averages of the estimate, the standard uncertainty
    and both endpoints of the shortest and of the symmetric interval is at most the
    tolerance delta of u(y) to ``ndig`` significant digits, for every output.  Sequences are
    drawn many at a time, and the stopping rule is applied after each sequence in order, so
    the result is that of the sequential procedure.
    """
    p = model.coverage
    ndig = model.mcm["ndig"]
    max_trials = model.mcm["max_trials"]
    J = math.ceil(100 / (1 - p))
    M = max(J, 10_000)
    nout = len(model.outputs)
    pieces: list[np.ndarray] = []
    stats: list[np.ndarray] = []  # per sequence: (nout, 6) mean, std, 4 endpoints
    h_total = 0
    per_chunk = 10
    stop_at = None
    while stop_at is None:
        if (h_total + per_chunk) * M > max_trials:
            per_chunk = max_trials // M - h_total
            if per_chunk <= 0:
                break
        y = runner.chunk(per_chunk * M)
        pieces.append(y)
        yb = y.reshape(nout, per_chunk, M)
        st = np.empty((per_chunk, nout, 6))
        for k in range(nout):
            st[:, k, 0] = yb[k].mean(axis=1)
            st[:, k, 1] = yb[k].std(axis=1, ddof=1)
            st[:, k, 2:] = np.stack(_batch_intervals(yb[k], p), axis=1)
        stats.append(st)
        h_total += per_chunk
        allst = np.concatenate(stats)  # (h, nout, 6)
        stop_at = _first_stop(allst, M, ndig)
        per_chunk = min(per_chunk * 2, 100)
    converged = stop_at is not None
    h: int = stop_at if stop_at is not None else h_total
    y = np.concatenate(pieces, axis=1)[:, : h * M]
    info = {
        "adaptive": {
            "converged": converged,
            "sequences": int(h),
            "sequence_length": int(M),
            "ndig": ndig,
        }
    }
    return y, info


def _first_stop(st: np.ndarray, M: int, ndig: int) -> int | None:
    """First h >= 2 at which the JCGM 101 7.9.4 stopping rule holds, or None."""
    h_all = st.shape[0]
    if h_all < 2:
        return None
    st0 = st[:1]
    st = st - st0  # shift: the sums below then suffer no cancellation
    hs = np.arange(1, h_all + 1)[:, None, None]
    csum = np.cumsum(st, axis=0)
    csq = np.cumsum(st * st, axis=0)
    mean = csum / hs
    with np.errstate(invalid="ignore", divide="ignore"):
        var_of_mean = (csq - hs * mean * mean) / (hs * (hs - 1))
    sd = np.sqrt(np.clip(var_of_mean, 0, None))  # (h, nout, 6)
    # u(y) over all h*M values: pooled within- and between-sequence variation
    bmean = st[:, :, 0]
    bvar = (st[:, :, 1] + st0[:, :, 1]) ** 2
    h1 = hs[:, :, 0]
    gm = np.cumsum(bmean, axis=0) / h1
    within = np.cumsum((M - 1) * bvar, axis=0)
    between = M * (np.cumsum(bmean * bmean, axis=0) - h1 * gm * gm)
    u_all = np.sqrt(np.clip((within + between) / (h1 * M - 1), 0, None))
    for h in range(2, h_all + 1):
        ok = True
        for k in range(st.shape[1]):
            delta = tolerance(float(u_all[h - 1, k]), ndig)
            if not np.all(2 * sd[h - 1, k] <= delta):
                ok = False
                break
        if ok:
            return h
    return None
