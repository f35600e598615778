"""Worked examples (model documents) from JCGM 100 Annex H and JCGM 101 clause 9."""

from __future__ import annotations

import copy
import math
from typing import Any

SQRT3 = math.sqrt(3.0)

EXAMPLES: dict[str, dict[str, Any]] = {
    "jcgm100_h1_end_gauge": {
        "title": "JCGM 100 H.1 End-gauge calibration (lengths in nm, temperatures in °C)",
        "equations": ["l = l_s + d + d1 + d2 - l_s*(delta_alpha*theta + alpha_s*delta_theta)"],
        "inputs": {
            "l_s": {"dist": "normal", "mean": 50000623.0, "std": 25.0, "dof": 18},
            "d": {"dist": "normal", "mean": 215.0, "std": 5.8, "dof": 24},
            "d1": {"dist": "normal", "mean": 0.0, "std": 3.9, "dof": 5},
            "d2": {"dist": "normal", "mean": 0.0, "std": 6.7, "dof": 8},
            "alpha_s": {"dist": "normal", "mean": 11.5e-6, "std": 1.2e-6, "dof": 50},
            "theta": {"dist": "normal", "mean": -0.1, "std": 0.41},
            "delta_alpha": {"dist": "rectangular", "low": -1e-6, "high": 1e-6, "dof": 50},
            "delta_theta": {"dist": "normal", "mean": 0.0, "std": 0.029, "dof": 2},
        },
        "coverage": 0.99,
        "methods": ["gum"],
    },
    "jcgm100_h2_impedance": {
        "title": "JCGM 100 H.2 Simultaneous resistance and reactance measurement",
        "equations": ["R = V/I*cos(phi)", "X = V/I*sin(phi)", "Z = V/I"],
        "inputs": {
            "V": {"observations": [5.007, 4.994, 5.005, 4.990, 4.999], "unit": "V"},
            "I": {"observations": [19.663, 19.639, 19.640, 19.685, 19.678], "unit": "mA"},
            "phi": {"observations": [1.0456, 1.0438, 1.0468, 1.0428, 1.0433], "unit": "rad"},
        },
        "simultaneous": [["V", "I", "phi"]],
        "output_units": {"R": "ohm", "X": "ohm", "Z": "ohm"},
        "methods": ["gum", "mcm"],
        "mcm": {"trials": 200000, "seed": 1},
    },
    "jcgm101_9_2_4_additive": {
        "title": "JCGM 101 9.2.4 Additive model, three normal and one rectangular input",
        "equations": ["Y = X1 + X2 + X3 + X4"],
        "inputs": {
            "X1": {"dist": "normal", "mean": 0.0, "std": 1.0},
            "X2": {"dist": "normal", "mean": 0.0, "std": 1.0},
            "X3": {"dist": "normal", "mean": 0.0, "std": 1.0},
            "X4": {"dist": "rectangular", "low": -10 * SQRT3, "high": 10 * SQRT3},
        },
        "mcm": {"trials": 1000000, "seed": 1},
    },
    "jcgm101_9_3_mass": {
        "title": "JCGM 101 9.3 Mass calibration",
        "equations": ["dm = (m_R + dm_R)*(1 + (rho_a - rho_a0)*(1/rho_W - 1/rho_R)) - m_nom"],
        "constants": {
            "rho_a0": {"value": 1.2, "unit": "kg/m^3"},
            "m_nom": {"value": 100000.0, "unit": "mg"},
        },
        "inputs": {
            "m_R": {"dist": "normal", "mean": 100000.0, "std": 0.050, "unit": "mg"},
            "dm_R": {"dist": "normal", "mean": 1.234, "std": 0.020, "unit": "mg"},
            "rho_a": {"dist": "rectangular", "low": 1.10, "high": 1.30, "unit": "kg/m^3"},
            "rho_W": {"dist": "rectangular", "low": 7000.0, "high": 9000.0, "unit": "kg/m^3"},
            "rho_R": {"dist": "rectangular", "low": 7950.0, "high": 8050.0, "unit": "kg/m^3"},
        },
        "output_units": {"dm": "mg"},
        "coverage": 0.95,
        "methods": ["gum", "mcm"],
        "mcm": {"trials": 1000000, "seed": 1},
    },
    "jcgm101_9_4_comparison_loss": {
        "title": "JCGM 101 9.4 Comparison loss in microwave power meter calibration "
        "(x1 = 0.010, r = 0.9)",
        "equations": ["dY = X1**2 + X2**2"],
        "inputs": {
            "X1": {"dist": "normal", "mean": 0.010, "std": 0.005},
            "X2": {"dist": "normal", "mean": 0.0, "std": 0.005},
        },
        "correlations": [["X1", "X2", 0.9]],
        "second_order": True,
        "mcm": {"trials": 1000000, "seed": 1},
    },
    "jcgm101_9_5_gauge_block": {
        "title": "JCGM 101 9.5 Gauge block calibration (deviation from 50 mm, nm)",
        "equations": [
            "dl = l_s - 50000000 + d + d1 + d2 "
            "- l_s*(delta_alpha*(theta0 + Delta) + alpha_s*delta_theta)"
        ],
        "inputs": {
            "l_s": {"dist": "t", "mean": 50000623.0, "scale": 25.0, "dof": 18},
            "d": {"dist": "t", "mean": 215.0, "scale": 5.8, "dof": 24},
            "d1": {"dist": "t", "mean": 0.0, "scale": 3.9, "dof": 5},
            "d2": {"dist": "t", "mean": 0.0, "scale": 6.7, "dof": 8},
            "alpha_s": {"dist": "rectangular", "low": 9.5e-6, "high": 13.5e-6},
            "theta0": {"dist": "normal", "mean": -0.1, "std": 0.2},
            "Delta": {"dist": "arcsine", "low": -0.5, "high": 0.5},
            "delta_alpha": {"dist": "ctrap", "low": -1e-6, "high": 1e-6, "d": 0.1e-6},
            "delta_theta": {"dist": "ctrap", "low": -0.050, "high": 0.050, "d": 0.025},
        },
        "coverage": 0.99,
        "mcm": {"trials": 1000000, "seed": 1},
    },
}


def example(name: str) -> dict[str, Any]:
    """A deep copy of one worked example (safe to modify); KeyError if unknown."""
    return copy.deepcopy(EXAMPLES[name])
