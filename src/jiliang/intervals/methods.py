"""Calibration-interval methods: OIML D 10 method 1, NCSLI RP-1 methods A3 and S2.

Sources (methods as described; no peer implementation copied):

* OIML D 10:2007 / ILAC-G24:2007 "Guidelines for the determination of calibration intervals of
  measuring instruments", method 1 ("automatic adjustment" or "staircase"): after each routine
  calibration the next interval is extended if the instrument was found within tolerance and
  reduced if not.
* NCSLI RP-1 "Establishment and adjustment of calibration intervals": method A1 (simple
  response, the same staircase, whose extension and reduction factors are linked to the
  reliability target), method A3 (interval test) and method S2 (binomial maximum likelihood
  fitting of reliability models, with model selection by a lack-of-fit F-test).
* JJF 1139 (计量器具检定周期确定原则和方法): reliability target, default 90 %.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from .history import HistoryError, HistoryRow, validate_rows
from .models import MODELS, fit_model, solve_interval

METHODS = ("m1", "a3", "s2")

METHOD_NAMES = {
    "m1": ("阶梯调整法（OIML D 10 方法 1）", "Staircase (OIML D 10 method 1)"),
    "a3": ("区间检验法（NCSLI RP-1 A3）", "Interval test (NCSLI RP-1 method A3)"),
    "s2": ("二项最大似然法（NCSLI RP-1 S2）", "Binomial maximum likelihood (NCSLI RP-1 method S2)"),
}


def _opt(options: Mapping[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    v = options.get(key, default)
    if isinstance(v, bool):
        raise HistoryError(key, None, "must be a number", "必须为数值")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise HistoryError(key, None, "must be a number", "必须为数值") from None
    if not (math.isfinite(f) and lo <= f <= hi):
        raise HistoryError(
            key, None, f"must be in [{lo:g}, {hi:g}]", f"必须在 [{lo:g}, {hi:g}] 之间"
        )
    return f


def _summary(rows: list[HistoryRow]) -> dict[str, Any]:
    n = len(rows)
    g = sum(r.in_tolerance for r in rows)
    return {
        "calibrations": n,
        "in_tolerance": g,
        "out_of_tolerance": n - g,
        "observed_reliability": g / n,
        "instruments": len({r.instrument for r in rows}),
        "interval_range_days": [
            min(r.interval_days for r in rows),
            max(r.interval_days for r in rows),
        ],
        "date_range": [
            min(r.calibration_date for r in rows).isoformat(),
            max(r.calibration_date for r in rows).isoformat(),
        ],
    }


def _groups(rows: list[HistoryRow], max_groups: int) -> list[dict[str, float]]:
    """Group results by resubmission time (interval). With more distinct intervals than
    ``max_groups`` they are binned by quantiles; a group's time is its mean interval."""
    t = np.array([r.interval_days for r in rows], float)
    ok = np.array([r.in_tolerance for r in rows], bool)
    uniq = np.unique(t)
    if uniq.size <= max_groups:
        labels = np.searchsorted(uniq, t)
        k = uniq.size
    else:
        edges = np.unique(np.quantile(t, np.linspace(0, 1, max_groups + 1)))
        labels = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, edges.size - 2)
        k = edges.size - 1
    out = []
    for i in range(k):
        sel = labels == i
        if not np.any(sel):
            continue
        n = int(sel.sum())
        g = int(ok[sel].sum())
        out.append(
            {"interval_days": float(t[sel].mean()), "n": n, "in_tolerance": g, "reliability": g / n}
        )
    return out


def _action(current: float, new: float) -> str:
    if new > current * 1.005:
        return "lengthen"
    if new < current * 0.995:
        return "shorten"
    return "keep"


def _clamp(days: float, lo: float, hi: float) -> float:
    return min(max(days, lo), hi)


# ---------------------------------------------------------------------------------------------
# OIML D 10 method 1 (staircase)
# ---------------------------------------------------------------------------------------------


