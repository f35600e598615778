"""Hypothesis property tests of the verdict (issue 8 acceptance criteria)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiliang.prepackaged import LotError, evaluate, sampling_plan, tolerable_deficiency

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

T_RULES = ["JJF1070-2023", "JJF1070-2005", "OIML-R87-2016", "EU-76/211/EEC"]

# (quantity, unit, nominal strategy) valid for every rule set in T_RULES
PRODUCTS = st.one_of(
    st.tuples(st.just("mass"), st.just("g"), st.integers(5, 10_000).map(float)),
    st.tuples(st.just("volume"), st.just("ml"), st.sampled_from([50.0, 250.0, 330.0, 1500.0])),
    st.tuples(st.just("mass"), st.just("kg"), st.sampled_from([0.5, 1.0, 2.5, 5.0])),
)
OTHER_PRODUCTS = st.one_of(
    st.tuples(st.just("length"), st.just("m"), st.sampled_from([3.0, 5.0, 10.0, 50.0])),
    st.tuples(st.just("area"), st.just("m2"), st.sampled_from([0.5, 2.0, 20.0])),
    st.tuples(st.just("count"), st.just("count"), st.sampled_from([20.0, 50.0, 100.0, 500.0])),
)


@st.composite
def lots(draw, rules_list=T_RULES, with_other=True):
    rules = draw(st.sampled_from(rules_list))
    products = PRODUCTS | OTHER_PRODUCTS if with_other and rules != "EU-76/211/EEC" else PRODUCTS
    quantity, unit, nominal = draw(products)
    low = 100 if rules in ("OIML-R87-2016", "EU-76/211/EEC") else 1
    lot_size = draw(st.integers(low, 20_000))
    plan = sampling_plan(rules, lot_size)
    return {
        "rules": rules,
        "quantity": quantity,
        "unit": unit,
        "nominal": nominal,
        "lot_size": lot_size,
    }, plan["n"]


@SETTINGS
@given(lots(T_RULES + ["NIST-HB133"], with_other=True))
def test_all_packages_at_nominal_pass(case):
    doc, n = case
    if doc["rules"] == "NIST-HB133":
        doc = doc | {"quantity": "mass", "unit": "g", "nominal": min(doc["nominal"], 1000.0)}
        n = sampling_plan("NIST-HB133", doc["lot_size"])["n"]
    res = evaluate(doc | {"net": [doc["nominal"]] * n})
    assert res["verdict"] == "pass", res["reasons"]
    assert res["t1_errors"] == 0 and not res["t2_errors"]


@SETTINGS
@given(lots(), st.data())
def test_one_package_beyond_2t_fails(case, data):
    doc, n = case
    t = tolerable_deficiency(doc["rules"], doc["quantity"], doc["nominal"], doc["unit"])
    k = data.draw(st.integers(0, n - 1))
    excess = data.draw(st.floats(0.001, 0.5)) * doc["nominal"] * 0.01 + 1e-9 * doc["nominal"]
    net = [doc["nominal"]] * n
    net[k] = max(doc["nominal"] - 2 * t - excess, 0.0)
    res = evaluate(doc | {"net": net})
    assert res["verdict"] == "fail"
    assert res["t2_errors"] == 1 and res["t2_indices"] == [k]
    assert "t2_exceeded" in [r["code"] for r in res["reasons"]]


@st.composite
def measured_lots(draw):
    rules = draw(st.sampled_from(T_RULES + ["NIST-HB133"]))
    nominal = draw(st.sampled_from([100.0, 250.0, 500.0, 1000.0]))
    if rules == "EU-76/211/EEC":
        lot_size = draw(st.integers(100, 3200))  # n1 = mean sample: no sub-sampling by order
    elif rules == "OIML-R87-2016":
        lot_size = draw(st.integers(100, 20_000))
    else:
        lot_size = draw(st.integers(1, 20_000))
    n = sampling_plan(rules, lot_size)["n"]
    rel = st.floats(-0.12, 0.06, allow_nan=False)
    net = [round(nominal * (1 + draw(rel)), 2) for _ in range(n)]
    return {
        "rules": rules,
        "quantity": "mass",
        "unit": "g",
        "nominal": nominal,
        "lot_size": lot_size,
        "net": net,
    }


def _outcome(doc):
    try:
        r = evaluate(doc)
    except LotError as e:  # e.g. EU second sample required: must not depend on order either
        return ("error", e.code)
    return (
        r["verdict"],
        r["t1_errors"],
        r["t2_errors"],
        r["mean"],
        r["std"],
        r["mean_limit"],
        sorted(c["code"] for c in r["checks"]),
    )


@SETTINGS
@given(measured_lots(), st.randoms(use_true_random=False))
def test_verdict_invariant_to_measurement_order(doc, rnd):
    shuffled = list(doc["net"])
    rnd.shuffle(shuffled)
    assert _outcome(doc) == _outcome(doc | {"net": shuffled})
    assert _outcome(doc) == _outcome(doc | {"net": sorted(doc["net"], reverse=True)})


FIELD_MUTATIONS = [
    ("net", lambda d, i: d["net"].__setitem__(i, -abs(d["net"][i]) - 1.0), "net[{i}]"),
    ("net", lambda d, i: d["net"].__setitem__(i, str(d["net"][i])), "net[{i}]"),
    ("net", lambda d, i: d.__setitem__("net", d["net"][:-1]), "net"),
    ("unit", lambda d, i: d.__setitem__("unit", "ml" if d["quantity"] == "mass" else "g"), "unit"),
    ("rules", lambda d, i: d.__setitem__("rules", "JJF1070-1999"), "rules"),
    ("nominal", lambda d, i: d.__setitem__("nominal", -d["nominal"]), "nominal"),
    ("nominal", lambda d, i: d.__setitem__("nominal", None), "nominal"),
    ("lot_size", lambda d, i: d.__setitem__("lot_size", -3), "lot_size"),
    ("lot_size", lambda d, i: d.__setitem__("lot_size", "many"), "lot_size"),
]


@SETTINGS
@given(lots(with_other=False), st.sampled_from(FIELD_MUTATIONS), st.data())
def test_invalid_inputs_raise_lot_error_naming_the_field(case, mutation, data):
    doc, n = case
    doc = doc | {"net": [doc["nominal"]] * n}
    _, mutate, field_tpl = mutation
    i = data.draw(st.integers(0, n - 1))
    mutate(doc, i)
    with pytest.raises(LotError) as e:
        evaluate(doc)
    field = field_tpl.format(i=i)
    assert e.value.field == field
    assert field in str(e.value) and e.value.rule in str(e.value)
