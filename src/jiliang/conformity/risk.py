"""Specific and global risk of conformity decisions (JCGM 106:2012), and guard-band formulas.

Conventions
-----------
*Global risk* uses the normalised model of JCGM 106:2012 clause 9 as it is used in calibration
(NCSLI RP-18, ANSI/NCSL Z540.3 handbook): the tolerance is ``[-1, +1]``; the property of the
item before measurement (the *process*) is normal, centred at ``bias`` with standard deviation
``sigma_process`` chosen so that ``P(|x| <= 1) = itp`` (in-tolerance probability, also called
EOPR); the measured value is ``y = x + e`` with ``e`` normal, standard deviation
``sigma_m = 1 / (2 * TUR)`` (TUR = tolerance half-width / expanded uncertainty with k = 2); an
item is accepted when ``|y| <= A`` where ``A`` is the *acceptance factor* (acceptance limit as a
fraction of the tolerance half-width; ``A < 1`` is a guard band).

* PFA (global consumer's risk, JCGM 106 9.5.2 eq. (23)): ``P(|x| > 1 and |y| <= A)``.
* PFR (global producer's risk, JCGM 106 9.5.2 eq. (24)): ``P(|x| <= 1 and |y| > A)``.

*Specific risk* (JCGM 106 clause 7) is one minus the conformance probability of one measured
value, for a normal PDF (7.3, 7.4) or for Monte Carlo samples of the output PDF (JCGM 101,
JCGM 106 7.1).

Guard-band formulas (acceptance factor ``A`` as a function of TUR; U = 1/TUR in normalised
units). Checked against the Sandia PSL Uncertainty Calculator documentation
(``suncal/risk/guardband_tur.py`` and the notebook deriving Dobbert's formula) and
M. Dobbert, "Guard banding strategy for managing false accept risk", NCSLI Measure (2008):

* ``rss``: ``A = sqrt(1 - 1/TUR**2)`` i.e. ``A = sqrt(T**2 - U**2)`` (root-sum-square).
* ``u`` ("U subtracted", ILAC-G8 w = U): ``A = 1 - 1/TUR`` i.e. ``A = T - U``.
* ``rp10`` (NCSLI RP-10): ``A = 1.25 - 1/TUR`` for TUR < 4, ``A = 1`` otherwise.
* ``dobbert`` (Z540.3 handbook "method 6", managed guard band):
  ``M2% = 1.04 - exp(0.38 ln(TUR) - 0.54)``, ``A = 1 - M2%/TUR`` (i.e. ``A = T - M2% * U``);
  M depends on TUR only, which is what lets it hold PFA <= 2 % for *any* itp. For
  TUR >= ~4.6, M < 0 and the formula would widen the limits; we keep ``A = 1`` there.
* ``pfa``: ``A`` solved by root finding so that PFA equals a target (JCGM 106 9.4 / 8.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate, optimize, special

from .errors import RiskError

GUARD_BAND_METHODS = ("none", "rss", "u", "rp10", "dobbert", "pfa")

_SQRT2 = math.sqrt(2.0)


def _phi(z):
    """Standard normal CDF (vectorised)."""
    return special.ndtr(z)


def _number(value: Any, field: str) -> float:
    """Convert ``value`` to a finite float or raise :class:`RiskError`."""
    if isinstance(value, bool) or value is None:
        raise RiskError(field, "must be a number", "必须是数值")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise RiskError(field, "must be a number", "必须是数值") from None
    if not math.isfinite(out):
        raise RiskError(field, "must be finite", "必须是有限数值")
    return out


# ---------------------------------------------------------------------------------------------
# Specific risk (JCGM 106 clause 7)
# ---------------------------------------------------------------------------------------------


def _check_limits(limits: Any, field: str = "limits") -> tuple[float | None, float | None]:
    if not isinstance(limits, Sequence) or isinstance(limits, str) or len(limits) != 2:
        raise RiskError(
            field,
            "must be [lower, upper] (one of them may be null)",
            "必须为 [下限, 上限]（其中之一可为 null）",
        )
    lo = None if limits[0] is None else _number(limits[0], f"{field}[0]")
    hi = None if limits[1] is None else _number(limits[1], f"{field}[1]")
    if lo is None and hi is None:
        raise RiskError(field, "at least one limit is required", "至少需要一个限值")
    if lo is not None and hi is not None and not lo < hi:
        raise RiskError(
            field, "lower limit must be less than upper limit (lo < hi)", "下限必须小于上限"
        )
    return lo, hi


def conformance_probability(
    measured: float, u: float, lower: float | None, upper: float | None
) -> float:
    """Conformance probability for a normal PDF of the measurand.

    JCGM 106:2012 7.3 (single limit, eqs. (9)-(10)) and 7.4 (two limits, eq. (11)): with the
    measurand ``Y ~ N(measured, u**2)`` the probability that it lies in the tolerance interval is
    ``p_c = Phi((T_U - y)/u) - Phi((T_L - y)/u)``. A missing limit (``None``) is infinite.

    Parameters
    ----------
    measured : float
        Measured value ``y`` (best estimate).
    u : float
        Standard uncertainty ``u(y) > 0``, same unit as ``measured``.
    lower, upper : float or None
        Tolerance limits ``T_L``, ``T_U``.
    """
    y = _number(measured, "measured")
    su = _number(u, "u")
    if su <= 0:
        raise RiskError("u", "standard uncertainty must be > 0", "标准不确定度必须大于 0")
    lo, hi = _check_limits([lower, upper])
    p_hi = 1.0 if hi is None else float(_phi((hi - y) / su))
    p_lo = 0.0 if lo is None else float(_phi((lo - y) / su))
    # Use the complementary form when both tails are tiny to keep precision.
    return min(1.0, max(0.0, p_hi - p_lo))


def conformance_probability_samples(
    samples: Sequence[float] | np.ndarray, lower: float | None, upper: float | None
) -> float:
    """Conformance probability from Monte Carlo samples of the output PDF.

    JCGM 106:2012 7.1 with the output PDF given by a JCGM 101 (GUM-S1) Monte Carlo run: the
    probability is the fraction of samples inside the tolerance interval (limits inclusive).
    """
    try:
        arr = np.asarray(samples, dtype=float).ravel()
    except (TypeError, ValueError):
        raise RiskError("samples", "must be a list of numbers", "必须是数值列表") from None
    if arr.size < 2:
        raise RiskError("samples", "at least 2 samples are required", "至少需要 2 个样本")
    if not np.all(np.isfinite(arr)):
        raise RiskError("samples", "all samples must be finite", "所有样本必须是有限数值")
    lo, hi = _check_limits([lower, upper])
    inside = np.ones(arr.size, dtype=bool)
    if lo is not None:
        inside &= arr >= lo
    if hi is not None:
        inside &= arr <= hi
    return float(np.count_nonzero(inside) / arr.size)


# ---------------------------------------------------------------------------------------------
# Global risk (JCGM 106 clause 9), normalised model
# ---------------------------------------------------------------------------------------------


def _validate_global(itp: Any, tur: Any, bias: Any) -> tuple[float, float, float]:
    p = _number(itp, "itp")
    if not 0.0 < p < 1.0:
        raise RiskError(
            "itp", "in-tolerance probability must be in (0, 1)", "在用合格概率必须在 (0, 1) 之间"
        )
    t = _number(tur, "tur")
    if t <= 0:
        raise RiskError("tur", "TUR must be > 0", "测试不确定度比 TUR 必须大于 0")
    b = _number(bias, "bias")
    return p, t, b


def _itp_of_sigma(sigma: float, bias: float) -> float:
    return float(_phi((1.0 - bias) / sigma) - _phi((-1.0 - bias) / sigma))


def sigma_process(itp: float, bias: float = 0.0) -> float:
    """Standard deviation of the normal process PDF with ``P(|x| <= 1) = itp``.

    For ``bias = 0`` this is ``1 / Phi^-1((1 + itp)/2)``; otherwise it is found by Brent's
    method. Raises :class:`RiskError` if no normal PDF centred at ``bias`` reaches ``itp``.
    """
    p = _number(itp, "itp")
    if not 0.0 < p < 1.0:
        raise RiskError(
            "itp", "in-tolerance probability must be in (0, 1)", "在用合格概率必须在 (0, 1) 之间"
        )
    b = _number(bias, "bias")
    if b == 0.0:
        return float(1.0 / special.ndtri((1.0 + p) / 2.0))
    b = abs(b)
    # P(|x|<=1) as a function of sigma rises then falls when |b| >= 1; it is decreasing for
    # |b| < 1. Find the maximising sigma first, then the root on the larger-sigma branch.
    if b < 1.0:
        lo_s, hi_s = 1e-9, 1e9
        if _itp_of_sigma(lo_s, b) <= p:
            raise RiskError("itp", "not reachable with this bias", "在该偏移下无法达到该合格概率")
    else:
        res = optimize.minimize_scalar(
            lambda s: -_itp_of_sigma(math.exp(s), b), bounds=(-20, 20), method="bounded"
        )
        lo_s, hi_s = math.exp(res.x), 1e9
        if _itp_of_sigma(lo_s, b) <= p:
            raise RiskError(
                "itp",
                f"not reachable with bias {b:g}: the largest possible in-tolerance probability "
                f"is {_itp_of_sigma(lo_s, b):.4g}",
                f"在偏移 {b:g} 下无法达到；最大可能合格概率为 {_itp_of_sigma(lo_s, b):.4g}",
            )
    return float(
        optimize.brentq(
            lambda s: _itp_of_sigma(s, b) - p, lo_s, hi_s, xtol=1e-15, rtol=1e-14, maxiter=500
        )
    )


def global_risk(
    itp: float, tur: float, acceptance_factor: float = 1.0, bias: float = 0.0
) -> tuple[float, float]:
    """Global PFA and PFR by numerical integration (scipy ``quad``).

    JCGM 106:2012 9.5.2 eqs. (23)-(24) for normal process and measurement PDFs in the
    normalised model described in the module docstring.

    Returns
    -------
    (pfa, pfr) : tuple of float
    """
    p, t, b = _validate_global(itp, tur, bias)
    a = _number(acceptance_factor, "acceptance_factor")
    sp = sigma_process(p, b)
    sm = 1.0 / (2.0 * t)
    if a <= 0:
        return 0.0, p

    def f(x: float) -> float:
        return math.exp(-0.5 * ((x - b) / sp) ** 2) / (sp * math.sqrt(2 * math.pi))

    def p_acc(x: float) -> float:
        return float(_phi((a - x) / sm) - _phi((-a - x) / sm))

    opts = {"epsabs": 1e-14, "epsrel": 1e-11, "limit": 500}
    span_p, span_m = 14.0 * sp, 14.0 * sm
    pfa = 0.0
    up = min(b + span_p, a + span_m)
    if up > 1.0:
        pts = [v for v in (a, b) if 1.0 < v < up] or None
        pfa += integrate.quad(lambda x: f(x) * p_acc(x), 1.0, up, points=pts, **opts)[0]
    low = max(b - span_p, -a - span_m)
    if low < -1.0:
        pts = [v for v in (-a, b) if low < v < -1.0] or None
        pfa += integrate.quad(lambda x: f(x) * p_acc(x), low, -1.0, points=pts, **opts)[0]
    lo_r, hi_r = max(-1.0, b - span_p), min(1.0, b + span_p)
    pfr = 0.0
    if hi_r > lo_r:
        pts = [v for v in (-a, a, b) if lo_r < v < hi_r] or None
        pfr = integrate.quad(lambda x: f(x) * (1.0 - p_acc(x)), lo_r, hi_r, points=pts, **opts)[0]
    return max(pfa, 0.0), max(pfr, 0.0)


def global_risk_pdf(
    process,
    u: float,
    limits,
    acceptance_limits=None,
) -> tuple[float, float]:
    """Global consumer's and producer's risk for any process PDF and a normal measurement.

    JCGM 106:2012 9.5.2 eqs. (23)-(24), evaluated by adaptive quadrature (``scipy.integrate``):
    ``R_C = int_{x not in T} g0(x) P(A | x) dx`` and ``R_P = int_{x in T} g0(x) (1 - P(A | x)) dx``
    with ``P(A | x) = Phi((A_U - x)/u) - Phi((A_L - x)/u)`` (JCGM 106 9.3, normal measurement
    PDF with standard uncertainty ``u`` centred on the true value).

    Parameters
    ----------
    process : frozen ``scipy.stats`` distribution
        Prior (process) PDF ``g0`` of the property, e.g. ``stats.gamma(4, scale=0.25)`` for the
        ball-bearing example of JCGM 106 9.5.4.
    u : float
        Standard measurement uncertainty (> 0).
    limits : [T_L, T_U]
        Tolerance limits; one may be ``None``.
    acceptance_limits : [A_L, A_U], optional
        Defaults to the tolerance limits (no guard band); ``None`` entries are infinite.
    """
    su = _number(u, "u")
    if su <= 0:
        raise RiskError("u", "standard uncertainty must be > 0", "标准不确定度必须大于 0")
    t_lo, t_hi = _check_limits(limits)
    if acceptance_limits is None:
        a_lo, a_hi = t_lo, t_hi
    else:
        a_lo, a_hi = _check_limits(acceptance_limits, "acceptance_limits")
    if not (hasattr(process, "pdf") and hasattr(process, "ppf")):
        raise RiskError(
            "process", "must be a frozen scipy.stats distribution", "必须为 scipy.stats 冻结分布"
        )
    x_min, x_max = float(process.ppf(1e-13)), float(process.isf(1e-13))
    tl = -math.inf if t_lo is None else t_lo
    th = math.inf if t_hi is None else t_hi
    al = -math.inf if a_lo is None else a_lo
    ah = math.inf if a_hi is None else a_hi

    def p_acc(x: float) -> float:
        return float(_phi((ah - x) / su) - _phi((al - x) / su))

    def integral(lo: float, hi: float, fn) -> float:
        lo, hi = max(lo, x_min), min(hi, x_max)
        if not hi > lo:
            return 0.0
        pts = [v for v in (al, ah, tl, th) if lo < v < hi] or None
        return integrate.quad(fn, lo, hi, points=pts, epsabs=1e-14, epsrel=1e-10, limit=500)[0]

    def bad(x):
        return float(process.pdf(x)) * p_acc(x)

    def good(x):
        return float(process.pdf(x)) * (1.0 - p_acc(x))

    pfa = integral(-math.inf, tl, bad) + integral(th, math.inf, bad)
    pfr = integral(tl, th, good)
    return max(pfa, 0.0), max(pfr, 0.0)


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate standard normal CDF ``P(X <= h, Y <= k)``, correlation ``rho`` (|rho| < 1).

    Owen (1956): ``Phi2 = (Phi(h) + Phi(k))/2 - T(h, a_h) - T(k, a_k) - beta`` with
    ``a_h = (k - rho h)/(h sqrt(1 - rho^2))`` and ``beta = 1/2`` when ``h k < 0`` or
    (``h k = 0`` and ``h + k < 0``), else 0. Vectorised with ``scipy.special.owens_t``.
    """
    h = np.where(h == 0.0, 1e-300, h)
    k = np.where(k == 0.0, 1e-300, k)
    s = np.sqrt(1.0 - rho * rho)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_h = (k - rho * h) / (h * s)
        a_k = (h - rho * k) / (k * s)
    beta = np.where(h * k < 0, 0.5, 0.0)
    out = 0.5 * (_phi(h) + _phi(k)) - special.owens_t(h, a_h) - special.owens_t(k, a_k) - beta
    return np.clip(out, 0.0, 1.0)