def staircase_factors(target: float, reduce: float = 0.5) -> tuple[float, float]:
    """Extension ``a`` and reduction ``b`` factors of the staircase (I' = I(1+a) or I(1-b)).

    OIML D 10 method 1 leaves the factors to the laboratory; following NCSLI RP-1 method A1 we
    choose ``a`` so that the interval is in equilibrium (zero expected change of ln I) when the
    in-tolerance probability equals the target:
    ``R ln(1 + a) + (1 - R) ln(1 - b) = 0``, i.e. ``a = (1 - b)**(-(1 - R)/R) - 1``.
    For R = 0.9, b = 0.5 this gives a = 0.080.
    """
    return (1.0 - reduce) ** (-(1.0 - target) / target) - 1.0, reduce


def method1(rows: list[HistoryRow], target: float, options: Mapping[str, Any]) -> dict[str, Any]:
    """OIML D 10 / ILAC-G24 method 1 applied per instrument."""
    reduce = _opt(options, "reduce", 0.5, 0.01, 0.95)
    if "extend" in options:
        extend = _opt(options, "extend", 0.1, 0.0, 10.0)
    else:
        extend, _ = staircase_factors(target, reduce)
    min_days = _opt(options, "min_days", 7.0, 1.0, 36500.0)
    max_days = _opt(options, "max_days", 3650.0, min_days, 36500.0)
    by_inst: dict[str, list[HistoryRow]] = defaultdict(list)
    for r in rows:
        by_inst[r.instrument].append(r)
    per: list[dict[str, Any]] = []
    for inst, hist in sorted(by_inst.items()):
        hist.sort(key=lambda r: r.calibration_date)
        # staircase path: the interval the rule would have assigned after each result
        path = []
        current = hist[0].interval_days
        for r in hist:
            base = r.interval_days
            nxt = base * (1.0 + extend) if r.in_tolerance else base * (1.0 - reduce)
            nxt = _clamp(nxt, min_days, max_days)
            path.append(
                {
                    "calibration_date": r.calibration_date.isoformat(),
                    "interval_days": r.interval_days,
                    "in_tolerance": r.in_tolerance,
                    "next_interval_days": nxt,
                }
            )
            current = nxt
        last = hist[-1]
        per.append(
            {
                "instrument": inst,
                "calibrations": len(hist),
                "in_tolerance": sum(r.in_tolerance for r in hist),
                "last_interval_days": last.interval_days,
                "last_in_tolerance": last.in_tolerance,
                "recommended_interval_days": int(round(current)),
                "action": _action(last.interval_days, current),
                "path": path,
            }
        )
    rec = [p["recommended_interval_days"] for p in per]
    single = len(per) == 1
    recommended = rec[0] if single else int(round(statistics.median(rec)))
    current_iv = (
        per[0]["last_interval_days"]
        if single
        else statistics.median(p["last_interval_days"] for p in per)
    )
    return {
        "recommended_interval_days": recommended,
        "current_interval_days": current_iv,
        "action": _action(current_iv, recommended),
        "confidence": None,
        "factors": {"extend": extend, "reduce": reduce},
        "per_instrument": per,
        "notes_en": [
            "Method 1 is a per-instrument rule without a statistical confidence."
            + ("" if single else " The top-level value is the median over instruments."),
        ],
        "notes_zh": [
            "方法 1 按单台器具调整，不给出统计置信度。"
            + ("" if single else "总体推荐值为各器具推荐值的中位数。"),
        ],
        "plot": {
            "kind": "staircase",
            "series": [
                {
                    "instrument": p["instrument"],
                    "points": [
                        {
                            "date": s["calibration_date"],
                            "interval_days": s["interval_days"],
                            "in_tolerance": s["in_tolerance"],
                        }
                        for s in p["path"]
                    ],
                }
                for p in per
            ],
        },
    }


# ---------------------------------------------------------------------------------------------
# NCSLI RP-1 method A3 (interval test)
# ---------------------------------------------------------------------------------------------


def binomial_bounds(g: int, n: int, confidence: float) -> tuple[float, float]:
    """One-sided Clopper-Pearson bounds (lower, upper) of a reliability g/n at ``confidence``."""
    alpha = 1.0 - confidence
    lower = 0.0 if g == 0 else float(stats.beta.ppf(alpha, g, n - g + 1))
    upper = 1.0 if g == n else float(stats.beta.ppf(1.0 - alpha, g + 1, n - g))
    return lower, upper


