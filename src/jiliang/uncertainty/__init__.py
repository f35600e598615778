"""Measurement uncertainty kernel: GUM (JCGM 100), Monte Carlo (JCGM 101), several outputs
(JCGM 102), batch evaluation.  Pure functions on numbers and documents; no database, no web.

Model document
--------------
::

    {"equations": ["m = m_R + dm_R + m_c*(rho_a - rho_a0)*(1/rho_w - 1/rho_R)"],
     "constants": {"rho_a0": 1.2},                # or {"value": 1.2, "unit": "kg/m^3"}
     "inputs": {
        "m_R":   {"dist": "normal", "mean": 100000.0, "std": 0.050, "unit": "mg", "dof": 50},
        "rho_a": {"dist": "rectangular", "low": 1.10, "high": 1.30},
        "tri":   {"dist": "triangular", "low": 0, "high": 1, "mode": 0.2},
        "trap":  {"dist": "trapezoidal", "low": 0, "high": 1, "beta": 0.5},
        "ct":    {"dist": "ctrap", "low": -1, "high": 1, "d": 0.1},
        "arc":   {"dist": "arcsine", "low": -0.5, "high": 0.5},
        "x":     {"dist": "t", "mean": 0, "scale": 0.1, "dof": 9},
        "e":     {"dist": "exponential", "mean": 2.0},
        "q":     {"observations": [10.01, 10.03, 9.99]}},
     "correlations": [["a", "b", 0.5]],
     "simultaneous": [["V", "I", "phi"]],         # observations of equal length (GUM H.2)
     "coverage": 0.95,
     "methods": ["gum", "mcm"],
     "second_order": false,                       # GUM 5.1.2 note higher-order terms
     "outputs": ["m"],                            # optional: which equation outputs to report
     "output_units": {"m": "g"},                  # optional
     "mcm": {"trials": 1000000 | "adaptive", "ndig": 2, "seed": 1, "max_trials": 2e7 (<= 5e7),
             "histogram_bins": 80, "threads": 2}}

Conventions of the result (:func:`evaluate`): numbers are in the unit of each input/output
(``outputs.<name>.unit``; ``null`` when no units are used); an infinite number of degrees of
freedom is ``null``; any other non-finite number is ``null`` too.  ``share`` in the budget is
c_i (U_x c)_i / u_c^2 in %, which is (c_i u_i)^2 / u_c^2 for independent inputs and sums to
100 % with correlations.  Temperatures with offset units (degC) are treated as differences.
"""

from __future__ import annotations

from .distributions import DISTRIBUTIONS, InputQuantity
from .engine import evaluate, validate_guf
from .errors import MESSAGES_ZH, ExpressionError, ModelError, UnitError
from .examples import EXAMPLES, example
from .expr import parse_equation, parse_expression
from .gum import coverage_factor, gum_batch, welch_satterthwaite
from .mcm import coverage_intervals, tolerance
from .model import Model, compile_model
from .regression import LineFit, linear_calibration
from .report import format_report

__all__ = [
    "DISTRIBUTIONS",
    "EXAMPLES",
    "MESSAGES_ZH",
    "ExpressionError",
    "InputQuantity",
    "LineFit",
    "Model",
    "ModelError",
    "UnitError",
    "compile_model",
    "coverage_factor",
    "coverage_intervals",
    "evaluate",
    "example",
    "format_report",
    "gum_batch",
    "linear_calibration",
    "parse_equation",
    "parse_expression",
    "tolerance",
    "validate_guf",
    "welch_satterthwaite",
]
