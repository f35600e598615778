"""GUM uncertainty framework (JCGM 100): law of propagation of uncertainty.

* sensitivity coefficients c_i = df/dx_i by exact symbolic derivatives (JCGM 100 5.1.3);
* combined standard uncertainty with covariances, u_c^2 = c^T U_x c (5.2.2, eq. 13);
* optional higher-order terms for non-linear models (5.1.2 note, eq. 10 note);
* several outputs: U_y = C U_x C^T (JCGM 102 6.2.1.3);
* effective degrees of freedom by the Welch-Satterthwaite formula (G.4.1, eq. G.2b);
* coverage factor k_p = t_p(nu_eff), with nu_eff truncated to an integer (G.4.1 note 1,
  G.6.4); expanded uncertainty U_p = k_p u_c (6.2, 6.3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from . import expr as ex
from .errors import ModelError
from .model import Model, compile_model


def coverage_factor(p: float, dof: float | np.ndarray) -> Any:
    """k_p from the t distribution with ``floor(dof)`` degrees of freedom (JCGM 100 G.3, G.6.4).

    ``dof`` may be ``inf`` (normal distribution) and may be an array.
    """
    nu = np.floor(np.asarray(dof, dtype=float) * (1 + 1e-12) + 1e-9)
    nu = np.where(nu < 1, 1.0, nu)
    q = (1 + p) / 2
    k = np.where(np.isinf(nu), special.ndtri(q), special.stdtrit(np.where(np.isinf(nu), 1, nu), q))
    return float(k) if np.ndim(k) == 0 else k


def welch_satterthwaite(u: Any, contributions: Any, dofs: Any) -> Any:
    """nu_eff = u_c^4 / sum_i (c_i u(x_i))^4 / nu_i   (JCGM 100 G.4.1, eq. G.2b).

    ``contributions`` has the inputs on its first axis; infinite ``dofs`` add nothing.
    Returns ``inf`` when no input has finite degrees of freedom.
    """
    dofs = np.asarray(dofs, dtype=float).reshape((-1,) + (1,) * (np.ndim(contributions) - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(np.isinf(dofs), 0.0, np.asarray(contributions) ** 4 / dofs)
        den = terms.sum(axis=0)
        nu = np.where(den > 0, np.asarray(u) ** 4 / np.where(den > 0, den, 1.0), np.inf)
    return float(nu) if np.ndim(nu) == 0 else nu


def dof_components(model: Model) -> list[tuple[list[int], float]]:
    """Inputs grouped for the Welch-Satterthwaite formula.

    The formula assumes independent contributions (JCGM 100 G.4.2).  Inputs observed
    simultaneously (GUM H.2) form one contribution c_g^T U_g c_g with n - 1 degrees of
    freedom; inputs linked by correlation coefficients form one contribution with the
    smallest of their degrees of freedom; every other input is its own contribution.
    """
    n = len(model.inputs)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if model.correlation[i, j] != 0:
                parent[find(i)] = find(j)
    comps: dict[int, list[int]] = {}
    for i in range(n):
        comps.setdefault(find(i), []).append(i)
    dofs = model.dofs()
    return [(idx, float(min(dofs[i] for i in idx))) for idx in comps.values()]


def _component_variances(
    comps: list[tuple[list[int], float]], contrib: Any, corr: np.ndarray
) -> tuple[Any, np.ndarray]:
    """Variance of each component (first axis) from the signed contributions c_i u_i."""
    out = []
    for idx, _ in comps:
        if len(idx) == 1:
            out.append(contrib[idx[0]] ** 2)
        else:
            v = 0.0
            for a in idx:
                for b in idx:
                    if corr[a, b] != 0:
                        v = v + corr[a, b] * contrib[a] * contrib[b]
            out.append(v)
    return np.array(out), np.array([d for _, d in comps])


def _eval_at(tree: ex.Node, env: dict[str, Any], cache: dict[int, Any], fld: str) -> float:
    with np.errstate(all="ignore"):
        v = ex.evaluate(tree, env, cache)
    v = float(v)
    if not math.isfinite(v):
        raise ModelError(
            f"the model is not defined at the input estimates "
            f"(value {v}); check divisions by zero-width or zero-valued inputs "
            "and the domains of log, sqrt, asin, acos",
            code="domain",
            field=fld,
        )
    return v


def _check_divisors(tree: ex.Node, env: dict[str, Any], fld: str, names: dict[str, Any]) -> None:
    """Name a divisor that is zero at the estimates (division by a zero-valued input)."""
    seen: set[int] = set()
    stack = [tree]
    while stack:
        n = stack.pop()
        if id(n) in seen or not isinstance(n, ex.Op):
            continue
        seen.add(id(n))
        if n.op == "/":
            with np.errstate(all="ignore"):
                d = ex.evaluate(n.args[1], env, {})
            if float(d) == 0.0:
                raise ModelError(
                    f"division by '{ex.to_text(n.args[1])}', which is zero at the estimates",
                    code="division_by_zero",
                    field=fld,
                    token=ex.to_text(n.args[1]),
                )
        stack.extend(n.args)


def gum(model: Model) -> dict[str, Any]:
    """GUM evaluation of all outputs of a compiled model.

    Returns
    -------
    dict
        ``outputs`` (per output: value, std_uncertainty, dof, coverage_factor,
        expanded_uncertainty, interval, budget, in the output's unit) and ``covariance``
        (matrix U_y in the outputs' units, JCGM 102 6.2.1.3).
    """
    names = model.names
    x = model.estimates()
    ux = model.stds()
    cov_x = model.covariance()
    env = dict(zip(names, x, strict=True))
    cache: dict[int, Any] = {}
    outs = model.outputs
    m, n = len(outs), len(names)
    values = np.empty(m)
    C = np.zeros((m, n))
    for k, out in enumerate(outs):
        fld = f"equations (output '{out}')"
        tree = model.trees[out]
        _check_divisors(tree, env, fld, env)
        values[k] = _eval_at(tree, env, cache, fld)
        d1 = model.first_derivatives(out)
        for i, nm in enumerate(names):
            C[k, i] = _eval_at(d1[nm], env, cache, f"{fld}, d/d{nm}")
    Uy = C @ cov_x @ C.T
    extra = np.zeros(m)
    if model.second_order:
        extra = _higher_order(model, env, ux)
        Uy[np.diag_indices(m)] += extra
    dofs = model.dofs()
    comps = dof_components(model)
    results: dict[str, Any] = {}
    for k, out in enumerate(outs):
        f = model.output_factor[out]
        u = math.sqrt(max(Uy[k, k], 0.0))
        contrib = C[k] * ux
        cvar, cdof = _component_variances(comps, contrib, model.correlation)
        nu = welch_satterthwaite(u, np.sqrt(np.clip(cvar, 0, None)), cdof) if u > 0 else math.inf
        kp = coverage_factor(model.coverage, nu)
        U = kp * u
        y = values[k]
        share_num = C[k] * (cov_x @ C[k])
        budget = []
        for i, nm in enumerate(names):
            if model.trees[out] is not None and C[k, i] == 0 and ux[i] == 0:
                continue
            fi = model.input_factor[i]
            budget.append(
                {
                    "input": nm,
                    "estimate": model.inputs[i].estimate,
                    "std_uncertainty": model.inputs[i].std,
                    "unit": model.inputs[i].unit,
                    "sensitivity": C[k, i] * fi / f,
                    "contribution": contrib[i] / f,
                    "share": 100.0 * share_num[i] / (u * u) if u > 0 else 0.0,
                    "dof": None if math.isinf(dofs[i]) else float(dofs[i]),
                    "distribution": model.inputs[i].kind,
                }
            )
        r: dict[str, Any] = {
            "value": y / f,
            "std_uncertainty": u / f,
            "dof": None if math.isinf(nu) else nu,
            "coverage_factor": kp,
            "expanded_uncertainty": U / f,
            "interval": [(y - U) / f, (y + U) / f],
            "coverage": model.coverage,
            "budget": budget,
        }
        if model.second_order:
            r["std_uncertainty_first_order"] = math.sqrt(max(Uy[k, k] - extra[k], 0.0)) / f
            r["higher_order_share"] = 100.0 * extra[k] / Uy[k, k] if Uy[k, k] > 0 else 0.0
        results[out] = r
    fac = np.array([model.output_factor[o] for o in outs])
    cov_y = Uy / np.outer(fac, fac)
    return {"outputs": results, "covariance": cov_y, "sensitivity": C, "values": values}


def _higher_order(model: Model, env: dict[str, Any], ux: np.ndarray) -> np.ndarray:
    """sum_ij [ (d2f/dxi dxj)^2 / 2 + df/dxi * d3f/dxi dxj^2 ] u^2(x_i) u^2(x_j).

    The terms added to u_c^2 in the note to JCGM 100 5.1.2 (independent inputs).
    """
    names = model.names
    out = np.zeros(len(model.outputs))
    for k, o in enumerate(model.outputs):
        tree = model.trees[o]
        used = [nm for nm in names if nm in ex.free_names(tree)]
        d1 = model.first_derivatives(o)
        cache: dict[int, Any] = {}
        total = 0.0
        memo2: dict[str, dict[int, ex.Node]] = {}
        for i, a in enumerate(used):
            ia = names.index(a)
            c1 = float(ex.evaluate(d1[a], env, cache))
            for b in used:
                ib = names.index(b)
                d2 = ex.diff(d1[a], b, memo2.setdefault(b, {}))
                if isinstance(d2, ex.Num) and d2.value == 0:
                    continue
                v2 = float(ex.evaluate(d2, env, cache))
                term = 0.5 * v2 * v2
                if c1 != 0:
                    d3 = ex.diff(d2, b, {})
                    term += c1 * float(ex.evaluate(d3, env, cache))
                total += term * ux[ia] ** 2 * ux[ib] ** 2
            del i
        out[k] = total
    return out


def gum_batch(
    model: Model | dict[str, Any],
    inputs_arrays: dict[str, Any],
    std_arrays: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Vectorised GUM evaluation of one model at many points (JCGM 100 5.1, 5.2, G.4).

    Parameters
    ----------
    model : Model or dict
        A compiled model or a model document.
    inputs_arrays : dict
        Input name -> array of estimates (in the input's stated unit) at each point.
        Inputs not given keep the estimate of the document.  Arrays broadcast together.
    std_arrays : dict, optional
        Input name -> array of standard uncertainties at each point (default: the
        document's).  Correlation coefficients and degrees of freedom are those of the
        document.

    Returns
    -------
    dict
        For each output: ``value``, ``std_uncertainty``, ``dof``, ``coverage_factor``,
        ``expanded_uncertainty`` (NumPy arrays, output unit) and ``sensitivity``
        (input -> array).
    """
    if not isinstance(model, Model):
        model = compile_model(model)
    names = model.names
    std_arrays = std_arrays or {}
    for nm in list(inputs_arrays) + list(std_arrays):
        if nm not in names:
            raise ModelError(
                f"unknown input '{nm}'", code="unknown_name", field="inputs", token=str(nm)
            )
    try:
        xs = [
            np.asarray(inputs_arrays.get(nm, q.estimate), dtype=float) * f
            for nm, q, f in zip(names, model.inputs, model.input_factor, strict=True)
        ]
        us = [
            np.asarray(std_arrays.get(nm, q.std), dtype=float) * f
            for nm, q, f in zip(names, model.inputs, model.input_factor, strict=True)
        ]
        shape = np.broadcast_shapes(*[a.shape for a in xs + us])
    except (ValueError, TypeError) as exc:
        raise ModelError(
            f"point arrays do not fit together: {exc}", code="type", field="inputs"
        ) from None
    if any(np.any(u < 0) for u in us):
        raise ModelError(
            "a standard uncertainty is negative", code="negative_std", field="std_arrays"
        )
    env = dict(zip(names, xs, strict=True))
    cache: dict[int, Any] = {}
    comps = dof_components(model)
    corr = model.correlation
    off = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names)) if corr[i, j] != 0]
    result: dict[str, dict[str, Any]] = {}
    with np.errstate(all="ignore"):
        for out in model.outputs:
            f = model.output_factor[out]
            y = np.broadcast_to(ex.evaluate(model.trees[out], env, cache), shape)
            d1 = model.first_derivatives(out)
            cs = [np.broadcast_to(ex.evaluate(d1[nm], env, cache), shape) for nm in names]
            contrib = np.array([c * u for c, u in zip(cs, us, strict=True)])
            var = np.einsum("i...,i...->...", contrib, contrib)
            for i, j in off:
                var = var + 2 * corr[i, j] * contrib[i] * contrib[j]
            u = np.sqrt(np.maximum(var, 0.0))
            cvar, cdof = _component_variances(comps, contrib, corr)
            nu = welch_satterthwaite(u, np.sqrt(np.clip(cvar, 0, None)), cdof)
            k = coverage_factor(model.coverage, nu)
            result[out] = {
                "value": y / f,
                "std_uncertainty": u / f,
                "dof": nu,
                "coverage_factor": k,
                "expanded_uncertainty": k * u / f,
                "sensitivity": {
                    nm: c * fi / f for nm, c, fi in zip(names, cs, model.input_factor, strict=True)
                },
            }
    return result