def method_a3(rows: list[HistoryRow], target: float, options: Mapping[str, Any]) -> dict[str, Any]:
    """NCSLI RP-1 method A3: test the observed reliability at the current interval against the
    target and adjust the interval when the difference is significant.

    Procedure
    ---------
    1. The current interval ``I`` is the interval of the most recent calibration. The sample is
       every result whose interval lies within ``window`` (default ±20 %) of ``I``.
    2. With ``n`` results and ``g`` in tolerance, ``R_obs = g/n``. One-sided binomial
       (Clopper-Pearson) bounds at ``confidence`` (default 0.90) are computed.
    3. Significantly high (lower bound > target): lengthen. Significantly low (upper bound <
       target): shorten. Otherwise keep ``I``. The test is on the reliability, so an interval
       is lengthened when it is significantly above target even if some calibrations failed.
    4. Adjustment by the exponential model ``R(t) = exp(-lambda t)`` fitted to ``R_obs``:
       ``I' = I ln(target) / ln(R_est)``, where ``R_est = R_obs``, or the lower bound when all
       results passed (``R_obs = 1`` carries no rate information). The factor is limited to
       ``[min_factor, max_factor]`` (default 0.5, 2).

    The reported ``confidence`` is one minus the p-value of the one-sided binomial test of
    "R = target" in the direction of the observation; the interval changes only when it
    exceeds the ``confidence`` level.
    """
    conf = _opt(options, "confidence", 0.90, 0.5, 0.999)
    window = _opt(options, "window", 0.2, 0.0, 1.0)
    max_factor = _opt(options, "max_factor", 2.0, 1.0, 10.0)
    min_factor = _opt(options, "min_factor", 0.5, 0.05, 1.0)
    ordered = sorted(rows, key=lambda r: r.calibration_date)
    current = ordered[-1].interval_days
    sample = [r for r in rows if abs(r.interval_days - current) <= window * current + 1e-9]
    n = len(sample)
    g = sum(r.in_tolerance for r in sample)
    r_obs = g / n
    lower, upper = binomial_bounds(g, n, conf)
    # p-values of the one-sided binomial tests of H0: R = target
    p_high = float(stats.binom.sf(g - 1, n, target))  # P(X >= g)
    p_low = float(stats.binom.cdf(g, n, target))  # P(X <= g)
    if lower > target:
        decision = "lengthen"
        r_est = r_obs if g < n else lower
        factor = math.log(target) / math.log(r_est)
        confidence = 1.0 - p_high
    elif upper < target:
        decision = "shorten"
        r_est = max(r_obs, 1e-9)
        factor = math.log(target) / math.log(r_est) if r_est < 1 else 1.0
        confidence = 1.0 - p_low
    else:
        decision = "keep"
        r_est = r_obs
        factor = 1.0
        confidence = 1.0 - (p_high if r_obs >= target else p_low)
    factor = min(max(factor, min_factor), max_factor)
    new = current * factor
    min_days = _opt(options, "min_days", 1.0, 1.0, 36500.0)
    max_days = _opt(options, "max_days", 3650.0, min_days, 36500.0)
    new = _clamp(new, min_days, max_days)
    groups = _groups(rows, 12)
    return {
        "recommended_interval_days": int(round(new)),
        "current_interval_days": current,
        "action": _action(current, new) if decision != "keep" else "keep",
        "confidence": confidence,
        "test": {
            "sample_calibrations": n,
            "sample_in_tolerance": g,
            "observed_reliability": r_obs,
            "confidence_level": conf,
            "lower_bound": lower,
            "upper_bound": upper,
            "p_value_above_target": p_high,
            "p_value_below_target": p_low,
            "decision": decision,
            "reliability_used": r_est,
            "factor": factor,
            "window": window,
        },
        "notes_en": [
            f"Observed reliability {r_obs:.3f} at {current:g} d (n = {n}); {conf:.0%} bounds "
            f"[{lower:.3f}, {upper:.3f}] vs target {target:g}: {decision}."
        ],
        "notes_zh": [
            f"当前周期 {current:g} 天下观测可靠度 {r_obs:.3f}（n = {n}）；{conf:.0%} 置信界 "
            f"[{lower:.3f}, {upper:.3f}]，目标 {target:g}：{_ZH_ACTION[decision]}。"
        ],
        "plot": {
            "kind": "reliability",
            "observed": groups,
            "test_point": {
                "interval_days": current,
                "reliability": r_obs,
                "lower": lower,
                "upper": upper,
            },
            "curve": [
                {"interval_days": float(t), "reliability": float(r_est ** (t / current))}
                for t in np.linspace(0.0, max(current, new) * 1.5, 41)
            ],
        },
    }


