"""JCGM 100:2008 (GUM) Annex H worked examples, reproduced to the digits published.

Published figures: JCGM 100:2008 H.1 (Tables H.1 and text H.1.3-H.1.7), H.2 (Table H.2,
H.4), H.3 (Tables H.6, H.7 and text H.3.3-H.3.4).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from jiliang.uncertainty import EXAMPLES, evaluate, linear_calibration, welch_satterthwaite


def rnd(x: float, digits: int) -> float:
    return round(x, digits)


# ------------------------------------------------------------------ H.1 end gauge
def test_h1_end_gauge_guf_jcgm100_h1():
    """JCGM 100 H.1.5-H.1.6: u_c(l) = 32 nm, nu_eff = 16, t_99(16) = 2.92, U_99 = 93 nm,
    l = 50.000 838 mm."""
    r = evaluate(EXAMPLES["jcgm100_h1_end_gauge"])["outputs"]["l"]["gum"]
    assert rnd(r["value"], 0) == 50000838.0  # nm
    assert rnd(r["std_uncertainty"], 0) == 32.0
    assert int(r["dof"]) == 16
    assert rnd(r["coverage_factor"], 2) == 2.92
    assert rnd(r["expanded_uncertainty"], 0) == 93.0


def test_h1_budget_table_h1():
    """JCGM 100 Table H.1: contributions |c_i| u(x_i) of 25 nm (l_s), 2.9 nm (delta_alpha),
    16.6 nm (delta_theta), sensitivity -575 nm/degC for delta_theta, 0 for alpha_s and theta."""
    budget = {
        b["input"]: b
        for b in evaluate(EXAMPLES["jcgm100_h1_end_gauge"])["outputs"]["l"]["gum"]["budget"]
    }
    assert rnd(abs(budget["l_s"]["contribution"]), 0) == 25.0
    assert rnd(abs(budget["delta_alpha"]["contribution"]), 1) == 2.9
    # Table H.1 lists 16.6 nm from c = -575 nm/degC rounded; the exact product is 16.7
    assert abs(budget["delta_theta"]["contribution"]) == pytest.approx(16.6, abs=0.1)
    assert rnd(budget["delta_theta"]["sensitivity"], 0) == -575.0
    assert budget["alpha_s"]["sensitivity"] == 0.0
    assert budget["theta"]["sensitivity"] == 0.0


def test_h1_combined_difference_d_jcgm100_h1_3_2():
    """JCGM 100 H.1.3.2: u(d) = 9.7 nm with nu(d) = 25.6 from the three components.

    The GUM puts the rounded u(d) = 9.7 nm into eq. (G.2b); with the unrounded 9.68 nm the
    same formula gives 25.4."""
    doc = {
        "equations": ["dd = d + d1 + d2"],
        "inputs": {k: EXAMPLES["jcgm100_h1_end_gauge"]["inputs"][k] for k in ("d", "d1", "d2")},
        "methods": ["gum"],
    }
    r = evaluate(doc)["outputs"]["dd"]["gum"]
    assert rnd(r["std_uncertainty"], 1) == 9.7
    assert rnd(r["dof"], 1) == 25.4
    assert rnd(welch_satterthwaite(9.7, [5.8, 3.9, 6.7], [24, 5, 8]), 1) == 25.6


def test_h1_second_order_jcgm100_h1_7():
    """JCGM 100 H.1.7: with the second-order terms of the 5.1.2 note, u_c(l) = 34 nm."""
    doc = copy.deepcopy(EXAMPLES["jcgm100_h1_end_gauge"])
    doc["second_order"] = True
    r = evaluate(doc)["outputs"]["l"]["gum"]
    assert rnd(r["std_uncertainty"], 0) == 34.0
    assert rnd(r["std_uncertainty_first_order"], 0) == 32.0


# ------------------------------------------------------------------ H.2 impedance
def test_h2_simultaneous_resistance_reactance_jcgm100_h2():
    """JCGM 100 Table H.4 (approach 1): R = 127.732 ohm, u = 0.071 ohm; X = 219.847 ohm,
    u = 0.295 ohm; Z = 254.260 ohm, u = 0.236 ohm; r(R,X) = -0.588, r(R,Z) = -0.485,
    r(X,Z) = 0.993.  Approach 1 gives u(X) = 0.29558 (approach 2 of H.2.4: 0.29549), so
    u(X) is checked to within 0.6 of the last published digit."""
    doc = copy.deepcopy(EXAMPLES["jcgm100_h2_impedance"])
    doc["methods"] = ["gum"]
    res = evaluate(doc)
    out = res["outputs"]
    assert out["R"]["unit"] == "Ω"
    assert rnd(out["R"]["gum"]["value"], 3) == 127.732
    assert rnd(out["X"]["gum"]["value"], 3) == 219.847
    assert rnd(out["Z"]["gum"]["value"], 3) == 254.260
    assert rnd(out["R"]["gum"]["std_uncertainty"], 3) == 0.071
    assert out["X"]["gum"]["std_uncertainty"] == pytest.approx(0.295, abs=0.0006)
    assert rnd(out["Z"]["gum"]["std_uncertainty"], 3) == 0.236
    r = np.array(res["correlation"]["gum"])
    assert rnd(r[0, 1], 3) == -0.588
    assert rnd(r[0, 2], 3) == -0.485
    assert rnd(r[1, 2], 3) == 0.993
    # GUM H.2: the input correlation coefficients r(V,I) = -0.36, r(V,phi) = 0.86,
    # r(I,phi) = -0.65, and each u carries nu = n - 1 = 4 degrees of freedom
    assert out["R"]["gum"]["dof"] == pytest.approx(4.0)
    assert rnd(out["R"]["gum"]["coverage_factor"], 2) == 2.78


def test_h2_mcm_multivariate_t():
    """MCM for simultaneous observations: multivariate t with n - 1 = 4 dof and scale S/n
    (JCGM 101 6.4.9.7 extended to a group); std = GUM u * sqrt(nu/(nu-2)) for this nearly
    linear model, and the output correlations match the GUM's (JCGM 102)."""
    res = evaluate(EXAMPLES["jcgm100_h2_impedance"])
    for name in ("R", "X", "Z"):
        g, m = res["outputs"][name]["gum"], res["outputs"][name]["mcm"]
        assert m["value"] == pytest.approx(g["value"], abs=3 * m["std_uncertainty"] / 400)
        # the variance of a t_4 variate is unstable; allow 4 %
        assert m["std_uncertainty"] == pytest.approx(g["std_uncertainty"] * np.sqrt(2), rel=0.04)
    r = np.array(res["correlation"]["mcm"])
    assert r[1, 2] == pytest.approx(0.993, abs=0.003)
    assert r[0, 1] == pytest.approx(-0.588, abs=0.03)


