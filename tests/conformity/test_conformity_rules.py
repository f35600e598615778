"""Decision rules (ILAC-G8:09/2019)."""

from __future__ import annotations

import pytest
from scipy import stats

from jiliang.conformity import DecisionRule, RiskError, decide


def test_ilac_g8_4_2_1_simple_acceptance_risk_up_to_50_percent():
    """ILAC-G8:09/2019 4.2.1: simple acceptance (w = 0), AL = TL; a value on the limit passes
    with a specific false-accept probability of 50 % (as stated e.g. by TUV Rheinland's
    published decision-rule notice citing ILAC-G8:09/2019)."""
    d = decide(2.0, 0.2, [-2.0, 2.0], DecisionRule("simple"))
    assert d.verdict == "pass"
    assert d.acceptance_limits == (-2.0, 2.0)
    assert 1 - d.conformance_probability == pytest.approx(0.5)
    assert DecisionRule("simple").max_specific_pfa() == 0.5
    assert decide(2.01, 0.2, [-2.0, 2.0], "simple").verdict == "fail"


def test_ilac_g8_4_2_2_guard_band_w_equals_U_pfa_below_2_5_percent():
    """ILAC-G8:09/2019 4.2.2, binary statement with guard band w = U (k = 2): AL = TL - w and
    the probability of false acceptance is < 2.5 % (SGS decision-rule statement "Case 2" citing
    ILAC-G8:09/2019; JCGM 106 8.3.3)."""
    rule = DecisionRule("guard_band", r=1.0)
    d = decide(1.8, 0.2, [-2.0, 2.0], rule)
    assert d.verdict == "pass"
    assert d.acceptance_limits == (pytest.approx(-1.8), pytest.approx(1.8))
    assert d.guard_band == pytest.approx(0.2)
    assert 1 - d.conformance_probability < 0.025
    assert rule.max_specific_pfa() == pytest.approx(0.02275, abs=1e-5)
    assert decide(1.81, 0.2, [-2.0, 2.0], rule).verdict == "fail"


@pytest.mark.parametrize("r", [0.83, 1.0, 1.5, 3.0])
def test_guard_band_multiples_specific_risk_is_one_minus_phi_2r(r):
    """Specific PFA at the acceptance limit for w = rU, k = 2, normal PDF: 1 - Phi(2r)."""
    rule = DecisionRule("guard_band", r=r)
    big_u = 0.1
    d = decide(1.0 - r * big_u, big_u, [None, 1.0], rule)
    assert 1 - d.conformance_probability == pytest.approx(stats.norm.sf(2 * r), rel=1e-9)
    assert rule.max_specific_pfa() == pytest.approx(stats.norm.sf(2 * r))


def test_ilac_g8_4_2_3_non_binary_statements():
    """ILAC-G8:09/2019 4.2.3 (Figure 5): pass / conditional pass / conditional fail / fail with
    guard band w = U."""
    rule = DecisionRule("non_binary", r=1.0)
    limits = [-2.0, 2.0]
    assert decide(1.5, 0.3, limits, rule).verdict == "pass"
    assert decide(1.9, 0.3, limits, rule).verdict == "conditional_pass"
    assert decide(2.1, 0.3, limits, rule).verdict == "conditional_fail"
    assert decide(2.4, 0.3, limits, rule).verdict == "fail"
    assert decide(-2.1, 0.3, limits, rule).verdict == "conditional_fail"
    assert decide(1.9, 0.3, limits, rule).passed
    assert decide(1.9, 0.3, limits, rule).label("zh") == "有条件合格"
    assert decide(2.4, 0.3, limits, rule).label("en") == "Fail"


def test_pfa_target_rule():
    rule = DecisionRule("pfa_target", target_pfa=0.01, coverage_factor=2.0)
    d = decide(0.0, 0.2, [None, 1.0], rule)
    w = 0.1 * stats.norm.isf(0.01)
    assert d.guard_band == pytest.approx(w)
    edge = decide(1.0 - w, 0.2, [None, 1.0], rule)
    assert edge.verdict == "pass"
    assert 1 - edge.conformance_probability == pytest.approx(0.01, abs=1e-12)


def test_one_sided_lower_limit_and_empty_acceptance_zone():
    assert decide(5.0, 0.2, [4.0, None], DecisionRule("guard_band")).verdict == "pass"
    assert decide(4.1, 0.2, [4.0, None], DecisionRule("guard_band")).verdict == "fail"
    # guard band larger than half the tolerance: nothing can pass
    d = decide(0.0, 1.5, [-1.0, 1.0], DecisionRule("guard_band"))
    assert d.verdict == "fail"


def test_rule_round_trip_and_descriptions():
    rule = DecisionRule("non_binary", r=0.5, reference="合同 2024-17 / contract 2024-17")
    stored = rule.to_dict()
    assert DecisionRule.from_dict(stored) == rule
    assert DecisionRule.from_dict("simple") == DecisionRule()
    zh, en = rule.describe("zh"), rule.describe("en")
    assert "ILAC-G8" in zh and "非二元" in zh and "2024-17" in zh
    assert "non-binary" in en and "0.5U" in en
    for kind in ("simple", "guard_band", "pfa_target", "non_binary"):
        r = DecisionRule(kind)
        assert r.describe("zh") != r.describe("en")
    out = decide(1.0, 0.1, [0, 2], rule).to_dict()
    assert out["rule"] == stored and out["verdict_zh"] == "合格"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"kind": "magic"}, "rule.kind"),
        ({"kind": "guard_band", "r": -1}, "rule.r"),
        ({"kind": "pfa_target", "target_pfa": 0.7}, "rule.target_pfa"),
        ({"kind": "guard_band", "coverage_factor": 0}, "rule.coverage_factor"),
        ({"kind": "guard_band", "r": "x"}, "rule.r"),
        ({"kind": "guard_band", "colour": 1}, "rule.colour"),
    ],
)
def test_bad_rules(kwargs, field):
    with pytest.raises(RiskError) as info:
        DecisionRule.from_dict(kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    "args,field",
    [
        ((1.0, -0.1, [0, 2]), "U"),
        ((1.0, 0.1, [2, 0]), "limits"),
        (("a", 0.1, [0, 2]), "measured"),
        ((1.0, 0.1, [None, None]), "limits"),
    ],
)
def test_bad_decide_input(args, field):
    with pytest.raises(RiskError) as info:
        decide(*args, DecisionRule("guard_band"))
    assert info.value.field == field