_ZH_ACTION = {"lengthen": "延长", "shorten": "缩短", "keep": "保持"}


# ---------------------------------------------------------------------------------------------
# NCSLI RP-1 method S2 (binomial maximum likelihood)
# ---------------------------------------------------------------------------------------------


def fit_s2(
    t_days,
    n,
    g,
    target: float,
    reject_confidence: float = 0.95,
    models: Iterable[str] | None = None,
    max_extrapolation: float = 2.0,
    t_scale: float | None = None,
    selection: str = "rejection",
) -> dict[str, Any]:
    """NCSLI RP-1 method S2 on grouped data (resubmission time, count, in-tolerance count).

    1. Every model of :data:`jiliang.intervals.models.MODELS` (or ``models``) is fitted by
       binomial maximum likelihood.
    2. Each fit gets RP-1's lack-of-fit F-test; its CDF value is the *rejection confidence*.
       Models rejected at ``reject_confidence`` (default 0.95) are set aside; among the rest
       the one with the lowest rejection confidence is chosen (ties: fewer parameters, then
       higher likelihood). If every model is rejected the best is still reported, flagged.
       Models with no degrees of freedom left for the test (groups <= parameters) are used
       only when no model can be tested (then the exponential model is chosen). A model with
       ``R(0+) < target`` (interval 0) is never chosen.
       With ``selection="aicc"`` the non-rejected model with the lowest corrected Akaike
       criterion is chosen instead (not RP-1; in ``bench/intervals.py`` it is slightly more
       accurate on synthetic Weibull data).
    3. The interval solves ``R(t) = target``; extrapolation beyond ``max_extrapolation`` times
       the longest observed interval is capped.

    Parameters
    ----------
    t_days, n, g : array_like
        Group resubmission times (any time unit, e.g. days or weeks), number of calibrations
        and number found in tolerance.

    Returns
    -------
    dict with ``interval`` (same unit as ``t_days``, not rounded), ``model`` (chosen fit),
    ``models`` (every fit with its own interval), ``capped``, ``testable``.
    """
    t = np.asarray(t_days, float)
    n_arr = np.asarray(n, float)
    g_arr = np.asarray(g, float)
    if t.ndim != 1 or not (t.size == n_arr.size == g_arr.size) or t.size == 0:
        raise HistoryError(
            "groups", None, "t, n and g must be equal-length lists", "t、n、g 必须为等长列表"
        )
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise HistoryError("interval_days", None, "must be > 0", "必须大于 0")
    if np.any(n_arr <= 0) or np.any(g_arr < 0) or np.any(g_arr > n_arr):
        raise HistoryError("groups", None, "need n > 0 and 0 <= g <= n", "需要 n > 0 且 0 ≤ g ≤ n")
    names = list(MODELS) if models is None else list(models)
    if not names or not all(isinstance(x, str) and x in MODELS for x in names):
        raise HistoryError(
            "models",
            None,
            f"must be a list of {', '.join(MODELS)}",
            f"必须为以下模型的列表：{', '.join(MODELS)}",
        )
    if selection not in ("rejection", "aicc"):
        raise HistoryError(
            "selection", None, "must be 'rejection' or 'aicc'", "必须为 rejection 或 aicc"
        )
    scale = float(np.median(t)) if t_scale is None else float(t_scale)
    tau = t / scale
    fits = [fit_model(name, tau, n_arr, g_arr) for name in names]
    cap = max_extrapolation * float(t.max())
    intervals = {
        f.model: solve_interval(f.model, f.params, target, tau_max=1000.0) * scale for f in fits
    }
    # A model whose reliability is already below the target at t -> 0 (possible for the
    # warranty and drift forms, R(0) < 1) cannot give an interval: it is not used.
    usable = [f for f in fits if f.ok and intervals[f.model] > 0.0]
    testable = [f for f in usable if not math.isnan(f.rejection_confidence)]
    all_rejected = False
    if testable:
        accepted = [f for f in testable if f.rejection_confidence < reject_confidence]
        pool = accepted or testable
        all_rejected = not accepted
        if selection == "aicc":

            def aicc(f) -> float:
                k = MODELS[f.model].n_params
                return 2 * k - 2 * f.loglik + 2 * k * (k + 1) / max(t.size - k - 1, 0.5)

            best = min(pool, key=aicc)
        else:
            best = min(
                pool,
                key=lambda f: (
                    round(f.rejection_confidence, 9),
                    MODELS[f.model].n_params,
                    -f.loglik,
                ),
            )
    else:
        best = next((f for f in fits if f.model == "exponential" and f.ok), None) or next(
            (f for f in usable), next((f for f in fits if f.ok), fits[0])
        )

    def interval_of(f) -> float:
        return intervals[f.model]

    raw = interval_of(best)
    capped = not raw <= cap

    def none_if_nan(x: float) -> float | None:
        return None if math.isnan(x) else x

    def info(f) -> dict[str, Any]:
        iv = interval_of(f)
        return {
            "name": f.model,
            "formula": MODELS[f.model].formula,
            "parameters": [float(p) for p in f.params],
            "log_likelihood": f.loglik,
            "rejection_confidence": none_if_nan(f.rejection_confidence),
            "f_statistic": none_if_nan(f.f_statistic),
            "dof": list(f.dof),
            "rejected": (not math.isnan(f.rejection_confidence))
            and f.rejection_confidence >= reject_confidence,
            "interval": iv if math.isfinite(iv) else None,
            "converged": f.ok,
        }

    chosen = info(best)
    chosen["time_scale"] = scale
    chosen["all_models_rejected"] = all_rejected
    return {
        "interval": min(raw, cap),
        "capped": capped,
        "testable": bool(testable),
        "model": chosen,
        "models": [info(f) for f in fits],
        "best": best,
        "time_scale": scale,
    }