def _sigma_process_many(itp: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Vectorised :func:`sigma_process` (bisection on log sigma for non-zero bias)."""
    sp = 1.0 / special.ndtri((1.0 + itp) / 2.0)
    nz = bias != 0.0
    if np.any(nz):
        p, b = itp[nz], np.abs(bias[nz])
        if np.any(b >= 1.0):
            raise RiskError(
                "bias", "vectorised evaluation needs |bias| < 1", "批量计算要求 |偏移| < 1"
            )
        lo = np.full(p.shape, math.log(1e-9))
        hi = np.full(p.shape, math.log(1e9))
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            s = np.exp(mid)
            val = _phi((1.0 - b) / s) - _phi((-1.0 - b) / s)
            above = val > p  # still too narrow -> increase sigma
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        sp = sp.copy()
        sp[nz] = np.exp(0.5 * (lo + hi))
    return sp


def _risk_closed(itp, sp, sm, a, bias):
    """PFA, PFR via the bivariate normal rectangle probability (exact, vectorised)."""
    sy = np.sqrt(sp * sp + sm * sm)
    rho = sp / sy

    def cdf(xu, yu):
        return _bvn_cdf((xu - bias) / sp, (yu - bias) / sy, rho)

    a_pos = np.maximum(a, 0.0)
    rect = cdf(1.0, a_pos) - cdf(-1.0, a_pos) - cdf(1.0, -a_pos) + cdf(-1.0, -a_pos)
    p_acc = _phi((a_pos - bias) / sy) - _phi((-a_pos - bias) / sy)
    pfa = np.clip(p_acc - rect, 0.0, 1.0)
    pfr = np.clip(itp - rect, 0.0, 1.0)
    pfa = np.where(a > 0, pfa, 0.0)
    pfr = np.where(a > 0, pfr, itp)
    return pfa, pfr


# ---------------------------------------------------------------------------------------------
# Guard bands
# ---------------------------------------------------------------------------------------------


def dobbert_m2(tur):
    """Dobbert's managed guard band multiplier ``M2% = 1.04 - exp(0.38 ln(TUR) - 0.54)``.

    M. Dobbert, "Guard banding strategy for managing false accept risk", NCSLI Measure 3(4)
    2008; ANSI/NCSL Z540.3 handbook, method 6. Acceptance limit ``A = T - M2% * U``.
    """
    return 1.04 - np.exp(0.38 * np.log(tur) - 0.54)


def acceptance_factor_formula(method: str, tur):
    """Acceptance factor ``A`` (fraction of the tolerance) for a TUR-based guard band.

    Parameters
    ----------
    method : {"none", "rss", "u", "rp10", "dobbert"}
        See the module docstring for each formula and its source.
    tur : float or array
        Test uncertainty ratio (tolerance half-width / expanded uncertainty, k = 2).

    Returns
    -------
    float or ndarray
        ``A`` clipped to ``[0, 1]`` (a formula giving A > 1 means "no guard band needed").
    """
    t = np.asarray(tur, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "none":
            a = np.ones_like(t)
        elif method == "rss":
            a = np.sqrt(np.clip(1.0 - 1.0 / t**2, 0.0, None))
        elif method == "u":
            a = 1.0 - 1.0 / t
        elif method == "rp10":
            a = np.where(t < 4.0, 1.25 - 1.0 / t, 1.0)
        elif method == "dobbert":
            a = 1.0 - dobbert_m2(t) / t
        else:
            raise RiskError(
                "guardband.method",
                f"unknown method {method!r}; use one of {', '.join(GUARD_BAND_METHODS)}",
                f"未知方法 {method!r}；可选 {', '.join(GUARD_BAND_METHODS)}",
            )
    a = np.clip(a, 0.0, 1.0)
    return float(a) if a.ndim == 0 else a


def acceptance_factor_for_pfa(
    itp: float, tur: float, target: float, bias: float = 0.0, allow_relaxed: bool = False
) -> float:
    """Acceptance factor giving a global PFA equal to ``target`` (root finding, Brent).

    JCGM 106:2012 9.4 (choice of acceptance limits to meet a specified risk). PFA increases
    monotonically with ``A``. If the PFA without guard band is already below ``target`` the
    result is ``A = 1`` unless ``allow_relaxed`` (then ``A > 1`` is solved for, a relaxed
    acceptance per JCGM 106 8.3.3).
    """
    p, t, b = _validate_global(itp, tur, bias)
    tgt = _number(target, "guardband.target")
    if not 0.0 < tgt < 1.0:
        raise RiskError(
            "guardband.target", "target PFA must be in (0, 1)", "目标误判接受概率必须在 (0, 1) 之间"
        )
    sp = sigma_process(p, b)
    sm = 1.0 / (2.0 * t)

    def pfa_of(a: float) -> float:
        return float(_risk_closed(p, sp, sm, np.asarray(a), b)[0])

    if pfa_of(1.0) <= tgt:
        if not allow_relaxed:
            return 1.0
        hi = 1.0 + 20.0 * sm
        if pfa_of(hi) <= tgt:
            return hi
        return float(optimize.brentq(lambda a: pfa_of(a) - tgt, 1.0, hi, xtol=1e-14))
    return float(
        optimize.brentq(lambda a: pfa_of(a) - tgt, 0.0, 1.0, xtol=1e-14, rtol=1e-14, maxiter=500)
    )


def global_risk_many(
    itp,
    tur,
    bias=0.0,
    acceptance_factor=None,
    method: str = "none",
    target: float = 0.02,
) -> dict[str, np.ndarray]:
    """Vectorised global PFA and PFR for many instruments.

    Uses the exact bivariate-normal rectangle probability (Owen's T function) instead of
    quadrature, so 10^5 instruments take well under a second; it agrees with
    :func:`global_risk` to ~1e-12.

    Parameters
    ----------
    itp, tur, bias : array_like
        Broadcast together; ``itp`` in (0, 1), ``tur > 0``; ``|bias| < 1``.
    acceptance_factor : array_like, optional
        If given it overrides ``method``.
    method : str
        Guard-band method, one of :data:`GUARD_BAND_METHODS`.
    target : float
        Target PFA for ``method="pfa"`` (vectorised bisection, 60 steps, |dA| < 1e-18).

    Returns
    -------
    dict with arrays ``pfa``, ``pfr``, ``acceptance_factor``, ``sigma_process``.
    """
    a_in = 1.0 if acceptance_factor is None else acceptance_factor
    try:
        p, t, b, a_b = np.broadcast_arrays(
            np.asarray(itp, float),
            np.asarray(tur, float),
            np.asarray(bias, float),
            np.asarray(a_in, float),
        )
    except (TypeError, ValueError):
        raise RiskError(
            "itp",
            "itp, tur, bias and acceptance_factor must be numbers with compatible shapes",
            "itp、tur、bias、acceptance_factor 必须为数值且形状兼容",
        ) from None
    p, t, b, a_b = (np.array(v, dtype=float).ravel() for v in (p, t, b, a_b))
    if not (np.all(np.isfinite(p)) and np.all((p > 0) & (p < 1))):
        raise RiskError(
            "itp", "in-tolerance probability must be in (0, 1)", "在用合格概率必须在 (0, 1) 之间"
        )
    if not (np.all(np.isfinite(t)) and np.all(t > 0)):
        raise RiskError("tur", "TUR must be > 0", "测试不确定度比 TUR 必须大于 0")
    if not np.all(np.isfinite(b)):
        raise RiskError("bias", "must be finite", "必须是有限数值")
    sp = _sigma_process_many(p, b)
    sm = 1.0 / (2.0 * t)
    if acceptance_factor is not None:
        if not np.all(np.isfinite(a_b)):
            raise RiskError("acceptance_factor", "must be finite", "必须是有限数值")
        a = a_b
    elif method == "pfa":
        tgt = _number(target, "guardband.target")
        if not 0.0 < tgt < 1.0:
            raise RiskError(
                "guardband.target",
                "target PFA must be in (0, 1)",
                "目标误判接受概率必须在 (0, 1) 之间",
            )
        lo, hi = np.zeros_like(p), np.ones_like(p)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            too_risky = _risk_closed(p, sp, sm, mid, b)[0] > tgt
            hi = np.where(too_risky, mid, hi)
            lo = np.where(too_risky, lo, mid)
        a = np.where(_risk_closed(p, sp, sm, np.ones_like(p), b)[0] <= tgt, 1.0, 0.5 * (lo + hi))
    else:
        a = np.asarray(acceptance_factor_formula(method, t), float) * np.ones_like(p)
    pfa, pfr = _risk_closed(p, sp, sm, a, b)
    return {"pfa": pfa, "pfr": pfr, "acceptance_factor": a, "sigma_process": sp}


# ---------------------------------------------------------------------------------------------
# Document interface (CLI `jiliang risk evaluate`, POST /api/v1/risk/evaluate)
# ---------------------------------------------------------------------------------------------

_GLOBAL_KEYS = {"itp", "tur", "bias", "guardband"}
_SPECIFIC_KEYS = {"measured", "u", "limits", "samples", "k", "rule"}


def _evaluate_global(doc: dict) -> dict:
    unknown = set(doc) - _GLOBAL_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise RiskError(name, "unknown field in a global-risk document", "全局风险文档中的未知字段")
    if "itp" not in doc:
        raise RiskError("itp", "is required", "为必填项")
    if "tur" not in doc:
        raise RiskError("tur", "is required", "为必填项")
    p, t, b = _validate_global(doc["itp"], doc["tur"], doc.get("bias", 0.0))
    gb = doc.get("guardband") or {"method": "none"}
    if not isinstance(gb, dict):
        raise RiskError(
            "guardband", "must be an object {method, target}", "必须为对象 {method, target}"
        )
    extra = set(gb) - {"method", "target", "allow_relaxed"}
    if extra:
        raise RiskError(f"guardband.{sorted(extra)[0]}", "unknown field", "未知字段")
    method = gb.get("method", "none")
    if method not in GUARD_BAND_METHODS:
        raise RiskError(
            "guardband.method",
            f"unknown method {method!r}; use one of {', '.join(GUARD_BAND_METHODS)}",
            f"未知方法 {method!r}；可选 {', '.join(GUARD_BAND_METHODS)}",
        )
    sp = sigma_process(p, b)
    result: dict[str, Any] = {
        "kind": "global",
        "itp": p,
        "tur": t,
        "bias": b,
        "sigma_process": sp,
        "sigma_measurement": 1.0 / (2.0 * t),
        "method": method,
    }
    if method == "pfa":
        target = gb.get("target", 0.02)
        a = acceptance_factor_for_pfa(p, t, target, b, bool(gb.get("allow_relaxed", False)))
        result["target"] = float(target)
    else:
        if method in ("rss", "u") and t <= 1.0:
            raise RiskError(
                "tur",
                f"guard band method {method!r} needs TUR > 1",
                f"保护带方法 {method!r} 要求 TUR > 1",
            )
        a = float(acceptance_factor_formula(method, t))
        if method == "dobbert":
            result["dobbert_m2"] = float(dobbert_m2(t))
    pfa, pfr = global_risk(p, t, a, b)
    result.update(
        {
            "acceptance_factor": a,
            "guard_band": 1.0 - a,
            "acceptance_limits": [-a, a],
            "pfa": pfa,
            "pfr": pfr,
            "pfa_no_guard_band": global_risk(p, t, 1.0, b)[0] if a != 1.0 else pfa,
            "units": "fractions of the tolerance half-width; probabilities in [0, 1]",
        }
    )
    return result


def _evaluate_specific(doc: dict) -> dict:
    unknown = set(doc) - _SPECIFIC_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise RiskError(
            name, "unknown field in a specific-risk document", "特定风险文档中的未知字段"
        )
    if "limits" not in doc:
        raise RiskError("limits", "is required", "为必填项")
    lo, hi = _check_limits(doc["limits"])
    result: dict[str, Any] = {"kind": "specific", "limits": [lo, hi]}
    if "samples" in doc:
        if "measured" in doc or "u" in doc:
            raise RiskError(
                "samples",
                "give either samples or measured and u, not both",
                "样本与 measured/u 只能二选一",
            )
        pc = conformance_probability_samples(doc["samples"], lo, hi)
        arr = np.asarray(doc["samples"], dtype=float)
        result.update(
            {
                "pdf": "monte_carlo",
                "n_samples": int(arr.size),
                "mean": float(arr.mean()),
                "std": float(arr.std(ddof=1)),
            }
        )
    else:
        if "measured" not in doc:
            raise RiskError("measured", "is required (or give samples)", "为必填项（或提供样本）")
        if "u" not in doc:
            raise RiskError("u", "is required", "为必填项")
        pc = conformance_probability(doc["measured"], doc["u"], lo, hi)
        result.update({"pdf": "normal", "measured": float(doc["measured"]), "u": float(doc["u"])})
    result["conformance_probability"] = pc
    result["specific_risk"] = 1.0 - pc
    if "rule" in doc:
        from .rules import DecisionRule, decide

        if "measured" not in doc:
            raise RiskError(
                "rule", "a decision rule needs measured and u", "判定规则需要 measured 与 u"
            )
        rule = DecisionRule.from_dict(doc["rule"])
        k = _number(doc.get("k", rule.coverage_factor), "k")
        if k <= 0:
            raise RiskError("k", "coverage factor must be > 0", "包含因子必须大于 0")
        decision = decide(doc["measured"], k * float(doc["u"]), [lo, hi], rule)
        result["decision"] = decision.to_dict()
    return result


def evaluate_risk(doc: dict) -> dict:
    """Evaluate a risk document (the exact interface of issue 4).

    Global risk::

        {"itp": 0.95, "tur": 4, "bias": 0,
         "guardband": {"method": "none|rss|u|rp10|dobbert|pfa", "target": 0.02}}

    returns ``pfa``, ``pfr``, ``acceptance_factor`` and ``guard_band``, ``sigma_process``,
    ``method`` ... (see the module docstring for the model).

    Specific risk::

        {"measured": x, "u": u, "limits": [lo, hi]}      # normal PDF, u standard uncertainty
        {"samples": [...], "limits": [lo, null]}          # Monte Carlo output PDF

    returns ``conformance_probability`` (JCGM 106 clause 7) and ``specific_risk``. An optional
    ``"rule"`` (a :class:`~jiliang.conformity.rules.DecisionRule` dict) with ``"k"`` adds the
    ILAC-G8 verdict.

    Raises
    ------
    RiskError
        On any bad input, naming the field and the rule.
    """
    if not isinstance(doc, dict):
        raise RiskError("document", "must be a JSON object", "必须是 JSON 对象")
    is_global = bool(_GLOBAL_KEYS & set(doc))
    is_specific = bool({"measured", "samples", "limits"} & set(doc))
    if is_global and is_specific:
        raise RiskError(
            "document",
            "mixes global (itp, tur) and specific (measured, limits) fields",
            "混合了全局（itp, tur）与特定（measured, limits）字段",
        )
    if is_global:
        return _evaluate_global(doc)
    if is_specific:
        return _evaluate_specific(doc)
    raise RiskError(
        "document",
        "needs itp and tur (global risk) or measured, u and limits (specific risk)",
        "需要 itp 与 tur（全局风险）或 measured、u、limits（特定风险）",
    )
