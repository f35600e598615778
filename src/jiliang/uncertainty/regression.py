"""Straight-line calibration by least squares (JCGM 100 H.3, thermometer calibration).

The model b(t) = y1 + y2 (t - t0) is fitted to corrections b_k observed at readings t_k
(uncertainty of t_k negligible); intercept and slope are correlated, and the correction
predicted at a temperature t has u^2 = s^2(y1) + (t - t0)^2 s^2(y2) + 2 (t - t0) s(y1, y2)
(JCGM 100 H.3.4, eq. H.16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelError


@dataclass(frozen=True)
class LineFit:
    """Result of :func:`linear_calibration`."""

    intercept: float  # y1
    slope: float  # y2
    u_intercept: float  # s(y1)
    u_slope: float  # s(y2)
    covariance: float  # s(y1, y2)
    correlation: float  # r(y1, y2)
    residual_std: float  # s, the standard deviation of the residuals
    dof: int  # n - 2
    x0: float

    def predict(self, x: Any) -> tuple[Any, Any]:
        """Predicted value and its standard uncertainty at ``x`` (JCGM 100 H.3.4)."""
        d = np.asarray(x, dtype=float) - self.x0
        value = self.intercept + self.slope * d
        var = self.u_intercept**2 + d * d * self.u_slope**2 + 2 * d * self.covariance
        return value, np.sqrt(var)

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def linear_calibration(x: Any, y: Any, x0: float = 0.0) -> LineFit:
    """Least-squares straight line y = y1 + y2 (x - x0) with its uncertainties.

    Parameters
    ----------
    x, y : array_like
        Readings and observed values (at least 3 points).
    x0 : float
        Reference point of the line (t0 = 20 degC in JCGM 100 H.3).

    Returns
    -------
    LineFit
        Intercept, slope, their standard uncertainties and correlation (H.3.3,
        eqs. H.13-H.15), residual standard deviation and n - 2 degrees of freedom.
    """
    try:
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ModelError("x and y must be lists of numbers", code="type", field="x") from None
    if xa.ndim != 1 or xa.shape != ya.shape or len(xa) < 3:
        raise ModelError("x and y must be lists of equal length >= 3", code="value", field="x")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ModelError("x and y must be finite", code="value", field="x")
    n = len(xa)
    theta = xa - x0
    s_theta = theta.sum()
    s_theta2 = (theta * theta).sum()
    D = n * s_theta2 - s_theta**2
    if D <= 0:
        raise ModelError("the x values must not all be equal", code="value", field="x")
    y1 = ((ya * s_theta2).sum() - (ya * theta).sum() * s_theta) / D
    y2 = (n * (ya * theta).sum() - ya.sum() * s_theta) / D
    resid = ya - (y1 + y2 * theta)
    s2 = float((resid * resid).sum() / (n - 2))
    var1 = s2 * s_theta2 / D
    var2 = n * s2 / D
    cov12 = -s2 * s_theta / D
    return LineFit(
        float(y1),
        float(y2),
        math.sqrt(var1),
        math.sqrt(var2),
        float(cov12),
        float(cov12 / math.sqrt(var1 * var2)) if var1 * var2 > 0 else 0.0,
        math.sqrt(s2),
        n - 2,
        float(x0),
    )
