"""Calibration-interval kernel: OIML D 10 method 1, NCSLI RP-1 methods A3 and S2.

Pure functions on calibration histories; imports no database or web code.
"""

from .history import COLUMNS, HistoryError, HistoryRow, read_history_csv, validate_rows
from .methods import (
    METHOD_NAMES,
    METHODS,
    binomial_bounds,
    fit_s2,
    method1,
    method_a3,
    method_s2,
    recommend,
    staircase_factors,
)
from .models import MODELS, fit_model, solve_interval

__all__ = [
    "COLUMNS",
    "METHODS",
    "METHOD_NAMES",
    "MODELS",
    "HistoryError",
    "HistoryRow",
    "binomial_bounds",
    "fit_model",
    "fit_s2",
    "method1",
    "method_a3",
    "method_s2",
    "read_history_csv",
    "recommend",
    "solve_interval",
    "staircase_factors",
    "validate_rows",
]
