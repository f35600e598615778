"""Risk kernel: published figures, cross-checks between methods, and the document interface.

Each test names the public source of the figure it reproduces.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jiliang.conformity import (
    RiskError,
    acceptance_factor_for_pfa,
    acceptance_factor_formula,
    conformance_probability,
    conformance_probability_samples,
    dobbert_m2,
    evaluate_risk,
    global_risk,
    global_risk_many,
    global_risk_pdf,
    sigma_process,
)

# ---------------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------------


def test_jcgm106_9_5_4_ball_bearings_nonconforming_fraction_and_consumer_risk():
    """JCGM 106:2012 9.5.4 (ball bearings, Figure 14): radial error motion ~ gamma(alpha=4,
    beta=4 per um), T_U = 2 um: 4.2 % of bearings are nonconforming before inspection; with a
    measurement of standard uncertainty 0.25 um the global consumer's risk is 0.8 %.
    Figures as reproduced in the Sandia PSL Uncertainty Calculator notebook
    ``doc/API Examples/Risk - Ball Bearing.ipynb`` (0.042380..., 0.008019...)."""
    process = stats.gamma(4, scale=0.25)
    assert process.sf(2.0) == pytest.approx(0.04238011199168401, rel=1e-9)
    pfa, _ = global_risk_pdf(process, 0.25, [None, 2.0])
    assert pfa == pytest.approx(0.008019111884303471, rel=1e-8)
    assert round(pfa * 100, 1) == 0.8


def test_ball_bearing_guard_band_for_0_1_percent_pfa_matches_sandia_notebook():
    """Sandia PSL Uncertainty Calculator, ``Risk - Ball Bearing.ipynb`` (JCGM 106 9.5.4 data):
    the acceptance limit giving 0.1 % PFA is A_U = 1.6718 um (guard band 0.3282 um)."""
    from scipy.optimize import brentq

    process = stats.gamma(4, scale=0.25)

    def excess(a):
        return global_risk_pdf(process, 0.25, [None, 2.0], [None, a])[0] - 0.001

    a_u = brentq(excess, 1.0, 2.0, xtol=1e-12)
    assert a_u == pytest.approx(1.671828771543956, abs=1e-6)


def test_tur4_eopr95_pfa_below_1_percent_pfr_just_over_1_5_percent():
    """H. Zumbrun, "Why a 4:1 TUR is not enough" (Transcat / NCSLI): "a 4:1 TUR with k = 2 and
    95 % end-of-period reliability can equate to less than 1 % false accept and slightly over
    1.5 % false reject"."""
    pfa, pfr = global_risk(0.95, 4.0)
    assert pfa < 0.01
    assert 0.015 < pfr < 0.016
    assert pfa == pytest.approx(0.008583, abs=5e-6)


def test_dobbert_method6_keeps_pfa_below_2_percent_for_any_itp():
    """M. Dobbert, "Guard banding strategy for managing false accept risk" (NCSLI Measure 2008),
    ANSI/NCSL Z540.3 handbook method 6: with A = T - M2% U the PFA is <= 2 % whatever the
    in-tolerance probability. TUR values of Dobbert's Table 2 (as listed in the Sandia
    notebook ``Risk - Dobbert Guardband Derivation.ipynb``)."""
    itp = np.linspace(0.05, 0.999, 3000)
    for tur in [1.1, 1.2, 1.3, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 12, 15, 19]:
        worst = global_risk_many(itp, tur, method="dobbert")["pfa"].max()
        assert worst <= 0.0201, (tur, worst)


def test_tur_4_6_bounds_pfa_by_2_percent_without_guard_band():
    """Dobbert (2008) / Z540.3 handbook: for TUR >= 4.6 the PFA stays below 2 % for every
    end-of-period reliability without any guard band (M2% < 0 there)."""
    itp = np.linspace(0.05, 0.999, 4000)
    assert global_risk_many(itp, 4.6)["pfa"].max() < 0.02
    assert global_risk_many(itp, 4.5)["pfa"].max() > 0.02
    assert dobbert_m2(4.6) < 0 < dobbert_m2(4.5)