def method_s2(rows: list[HistoryRow], target: float, options: Mapping[str, Any]) -> dict[str, Any]:
    """NCSLI RP-1 method S2 on a group of instruments of one type: results are grouped by
    resubmission time (``max_groups``, default 10) and passed to :func:`fit_s2`.

    ``confidence`` is ``1 - rejection confidence`` of the chosen model (how far the data are
    from rejecting it).
    """
    max_groups = int(_opt(options, "max_groups", 10, 2, 100))
    reject_at = _opt(options, "reject_confidence", 0.95, 0.5, 0.9999)
    max_extra = _opt(options, "max_extrapolation", 2.0, 1.0, 100.0)
    names = options.get("models")
    if names is not None and (isinstance(names, str) or not isinstance(names, Iterable)):
        raise HistoryError(
            "models",
            None,
            f"must be a list of {', '.join(MODELS)}",
            f"必须为以下模型的列表：{', '.join(MODELS)}",
        )
    groups = _groups(rows, max_groups)
    t = np.array([gr["interval_days"] for gr in groups])
    n = np.array([gr["n"] for gr in groups], float)
    g = np.array([gr["in_tolerance"] for gr in groups], float)
    t_scale = float(np.median([r.interval_days for r in rows]))
    selection = options.get("selection", "rejection")
    res = fit_s2(t, n, g, target, reject_at, names, max_extra, t_scale, selection)
    days = max(res["interval"], _opt(options, "min_days", 1.0, 1.0, 36500.0))
    best = res["best"]
    current = sorted(rows, key=lambda r: r.calibration_date)[-1].interval_days
    rc = res["model"]["rejection_confidence"]
    curve_t = np.linspace(0.0, max(float(t.max()), days) * 1.3, 61)
    curve_r = MODELS[best.model].reliability(np.maximum(curve_t, 1e-9) / t_scale, best.params)
    notes_en, notes_zh = [], []
    if res["capped"]:
        notes_en.append(f"Interval capped at {max_extra:g} x the longest observed interval.")
        notes_zh.append(f"推荐周期已限制为最长观测周期的 {max_extra:g} 倍。")
    if not res["testable"]:
        notes_en.append("Too few interval groups for the F-test; exponential model used.")
        notes_zh.append("周期分组过少，无法进行 F 检验；采用指数模型。")
    if res["model"]["all_models_rejected"]:
        notes_en.append("Every model is rejected by the F-test; the least rejected is shown.")
        notes_zh.append("所有模型均被 F 检验拒绝；显示拒绝置信度最低者。")
    model = dict(res["model"])
    model["time_scale_days"] = model.pop("time_scale")
    return {
        "recommended_interval_days": int(round(days)),
        "current_interval_days": current,
        "action": _action(current, days),
        "confidence": None if rc is None else 1.0 - rc,
        "model": model,
        "models": res["models"],
        "notes_en": notes_en,
        "notes_zh": notes_zh,
        "plot": {
            "kind": "reliability",
            "observed": groups,
            "curve": [
                {"interval_days": float(a), "reliability": float(b)}
                for a, b in zip(curve_t, curve_r, strict=True)
            ],
        },
    }


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