# ------------------------------------------------------------------ H.3 thermometer
T_K = [21.521, 22.012, 22.512, 23.003, 23.507, 23.999, 24.513, 25.002, 25.503, 26.010, 26.511]
B_K = [-0.171, -0.169, -0.166, -0.159, -0.164, -0.165, -0.156, -0.157, -0.159, -0.161, -0.160]


def test_h3_thermometer_least_squares_jcgm100_h3():
    """JCGM 100 H.3.3: y1 = -0.1712 degC, s(y1) = 0.0029 degC, y2 = 0.00218,
    s(y2) = 0.00067, r(y1, y2) = -0.930, s = 0.0035 degC, nu = 9;
    H.3.4: b(30 degC) = -0.1494 degC with u = 0.0041 degC."""
    fit = linear_calibration(T_K, B_K, x0=20.0)
    assert rnd(fit.intercept, 4) == -0.1712
    assert rnd(fit.u_intercept, 4) == 0.0029
    assert rnd(fit.slope, 5) == 0.00218
    assert rnd(fit.u_slope, 5) == 0.00067
    assert rnd(fit.correlation, 3) == -0.930
    assert rnd(fit.residual_std, 4) == 0.0035
    assert fit.dof == 9
    value, u = fit.predict(30.0)
    assert rnd(float(value), 4) == -0.1494
    assert rnd(float(u), 4) == 0.0041


def test_h3_prediction_through_the_engine():
    """The same prediction as a measurement model with correlated inputs (GUM 5.2.2):
    b(t) = y1 + y2 (t - t0) with r(y1, y2) from the fit gives u = 0.0041 degC."""
    fit = linear_calibration(T_K, B_K, x0=20.0)
    doc = {
        "equations": ["b = y1 + y2*(t - t0)"],
        "constants": {"t": 30.0, "t0": 20.0},
        "inputs": {
            "y1": {"dist": "normal", "mean": fit.intercept, "std": fit.u_intercept},
            "y2": {"dist": "normal", "mean": fit.slope, "std": fit.u_slope},
        },
        "correlations": [["y1", "y2", fit.correlation]],
        "methods": ["gum", "mcm"],
        "mcm": {"trials": 200_000, "seed": 3},
    }
    out = evaluate(doc)["outputs"]["b"]
    assert rnd(out["gum"]["value"], 4) == -0.1494
    assert rnd(out["gum"]["std_uncertainty"], 4) == 0.0041
    assert out["mcm"]["std_uncertainty"] == pytest.approx(0.0041, abs=0.00005)