def test_guard_band_formulas_as_documented():
    """Formulas per the Sandia PSL Uncertainty Calculator ``suncal/risk/guardband_tur.py`` and
    Dobbert (2008): RSS sqrt(1 - 1/TUR^2); U subtracted 1 - 1/TUR; RP-10 1.25 - 1/TUR (TUR < 4);
    Dobbert 1 - M2%/TUR with M2% = 1.04 - exp(0.38 ln TUR - 0.54)."""
    tur = 2.0
    assert acceptance_factor_formula("rss", tur) == pytest.approx(math.sqrt(0.75))
    assert acceptance_factor_formula("u", tur) == pytest.approx(0.5)
    assert acceptance_factor_formula("rp10", tur) == pytest.approx(0.75)
    assert acceptance_factor_formula("rp10", 5.0) == 1.0
    m = 1.04 - math.exp(0.38 * math.log(2.0) - 0.54)
    assert acceptance_factor_formula("dobbert", tur) == pytest.approx(1 - m / 2.0)
    assert acceptance_factor_formula("dobbert", 10.0) == 1.0  # M < 0: no widening
    assert acceptance_factor_formula("none", tur) == 1.0


def test_jcgm106_7_conformance_probability_normal():
    """JCGM 106:2012 7.3/7.4: p_c = Phi((T_U - y)/u) - Phi((T_L - y)/u). A value on a limit has
    p_c = 50 %; a value U = 2u inside a single limit has p_c = Phi(2) = 97.7 % (8.3.3)."""
    assert conformance_probability(2.0, 0.1, None, 2.0) == pytest.approx(0.5)
    assert conformance_probability(1.8, 0.1, None, 2.0) == pytest.approx(0.9772498680518208)
    assert conformance_probability(0.0, 1.0, -2.0, 2.0) == pytest.approx(0.9544997361036416)
    assert conformance_probability(5.0, 1.0, 2.0, None) == pytest.approx(stats.norm.cdf(3.0))


def test_conformance_probability_from_monte_carlo_samples():
    """JCGM 106:2012 7.1 with a JCGM 101 output PDF: the fraction of samples inside the limits
    converges to the normal result."""
    rng = np.random.default_rng(20120101)
    samples = rng.normal(1.8, 0.1, 400_000)
    pc = conformance_probability_samples(samples, None, 2.0)
    assert pc == pytest.approx(0.97725, abs=1.5e-3)
    res = evaluate_risk({"samples": samples[:20000].tolist(), "limits": [None, 2.0]})
    assert res["pdf"] == "monte_carlo" and 0.96 < res["conformance_probability"] < 0.99


# ---------------------------------------------------------------------------------------------
# Cross-checks between independent computations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "itp,tur,bias,a",
    [
        (0.95, 4, 0, 1),
        (0.8, 1.5, 0.2, 0.9),
        (0.99, 10, 0, 0.95),
        (0.6, 2, -0.5, 0.7),
        (0.5, 1, 0, 1.1),
        (0.999, 3, 0.1, 0.8),
    ],
)
def test_quadrature_equals_closed_form(itp, tur, bias, a):
    """scipy quad (global_risk) vs bivariate normal / Owen's T (global_risk_many)."""
    q = global_risk(itp, tur, a, bias)
    c = global_risk_many(itp, tur, bias, acceptance_factor=a)
    assert q[0] == pytest.approx(c["pfa"][0], abs=1e-10)
    assert q[1] == pytest.approx(c["pfr"][0], abs=1e-10)


def test_normal_model_equals_general_pdf_integration():
    sp = sigma_process(0.9)
    gen = global_risk_pdf(stats.norm(0, sp), 1 / 6, [-1, 1], [-0.9, 0.9])
    assert gen == pytest.approx(global_risk(0.9, 3, 0.9), abs=1e-10)


def test_sigma_process_with_bias_reaches_itp():
    sp = sigma_process(0.9, 0.3)
    x = stats.norm(0.3, sp)
    assert x.cdf(1) - x.cdf(-1) == pytest.approx(0.9, abs=1e-12)
    many = global_risk_many([0.9], [4], [0.3])["sigma_process"][0]
    assert many == pytest.approx(sp, rel=1e-9)


def test_pfa_target_guard_band_scalar_and_vector():
    a = acceptance_factor_for_pfa(0.9, 2.0, 0.01)
    pfa, _ = global_risk(0.9, 2.0, a)
    assert pfa == pytest.approx(0.01, abs=1e-9)
    many = global_risk_many([0.9, 0.99], [2.0, 10.0], method="pfa", target=0.01)
    assert many["pfa"][0] == pytest.approx(0.01, abs=1e-9)
    assert many["acceptance_factor"][1] == 1.0  # already below target


# ---------------------------------------------------------------------------------------------
# Document interface
# ---------------------------------------------------------------------------------------------


