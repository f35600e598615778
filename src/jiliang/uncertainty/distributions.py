"""Input quantities: their estimate, standard uncertainty, degrees of freedom and sampler.

Each input of a model document becomes an :class:`InputQuantity`.  The GUM uncertainty
framework (JCGM 100 4.2, 4.3) uses ``estimate``, ``std`` and ``dof``; the Monte Carlo method
uses ``sample`` (JCGM 101 6.4, sampling procedures of 6.4.x.4) and, for inputs linked by
correlation coefficients through a Gaussian copula, ``ppf`` (the inverse distribution
function applied to correlated uniform variates).

All numbers are in the input's own unit; the model scales them to base units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from .errors import ModelError

DISTRIBUTIONS = (
    "normal",
    "rectangular",
    "triangular",
    "trapezoidal",
    "ctrap",
    "arcsine",
    "t",
    "exponential",
)
#: accepted alternative spellings
ALIASES = {
    "gaussian": "normal",
    "uniform": "rectangular",
    "rect": "rectangular",
    "student": "t",
    "student_t": "t",
    "curvilinear_trapezoid": "ctrap",
    "u-shaped": "arcsine",
    "u_shaped": "arcsine",
    "trapezoid": "trapezoidal",
}


def _num(value: Any, fld: str, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ModelError(
            f"expected a number, got {type(value).__name__} {value!r:.40}", code="type", field=fld
        )
    v = float(value)
    if not math.isfinite(v):
        raise ModelError("the number must be finite", code="value", field=fld)
    if positive and v <= 0:
        raise ModelError(f"must be > 0, got {v:g}", code="value", field=fld)
    if nonneg and v < 0:
        raise ModelError(
            f"must be >= 0, got {v:g}",
            code="negative_std" if fld.endswith(("std", "std_uncertainty", "scale")) else "value",
            field=fld,
        )
    return v


def _get(spec: dict[str, Any], key: str, fld: str) -> Any:
    if key not in spec:
        raise ModelError(f"'{key}' is required", code="missing", field=f"{fld}.{key}", token=key)
    return spec[key]


@dataclass
class InputQuantity:
    """One input quantity X_i of the measurement model."""

    name: str
    kind: str
    estimate: float
    std: float
    dof: float = math.inf
    params: dict[str, float] = field(default_factory=dict)
    unit: str | None = None
    observations: np.ndarray | None = None

    # ------------------------------------------------------------ Monte Carlo
    def sample(self, rng: np.random.Generator, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Draw ``n`` values from the PDF assigned by JCGM 101 6.4.

        With ``out`` (length ``n``) the common PDFs are drawn in place, without allocating.
        """
        p = self.params
        k = self.kind
        if out is not None:
            if k == "normal":
                rng.standard_normal(out=out)
                out *= self.std
                out += self.estimate
                return out
            if k == "rectangular":
                rng.random(out=out)
                out *= p["high"] - p["low"]
                out += p["low"]
                return out
            if k == "arcsine":
                rng.random(out=out)
                out *= np.pi
                np.cos(out, out=out)
                out *= -(p["high"] - p["low"]) / 2
                out += (p["low"] + p["high"]) / 2
                return out
            if k == "exponential":
                rng.standard_exponential(out=out)
                out *= self.estimate
                return out
            out[...] = self.sample(rng, n)
            return out
        if k == "normal":
            if self.std == 0:
                return np.full(n, self.estimate)
            return rng.normal(self.estimate, self.std, n)
        if k == "rectangular":
            return rng.uniform(p["low"], p["high"], n)
        if k == "triangular":
            return rng.triangular(p["low"], p["mode"], p["high"], n)
        if k == "trapezoidal":  # JCGM 101 6.4.4.4
            a, b, beta = p["low"], p["high"], p["beta"]
            r = rng.random((2, n))
            out = r[0]
            out *= 1 + beta
            r[1] *= 1 - beta
            out += r[1]
            out *= (b - a) / 2
            out += a
            return out
        if k == "ctrap":  # JCGM 101 6.4.3.4
            a, b, d = p["low"], p["high"], p["d"]
            r = rng.random((2, n))
            a_s = (a - d) + 2 * d * r[0]
            b_s = (a + b) - a_s
            return a_s + (b_s - a_s) * r[1]
        if k == "arcsine":  # JCGM 101 6.4.6.4
            c, h = (p["low"] + p["high"]) / 2, (p["high"] - p["low"]) / 2
            return c - h * np.cos(np.pi * rng.random(n))
        if k in ("t", "observations"):  # JCGM 101 6.4.9.4 and 6.4.9.7
            return self.estimate + p["scale"] * rng.standard_t(p["nu"], n)
        if k == "exponential":  # JCGM 101 6.4.10.4
            return rng.exponential(self.estimate, n)
        raise AssertionError(k)

    def ppf(self, u: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """Inverse distribution function (for the Gaussian copula of correlated inputs).

        ``z`` is the standard normal variate with ``u = Phi(z)``; normal inputs use it
        directly (no loss of precision in the tails).
        """
        p = self.params
        k = self.kind
        if k == "normal":
            zz = special.ndtri(u) if z is None else z
            return self.estimate + self.std * zz
        if k == "rectangular":
            return p["low"] + (p["high"] - p["low"]) * u
        if k == "triangular":
            a, c, b = p["low"], p["mode"], p["high"]
            fc = (c - a) / (b - a)
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1 - u) * (b - a) * (b - c))
            return np.where(u < fc, left, right)
        if k == "arcsine":
            c, h = (p["low"] + p["high"]) / 2, (p["high"] - p["low"]) / 2
            return c - h * np.cos(np.pi * u)
        if k in ("t", "observations"):
            return self.estimate + p["scale"] * special.stdtrit(p["nu"], u)
        if k == "exponential":
            return -self.estimate * np.log1p(-u)
        if k in ("trapezoidal", "ctrap"):
            table = self.__dict__.get("_table")
            if table is None:
                table = self.__dict__["_table"] = self._cdf_table()
            grid, cdf = table
            return np.interp(u, cdf, grid)
        raise AssertionError(k)

    def _cdf_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Tabulated distribution function of the trapezoidal and curvilinear trapezoidal
        PDFs, both mixtures of rectangular PDFs over a uniformly distributed parameter
        (Gauss-Legendre quadrature over that parameter)."""
        p = self.params
        s, w = np.polynomial.legendre.leggauss(64)
        s = (s + 1) / 2
        w = w / 2
        if self.kind == "trapezoidal":
            a, b, beta = p["low"], p["high"], p["beta"]
            half = (b - a) / 2
            lo = a + half * (1 - beta) * s
            hi = lo + half * (1 + beta)
        else:
            a, b, d = p["low"], p["high"], p["d"]
            lo = (a - d) + 2 * d * s
            hi = (a + b) - lo
        grid = np.linspace(lo.min(), hi.max(), 4097)
        frac = np.clip((grid[:, None] - lo[None, :]) / (hi - lo)[None, :], 0.0, 1.0)
        cdf = frac @ w
        cdf[0], cdf[-1] = 0.0, 1.0
        return grid, np.maximum.accumulate(cdf)

    def scaled(self, f: float) -> InputQuantity:
        """The same quantity expressed in a unit ``f`` times smaller (e.g. to SI base units).

        Monte Carlo sampling then draws base-unit values directly, with no extra pass.
        """
        if f == 1.0:
            return self
        p = {k: (v if k in ("beta", "nu") else v * f) for k, v in self.params.items()}
        obs = None if self.observations is None else self.observations * f
        return InputQuantity(
            self.name, self.kind, self.estimate * f, self.std * f, self.dof, p, None, obs
        )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.kind,
            "estimate": self.estimate,
            "std_uncertainty": self.std,
            "dof": None if math.isinf(self.dof) else self.dof,
            "unit": self.unit,
        }


def make_input(name: str, spec: Any, fld: str) -> InputQuantity:
    """Build an :class:`InputQuantity` from one entry of ``inputs`` in the document."""
    if not isinstance(spec, dict):
        raise ModelError(
            'an input must be an object such as {"dist": "normal", ...}', code="type", field=fld
        )
    unit = spec.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ModelError("'unit' must be a string", code="type", field=f"{fld}.unit")
    dof = math.inf
    if spec.get("dof") is not None:
        dof = _num(spec["dof"], f"{fld}.dof", positive=True)

    if "observations" in spec:
        obs = spec["observations"]
        if not isinstance(obs, list | tuple) or len(obs) < 2:
            raise ModelError(
                "'observations' must be a list of at least 2 numbers",
                code="observations",
                field=f"{fld}.observations",
            )
        if len(obs) > 1_000_000:
            raise ModelError(
                "more than 10^6 observations", code="limit", field=f"{fld}.observations"
            )
        vals = np.array([_num(v, f"{fld}.observations[{i}]") for i, v in enumerate(obs)])
        n = len(vals)
        mean = float(vals.mean())
        s = float(vals.std(ddof=1))
        # GUM 4.2: x = mean, u = s/sqrt(n), nu = n - 1;  JCGM 101 6.4.9.7: t_{n-1}(x, s^2/n)
        u = s / math.sqrt(n)
        nu = float(n - 1)
        return InputQuantity(
            name,
            "observations",
            mean,
            u,
            dof if "dof" in spec and spec["dof"] is not None else nu,
            {"scale": u, "nu": nu},
            unit,
            vals,
        )

    kind = spec.get("dist", spec.get("distribution"))
    if kind is None and ("std" in spec or "std_uncertainty" in spec):
        kind = "normal"
    if kind is None:
        raise ModelError(
            "give 'dist' (one of " + ", ".join(DISTRIBUTIONS) + ") or 'observations'",
            code="missing",
            field=f"{fld}.dist",
        )
    if not isinstance(kind, str):
        raise ModelError("'dist' must be a string", code="type", field=f"{fld}.dist")
    kind = ALIASES.get(kind.lower(), kind.lower())
    if kind not in DISTRIBUTIONS:
        raise ModelError(
            f"unknown distribution '{kind}'; use one of " + ", ".join(DISTRIBUTIONS),
            code="distribution",
            field=f"{fld}.dist",
            token=str(kind),
        )

    def bounds() -> tuple[float, float]:
        lo = _num(_get(spec, "low", fld), f"{fld}.low")
        hi = _num(_get(spec, "high", fld), f"{fld}.high")
        if not lo < hi:
            raise ModelError(
                f"low ({lo:g}) must be less than high ({hi:g})", code="bounds", field=f"{fld}.high"
            )
        return lo, hi

    if kind == "normal":
        mean = _num(_get(spec, "mean", fld), f"{fld}.mean")
        key = "std" if "std" in spec else "std_uncertainty"
        std = _num(_get(spec, key, fld), f"{fld}.{key}", nonneg=True)
        return InputQuantity(name, kind, mean, std, dof, {}, unit)
    if kind == "rectangular":
        lo, hi = bounds()
        return InputQuantity(
            name, kind, (lo + hi) / 2, (hi - lo) / math.sqrt(12), dof, {"low": lo, "high": hi}, unit
        )
    if kind == "triangular":
        lo, hi = bounds()
        mode = _num(spec["mode"], f"{fld}.mode") if spec.get("mode") is not None else (lo + hi) / 2
        if not lo <= mode <= hi:
            raise ModelError(
                "mode must lie between low and high", code="bounds", field=f"{fld}.mode"
            )
        mean = (lo + hi + mode) / 3
        var = (lo * lo + hi * hi + mode * mode - lo * hi - lo * mode - hi * mode) / 18
        return InputQuantity(
            name, kind, mean, math.sqrt(var), dof, {"low": lo, "high": hi, "mode": mode}, unit
        )
    if kind == "trapezoidal":  # JCGM 101 6.4.4
        lo, hi = bounds()
        beta = _num(_get(spec, "beta", fld), f"{fld}.beta")
        if not 0 <= beta <= 1:
            raise ModelError("beta must lie in [0, 1]", code="value", field=f"{fld}.beta")
        std = (hi - lo) * math.sqrt((1 + beta * beta) / 24)
        return InputQuantity(
            name, kind, (lo + hi) / 2, std, dof, {"low": lo, "high": hi, "beta": beta}, unit
        )
    if kind == "ctrap":  # JCGM 101 6.4.3
        lo, hi = bounds()
        d = _num(_get(spec, "d", fld), f"{fld}.d", nonneg=True)
        if d > (hi - lo) / 2:
            raise ModelError("d must not exceed (high - low)/2", code="value", field=f"{fld}.d")
        std = math.sqrt((hi - lo) ** 2 / 12 + d * d / 9)
        return InputQuantity(
            name, kind, (lo + hi) / 2, std, dof, {"low": lo, "high": hi, "d": d}, unit
        )
    if kind == "arcsine":  # JCGM 101 6.4.6
        lo, hi = bounds()
        return InputQuantity(
            name,
            kind,
            (lo + hi) / 2,
            (hi - lo) / (2 * math.sqrt(2)),
            dof,
            {"low": lo, "high": hi},
            unit,
        )
    if kind == "t":  # JCGM 101 6.4.9: t_nu(mean, scale^2); GUM: u = scale with nu dof
        mean = _num(_get(spec, "mean", fld), f"{fld}.mean")
        scale = _num(_get(spec, "scale", fld), f"{fld}.scale", nonneg=True)
        nu = _num(_get(spec, "dof", fld), f"{fld}.dof", positive=True)
        return InputQuantity(name, kind, mean, scale, nu, {"scale": scale, "nu": nu}, unit)
    # exponential, JCGM 101 6.4.10
    mean = _num(_get(spec, "mean", fld), f"{fld}.mean", positive=True)
    return InputQuantity(name, kind, mean, mean, dof, {}, unit)
