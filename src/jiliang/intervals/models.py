"""Reliability models and binomial maximum-likelihood fitting for NCSLI RP-1 method S2.

The models are those of NCSLI RP-1 (Establishment and Adjustment of Calibration Intervals),
Appendix D, written for a scaled time ``tau = t / t_scale`` so that parameters are of order 1:

================================  ===============================================================
name                              R(tau)
================================  ===============================================================
``exponential``                   ``exp(-a tau)``
``weibull``                       ``exp(-(a tau)**b)``
``mixed_exponential``             ``(1 + a tau)**(-b)``
``random_walk``                   ``2 Phi(1 / sqrt(a + b tau)) - 1``
``restricted_random_walk``        ``2 Phi(1 / sqrt(a + b (1 - exp(-c tau)))) - 1``
``modified_gamma``                ``exp(-a tau) sum_{n=0..3} (a tau)**n / n!``
``mortality_drift``               ``exp(-(a tau + b tau**2))``
``warranty``                      ``1 / (1 + exp(a (tau - b)))``
``drift``                         ``Phi(a + c tau) + Phi(b - c tau) - 1``
``lognormal``                     ``1 - Phi(ln(a tau) / b)``
================================  ===============================================================

All parameters are positive; the optimiser works on their logarithms. Data are grouped by
resubmission time: group ``i`` has time ``t_i``, ``n_i`` calibrations and ``g_i`` found in
tolerance; the binomial log-likelihood is
``sum g_i ln R(t_i) + (n_i - g_i) ln(1 - R(t_i))`` (RP-1 method S2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

_EPS = 1e-12


def _phi(z):
    return special.ndtr(z)


def _r_exp(tau, p):
    return np.exp(-p[0] * tau)


def _r_weibull(tau, p):
    return np.exp(-((p[0] * tau) ** p[1]))


def _r_mixed(tau, p):
    return (1.0 + p[0] * tau) ** (-p[1])


def _r_walk(tau, p):
    return 2.0 * _phi(1.0 / np.sqrt(p[0] + p[1] * tau)) - 1.0


def _r_rwalk(tau, p):
    return 2.0 * _phi(1.0 / np.sqrt(p[0] + p[1] * (1.0 - np.exp(-p[2] * tau)))) - 1.0


def _r_mgamma(tau, p):
    x = p[0] * tau
    return np.exp(-x) * (1.0 + x + x * x / 2.0 + x**3 / 6.0)


def _r_mortality(tau, p):
    return np.exp(-(p[0] * tau + p[1] * tau * tau))


def _r_warranty(tau, p):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(p[0] * (tau - p[1])))


def _r_drift(tau, p):
    return _phi(p[0] + p[2] * tau) + _phi(p[1] - p[2] * tau) - 1.0


def _r_lognormal(tau, p):
    with np.errstate(divide="ignore"):
        return 1.0 - _phi(np.log(p[0] * tau) / p[1])


@dataclass(frozen=True)
class ReliabilityModel:
    """A reliability model ``R(tau; theta)`` with a rule for starting values."""

    name: str
    n_params: int
    func: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str

    def reliability(self, tau, params) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.func(np.asarray(tau, float), np.asarray(params, float)), float)


MODELS: dict[str, ReliabilityModel] = {
    m.name: m
    for m in (
        ReliabilityModel("exponential", 1, _r_exp, "exp(-a*tau)"),
        ReliabilityModel("weibull", 2, _r_weibull, "exp(-(a*tau)**b)"),
        ReliabilityModel("mixed_exponential", 2, _r_mixed, "(1 + a*tau)**(-b)"),
        ReliabilityModel("random_walk", 2, _r_walk, "2*Phi(1/sqrt(a + b*tau)) - 1"),
        ReliabilityModel(
            "restricted_random_walk",
            3,
            _r_rwalk,
            "2*Phi(1/sqrt(a + b*(1 - exp(-c*tau)))) - 1",
        ),
        ReliabilityModel("modified_gamma", 1, _r_mgamma, "exp(-a*tau)*sum((a*tau)**n/n!, n=0..3)"),
        ReliabilityModel("mortality_drift", 2, _r_mortality, "exp(-(a*tau + b*tau**2))"),
        ReliabilityModel("warranty", 2, _r_warranty, "1/(1 + exp(a*(tau - b)))"),
        ReliabilityModel("drift", 3, _r_drift, "Phi(a + c*tau) + Phi(b - c*tau) - 1"),
        ReliabilityModel("lognormal", 2, _r_lognormal, "1 - Phi(ln(a*tau)/b)"),
    )
}


def _starts(name: str, rbar: float, lam: float) -> list[list[float]]:
    """Starting parameter vectors matching ``R(1) ~ rbar`` (tau = 1 is the typical interval)."""
    z = float(special.ndtri((1.0 + rbar) / 2.0))
    if name == "exponential":
        return [[lam]]
    if name == "weibull":
        return [[lam, 1.0], [lam ** (1 / 2.0), 2.0]]
    if name == "mixed_exponential":
        return [[1.0, lam / math.log(2.0)], [0.2, lam / math.log(1.2)]]
    if name == "random_walk":
        return [[0.1 / z**2, 0.9 / z**2], [0.5 / z**2, 0.5 / z**2]]
    if name == "restricted_random_walk":
        return [[0.1 / z**2, 1.4 / z**2, 1.0], [0.3 / z**2, 3.0 / z**2, 0.3]]
    if name == "modified_gamma":
        a = optimize.brentq(lambda a: _r_mgamma(1.0, [a]) - rbar, 1e-6, 200.0)
        return [[a]]
    if name == "mortality_drift":
        return [[lam / 2.0, lam / 2.0], [lam * 0.9, lam * 0.1]]
    if name == "warranty":
        a = 3.0
        return [[a, max(1.0 - math.log(1.0 / rbar - 1.0) / a, 0.05)], [8.0, 1.0 + 0.3]]
    if name == "drift":
        c = max(3.0 - float(special.ndtri(rbar)), 0.1)
        return [[3.0, 3.0, c]]
    if name == "lognormal":
        return [[math.exp(float(special.ndtri(1.0 - rbar))), 1.0], [1.0, 2.0]]
    raise KeyError(name)  # pragma: no cover


@dataclass
class FitResult:
    """Outcome of fitting one model to grouped data."""

    model: str
    params: np.ndarray
    loglik: float
    ok: bool
    rejection_confidence: float  # F-test (RP-1 S2); nan if not testable (groups <= params)
    f_statistic: float
    dof: tuple[int, int]


def group_data(t: np.ndarray, n: np.ndarray, g: np.ndarray):
    """Sort and return grouped arrays as float."""
    order = np.argsort(t)
    return t[order].astype(float), n[order].astype(float), g[order].astype(float)


def _nll(model: ReliabilityModel, raw, tau, n, g) -> float:
    p = np.exp(np.minimum(np.maximum(raw, -30.0), 30.0))
    with np.errstate(all="ignore"):
        r = model.func(tau, p)
    r = np.minimum(np.maximum(r, _EPS), 1.0 - _EPS)
    out = -(g * np.log(r) + (n - g) * np.log1p(-r)).sum()
    return float(out) if out == out else 1e300  # NaN -> huge


def fit_model(name: str, tau: np.ndarray, n: np.ndarray, g: np.ndarray) -> FitResult:
    """Binomial maximum-likelihood fit of one model (Nelder-Mead on log-parameters),
    followed by RP-1's lack-of-fit F-test.

    The F statistic compares the lack-of-fit mean square
    ``sum n_i (p_i - R(t_i))**2 / (k - m)`` with the pure-error mean square
    ``sum n_i p_i (1 - p_i) / (N - k)`` where ``p_i = g_i / n_i``; the rejection confidence is
    the F(k - m, N - k) CDF at the statistic. When the pure error is zero (every group all in or
    all out of tolerance) the deviance is compared with chi-square(k - m) instead.
    """
    model = MODELS[name]
    total_n, total_g = n.sum(), g.sum()
    rbar = float(np.clip(total_g / total_n, 0.05, 0.995))
    tbar = float((n * tau).sum() / total_n)
    lam = -math.log(rbar) / tbar
    best = None
    for start in _starts(name, rbar, lam):
        x0 = np.log(np.asarray(start, float))
        if name == "exponential" or name == "modified_gamma":
            res = optimize.minimize_scalar(
                lambda v: _nll(model, np.array([v]), tau, n, g),
                bracket=(x0[0] - 1.0, x0[0] + 1.0),
            )
            x, fun = np.array([res.x]), float(res.fun)
        else:
            res = optimize.minimize(
                lambda v: _nll(model, v, tau, n, g),
                x0,
                method="Nelder-Mead",
                options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 300 * len(x0)},
            )
            x, fun = res.x, float(res.fun)
        if best is None or fun < best[1]:
            best = (x, fun)
    assert best is not None
    params = np.exp(np.clip(best[0], -30.0, 30.0))
    r = model.reliability(tau, params)
    ok = bool(np.all(np.isfinite(r)) and best[1] < 1e299)
    k, m, big_n = len(tau), model.n_params, int(total_n)
    dof_l, dof_e = k - m, big_n - k
    cr, fstat = float("nan"), float("nan")
    if ok and dof_l > 0:
        p_obs = g / n
        ssl = float((n * (p_obs - r) ** 2).sum())
        sse = float((n * p_obs * (1.0 - p_obs)).sum())
        if dof_e > 0 and sse > 0:
            fstat = (ssl / dof_l) / (sse / dof_e)
            cr = float(stats.f.cdf(fstat, dof_l, dof_e))
        else:
            rc = np.clip(r, _EPS, 1 - _EPS)
            with np.errstate(divide="ignore", invalid="ignore"):
                dev = 2.0 * np.nansum(
                    np.where(g > 0, g * np.log(g / (n * rc)), 0.0)
                    + np.where(n - g > 0, (n - g) * np.log((n - g) / (n * (1 - rc))), 0.0)
                )
            fstat = float(dev)
            cr = float(stats.chi2.cdf(dev, dof_l))
    return FitResult(name, params, -best[1], ok, cr, fstat, (dof_l, dof_e))


def solve_interval(name: str, params, target: float, tau_max: float = 100.0) -> float:
    """Smallest ``tau`` with ``R(tau) = target`` (``inf`` if R stays above target up to
    ``tau_max``; 0 if R(0+) is already below the target)."""
    model = MODELS[name]
    grid = np.geomspace(1e-4, tau_max, 400)
    r = model.reliability(grid, params) - target
    below = np.nonzero(r < 0)[0]
    if below.size == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return 0.0
    return float(
        optimize.brentq(
            lambda x: float(model.reliability(x, params)) - target, grid[i - 1], grid[i]
        )
    )