def test_evaluate_global_document_from_issue():
    res = evaluate_risk(
        {"itp": 0.95, "tur": 4, "bias": 0, "guardband": {"method": "pfa", "target": 0.002}}
    )
    assert {"pfa", "pfr", "acceptance_factor"} <= set(res)
    assert res["pfa"] == pytest.approx(0.002, abs=1e-8)
    assert res["acceptance_factor"] < 1
    assert res["pfa_no_guard_band"] > res["pfa"]
    for method in ("none", "rss", "u", "rp10", "dobbert"):
        r = evaluate_risk({"itp": 0.95, "tur": 2, "guardband": {"method": method}})
        assert 0 <= r["pfa"] <= 0.05 and 0 <= r["pfr"] <= 1
        assert r["method"] == method


def test_evaluate_specific_document_from_issue():
    res = evaluate_risk({"measured": 1.8, "u": 0.1, "limits": [-2, 2]})
    assert res["conformance_probability"] == pytest.approx(0.97725, abs=1e-5)
    one_sided = evaluate_risk({"measured": 1.8, "u": 0.1, "limits": [None, 2]})
    assert one_sided["conformance_probability"] == pytest.approx(0.9772498680518208)


def test_evaluate_specific_with_rule():
    res = evaluate_risk(
        {
            "measured": 1.85,
            "u": 0.1,
            "k": 2,
            "limits": [-2, 2],
            "rule": {"kind": "guard_band", "r": 1},
        }
    )
    assert res["decision"]["verdict"] == "fail"
    assert res["decision"]["acceptance_limits"] == [-1.8, 1.8]


@pytest.mark.parametrize(
    "doc,field",
    [
        ({"itp": 1.0, "tur": 4}, "itp"),
        ({"itp": 0.0, "tur": 4}, "itp"),
        ({"itp": 0.9, "tur": 0}, "tur"),
        ({"itp": 0.9, "tur": -1}, "tur"),
        ({"itp": "x", "tur": 4}, "itp"),
        ({"itp": 0.9}, "tur"),
        ({"itp": 0.9, "tur": 4, "guardband": {"method": "magic"}}, "guardband.method"),
        ({"itp": 0.9, "tur": 4, "guardband": {"method": "pfa", "target": 2}}, "guardband.target"),
        ({"itp": 0.9, "tur": 0.8, "guardband": {"method": "rss"}}, "tur"),
        ({"itp": 0.9, "tur": 4, "guardband": "rss"}, "guardband"),
        ({"itp": 0.9, "tur": 4, "colour": 1}, "colour"),
        ({"itp": 0.9, "tur": 4, "bias": 3.0}, "itp"),
        ({"measured": 1, "u": 0.1, "limits": [2, 1]}, "limits"),
        ({"measured": 1, "u": 0.1, "limits": [2, 2]}, "limits"),
        ({"measured": 1, "u": 0, "limits": [0, 2]}, "u"),
        ({"measured": 1, "u": -1, "limits": [0, 2]}, "u"),
        ({"measured": 1, "u": 0.1, "limits": [None, None]}, "limits"),
        ({"measured": 1, "u": 0.1, "limits": 5}, "limits"),
        ({"measured": 1, "u": 0.1}, "limits"),
        ({"u": 0.1, "limits": [0, 1]}, "measured"),
        ({"measured": float("nan"), "u": 0.1, "limits": [0, 1]}, "measured"),
        ({"samples": [1.0], "limits": [0, 1]}, "samples"),
        ({"samples": ["a", "b"], "limits": [0, 1]}, "samples"),
        ({"measured": 1, "u": 0.1, "limits": [0, 2], "itp": 0.9}, "document"),
        ({}, "document"),
    ],
)
def test_bad_documents_raise_risk_error_naming_the_field(doc, field):
    with pytest.raises(RiskError) as info:
        evaluate_risk(doc)
    assert info.value.field == field
    assert field in str(info.value)
    assert info.value.message("zh") and info.value.message("en")


def test_evaluate_rejects_non_dict():
    with pytest.raises(RiskError):
        evaluate_risk([1, 2])  # type: ignore[arg-type]


def test_global_risk_many_validates():
    with pytest.raises(RiskError):
        global_risk_many([0.9, 1.2], [4, 4])
    with pytest.raises(RiskError):
        global_risk_many([0.9], [0])
    with pytest.raises(RiskError):
        global_risk_many([0.9, 0.9], [4, 4, 4])


def test_results_are_json_serialisable():
    import json

    docs = [
        {"itp": 0.95, "tur": 4, "guardband": {"method": "dobbert"}},
        {"measured": 1.0, "u": 0.1, "limits": [0, 2], "rule": {"kind": "non_binary"}},
        {"samples": [0.1, 0.2, 0.3], "limits": [None, 0.25]},
    ]
    for doc in docs:
        assert json.loads(json.dumps(evaluate_risk(doc)))