def recommend(
    history_rows: Iterable[Mapping[str, Any] | HistoryRow],
    method: str,
    target: float = 0.9,
    **options: Any,
) -> dict[str, Any]:
    """Recommend a calibration interval from a calibration history.

    Parameters
    ----------
    history_rows : iterable of dict
        Rows with ``instrument``, ``calibration_date``, ``interval_days``, ``in_tolerance`` and
        optionally ``as_found_error`` (see :mod:`jiliang.intervals.history`).
    method : {"m1", "a3", "s2"}
        OIML D 10 method 1 (per instrument), NCSLI RP-1 A3 (interval test) or S2 (binomial
        maximum likelihood over reliability models) for a group of instruments.
    target : float
        End-of-period reliability target in (0, 1); JJF 1139 default 0.9.
    **options
        Method options (see each method's docstring).

    Returns
    -------
    dict
        ``recommended_interval_days`` (int), ``current_interval_days``, ``action``
        ("lengthen" / "shorten" / "keep"), ``confidence`` (float or None), ``summary`` (counts and
        observed reliability), ``model`` (S2), ``test`` (A3), ``per_instrument`` (m1), ``plot``
        (points for a chart) and notes in Chinese and English.

    Raises
    ------
    HistoryError
        For bad rows, an unknown method, a target outside (0, 1) or bad options.
    """
    if method not in METHODS:
        raise HistoryError(
            "method",
            None,
            f"unknown method {method!r}; use one of m1, a3, s2",
            f"未知方法 {method!r}；可选 m1、a3、s2",
        )
    if isinstance(target, bool):
        raise HistoryError("target", None, "must be a number", "必须为数值")
    try:
        tgt = float(target)
    except (TypeError, ValueError):
        raise HistoryError("target", None, "must be a number", "必须为数值") from None
    if not (math.isfinite(tgt) and 0.0 < tgt < 1.0):
        raise HistoryError(
            "target", None, "reliability target must be in (0, 1)", "可靠度目标必须在 (0, 1) 之间"
        )
    rows = validate_rows(history_rows)
    impl = {"m1": method1, "a3": method_a3, "s2": method_s2}[method]
    try:
        result = impl(rows, tgt, options)
    except HistoryError:
        raise
    except (ValueError, ArithmeticError, RuntimeError) as exc:  # numerical failure: report it
        raise HistoryError("rows", None, f"analysis failed: {exc}", f"分析失败：{exc}") from None
    out: dict[str, Any] = {
        "method": method,
        "method_name_zh": METHOD_NAMES[method][0],
        "method_name_en": METHOD_NAMES[method][1],
        "target": tgt,
        "summary": _summary(rows),
    }
    out.update(result)
    out["plot"]["target"] = tgt
    out["plot"]["recommended_interval_days"] = out["recommended_interval_days"]
    return out
