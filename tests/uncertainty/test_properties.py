"""Properties: linear models give GUM = MCM within Monte Carlo noise; batch = scalar;
derivatives are exact; seeds reproduce; results are JSON; units convert."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.uncertainty import (
    EXAMPLES,
    compile_model,
    coverage_intervals,
    evaluate,
    format_report,
    gum_batch,
    tolerance,
)
from jiliang.uncertainty import expr as ex

M = 40_000

dist_specs = st.one_of(
    st.builds(
        lambda m, s: {"dist": "normal", "mean": m, "std": s},
        st.floats(-100, 100),
        st.floats(0.01, 10),
    ),
    st.builds(
        lambda lo, w: {"dist": "rectangular", "low": lo, "high": lo + w},
        st.floats(-100, 100),
        st.floats(0.01, 10),
    ),
    st.builds(
        lambda lo, w: {"dist": "triangular", "low": lo, "high": lo + w},
        st.floats(-100, 100),
        st.floats(0.01, 10),
    ),
    st.builds(
        lambda lo, w: {"dist": "arcsine", "low": lo, "high": lo + w},
        st.floats(-100, 100),
        st.floats(0.01, 10),
    ),
    st.builds(
        lambda lo, w, b: {"dist": "trapezoidal", "low": lo, "high": lo + w, "beta": b},
        st.floats(-100, 100),
        st.floats(0.01, 10),
        st.floats(0, 1),
    ),
    st.builds(
        lambda lo, w, d: {"dist": "ctrap", "low": lo, "high": lo + w, "d": 0.999 * d * w / 2},
        st.floats(-100, 100),
        st.floats(0.01, 10),
        st.floats(0, 1),
    ),
    st.builds(
        lambda m, s: {"dist": "t", "mean": m, "scale": s, "dof": 30},
        st.floats(-100, 100),
        st.floats(0.01, 10),
    ),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.1, 10)),
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-5, 5).filter(lambda c: abs(c) > 1e-3), dist_specs),
        min_size=1,
        max_size=5,
    ),
    st.floats(-0.8, 0.8),
    st.integers(0, 2**32 - 1),
)
def test_linear_models_gum_equals_mcm(terms, rho, seed):
    """For y = sum c_i x_i the GUM mean and u(y) are exact: MCM must agree within noise
    (std error of the mean u/sqrt(M), of the std about u/sqrt(M) times a kurtosis factor)."""
    inputs = {f"x{i}": spec for i, (_, spec) in enumerate(terms)}
    eq = "y = " + " + ".join(f"({c!r})*x{i}" for i, (c, _) in enumerate(terms))
    doc = {"equations": [eq], "inputs": inputs, "mcm": {"trials": M, "seed": seed}}
    # correlation only between normal inputs: JCGM 101 6.4.8 (multivariate normal).  With
    # other marginals the Gaussian-copula parameter is not their Pearson correlation (for
    # two rectangular inputs it is (6/pi) asin(r/2)), so the GUM and MCM covariances differ.
    if len(terms) > 1 and terms[0][1]["dist"] == terms[1][1]["dist"] == "normal":
        doc["correlations"] = [["x0", "x1", rho]]
    else:
        rho = 0.0
    res = evaluate(doc)
    g, m = res["outputs"]["y"]["gum"], res["outputs"]["y"]["mcm"]
    u = g["std_uncertainty"]
    # the GUM takes u = scale for a t input; the MCM samples t_nu with variance
    # scale^2 nu/(nu - 2) (JCGM 101 6.4.9): compare with that
    inflate = [math.sqrt(30 / 28) if spec["dist"] == "t" else 1.0 for _, spec in terms]
    std_i = [b["std_uncertainty"] * f for b, f in zip(g["budget"], inflate, strict=True)]
    var = sum((c * s) ** 2 for (c, _), s in zip(terms, std_i, strict=True))
    if len(terms) > 1:
        var += 2 * rho * terms[0][0] * terms[1][0] * std_i[0] * std_i[1]
    u = math.sqrt(var)
    assert m["value"] == pytest.approx(
        g["value"], abs=5 * u / math.sqrt(M) + 1e-9 * abs(g["value"])
    )
    assert m["std_uncertainty"] == pytest.approx(u, rel=0.035)
    json.dumps(res, allow_nan=False)


def test_independent_linear_normal_intervals_match():
    doc = {
        "equations": ["y = 2*a - 3*b + 1"],
        "inputs": {
            "a": {"dist": "normal", "mean": 1, "std": 0.5},
            "b": {"dist": "normal", "mean": -2, "std": 0.2},
        },
        "mcm": {"trials": 1_000_000, "seed": 4},
    }
    out = evaluate(doc)["outputs"]["y"]
    assert out["mcm"]["interval_symmetric"] == pytest.approx(out["gum"]["interval"], abs=0.01)
    assert out["validation"]["passed_symmetric"]


def test_seed_reproduces_and_threads_do_not_matter():
    doc = copy.deepcopy(EXAMPLES["jcgm101_9_3_mass"])
    doc["mcm"] = {"trials": 100_000, "seed": 42, "threads": 2}
    a = evaluate(doc)
    b = evaluate(doc)
    doc["mcm"]["threads"] = 1
    c = evaluate(doc)
    assert a == b == c
    doc["mcm"]["seed"] = 43
    assert evaluate(doc)["outputs"]["dm"]["mcm"]["value"] != a["outputs"]["dm"]["mcm"]["value"]


def test_examples_are_json_and_report_renders():
    for name, doc in EXAMPLES.items():
        d = copy.deepcopy(doc)
        if "mcm" in d:
            d["mcm"] = {**d["mcm"], "trials": 20_000}
        res = evaluate(d)
        text = json.dumps(res, allow_nan=False)
        assert "NaN" not in text and "Infinity" not in text
        zh = format_report(res)
        en = format_report(res, lang="en")
        assert "不确定度" in zh and "uncertainty" in en, name


def test_infinite_dof_is_null_and_histogram_counts():
    doc = {
        "equations": ["y = a"],
        "inputs": {"a": {"dist": "normal", "mean": 0, "std": 1}},
        "mcm": {"trials": 10_000, "seed": 1},
    }
    out = evaluate(doc)["outputs"]["y"]
    assert out["gum"]["dof"] is None
    assert out["gum"]["budget"][0]["dof"] is None
    h = out["mcm"]["histogram"]
    assert len(h["edges"]) == len(h["counts"]) + 1
    assert sum(h["counts"]) + h["below"] + h["above"] == 10_000


# ------------------------------------------------------------------ derivatives
@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [
            "sin(a)*cos(b)",
            "exp(a/b)",
            "log(a**2 + b**2)",
            "sqrt(a*a + 1)/b",
            "atan2(a, b)",
            "a**b",
            "tanh(a) - sinh(b/3)",
            "asin(a/3)",
            "acos(b/4)",
            "log10(abs(a) + 2)",
            "cosh(a)*atan(b)",
            "tan(a/2)",
            "-a/(1 + b**2)",
        ]
    ),
    st.floats(0.2, 1.5),
    st.floats(0.2, 1.5),
)
def test_symbolic_derivatives_match_complex_step(text, a, b):
    """Exact derivatives agree with an independent complex-step reference."""
    tree = ex.parse_expression(text)
    import cmath

    fns = {
        "sin": cmath.sin,
        "cos": cmath.cos,
        "exp": cmath.exp,
        "log": cmath.log,
        "sqrt": cmath.sqrt,
        "atan2": lambda y, x: cmath.atan(y / x),
        "tanh": cmath.tanh,
        "sinh": cmath.sinh,
        "asin": cmath.asin,
        "acos": cmath.acos,
        "log10": cmath.log10,
        "abs": lambda z: z if z.real >= 0 else -z,
        "cosh": cmath.cosh,
        "atan": cmath.atan,
        "tan": cmath.tan,
    }

    def f(za, zb):
        def go(n):
            if isinstance(n, ex.Num):
                return complex(n.value)
            if isinstance(n, ex.Var):
                return {"a": za, "b": zb}[n.name]
            args = [go(x) for x in n.args]
            ops = {
                "+": lambda x, y: x + y,
                "-": lambda x, y: x - y,
                "*": lambda x, y: x * y,
                "/": lambda x, y: x / y,
                "**": lambda x, y: x**y,
                "neg": lambda x: -x,
            }
            return (ops.get(n.op) or fns[n.op])(*args)

        return go(tree)

    h = 1e-30
    da = f(complex(a, h), complex(b)).imag / h
    db = f(complex(a), complex(b, h)).imag / h
    env = {"a": a, "b": b}
    assert float(ex.evaluate(ex.diff(tree, "a"), env)) == pytest.approx(da, rel=1e-9, abs=1e-12)
    assert float(ex.evaluate(ex.diff(tree, "b"), env)) == pytest.approx(db, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ batch
def test_gum_batch_equals_scalar_evaluation():
    doc = {
        "equations": ["y = a*exp(-b/c) + sqrt(d)*e/f"],
        "inputs": {
            n: {"dist": "normal", "mean": v, "std": 0.01 * v, "dof": 10 + i}
            for i, (n, v) in enumerate(zip("abcdef", [2.0, 1.0, 3.0, 4.0, 0.5, 2.5], strict=True))
        },
        "correlations": [["a", "b", 0.3]],
        "methods": ["gum"],
    }
    rng = np.random.default_rng(0)
    pts = {"a": rng.uniform(1, 3, 50), "d": rng.uniform(2, 5, 50)}
    batch = gum_batch(doc, pts)["y"]
    for j in (0, 17, 49):
        d = copy.deepcopy(doc)
        d["inputs"]["a"]["mean"] = float(pts["a"][j])
        d["inputs"]["d"]["mean"] = float(pts["d"][j])
        g = evaluate(d)["outputs"]["y"]["gum"]
        assert batch["value"][j] == pytest.approx(g["value"], rel=1e-12)
        assert batch["std_uncertainty"][j] == pytest.approx(g["std_uncertainty"], rel=1e-12)
        assert batch["dof"][j] == pytest.approx(g["dof"], rel=1e-9)
        assert batch["expanded_uncertainty"][j] == pytest.approx(
            g["expanded_uncertainty"], rel=1e-9
        )


def test_gum_batch_with_units_and_std_arrays():
    model = compile_model(EXAMPLES["jcgm101_9_3_mass"])
    res = gum_batch(model, {"dm_R": [1.234, 2.0]}, {"m_R": [0.050, 0.1]})["dm"]
    assert res["value"] == pytest.approx([1.234, 2.0], abs=1e-8)
    assert res["std_uncertainty"][0] == pytest.approx(0.0539, abs=5e-5)
    assert res["std_uncertainty"][1] == pytest.approx(math.hypot(0.1, 0.02), rel=1e-6)


# ------------------------------------------------------------------ units
def test_units_convert_between_prefixes():
    doc = {
        "equations": ["m = a + b"],
        "inputs": {
            "a": {"dist": "normal", "mean": 1.0, "std": 0.001, "unit": "g"},
            "b": {"dist": "normal", "mean": 500.0, "std": 2.0, "unit": "mg"},
        },
        "methods": ["gum"],
    }
    out = evaluate(doc)["outputs"]["m"]
    assert out["unit"] == "g"
    assert out["gum"]["value"] == pytest.approx(1.5)
    assert out["gum"]["std_uncertainty"] == pytest.approx(math.hypot(0.001, 0.002))
    budget = {b["input"]: b for b in out["gum"]["budget"]}
    assert budget["b"]["sensitivity"] == pytest.approx(0.001)  # g per mg
    doc["output_units"] = {"m": "kg"}
    out = evaluate(doc)["outputs"]["m"]
    assert out["unit"] == "kg" and out["gum"]["value"] == pytest.approx(0.0015)


# ------------------------------------------------------------------ intervals, tolerance
def test_tolerance_jcgm101_7_9_2():
    """JCGM 101 7.9.2 example: u = 0.028 57 with ndig = 2 is 28 x 10^-3, delta = 0.0005."""
    assert tolerance(0.02857, 2) == pytest.approx(0.0005)
    assert tolerance(2.0, 2) == pytest.approx(0.05)
    assert tolerance(0.0754, 1) == pytest.approx(0.005)
    assert tolerance(10.15, 2) == pytest.approx(0.5)


@settings(max_examples=50, deadline=None)
@given(st.integers(50, 3000), st.floats(0.5, 0.99), st.integers(0, 1000))
def test_coverage_intervals_match_full_sort(m, p, seed):
    y = np.random.default_rng(seed).gamma(2.0, size=m)
    (s_lo, s_hi), (p_lo, p_hi) = coverage_intervals(y.copy(), p)
    s = np.sort(y)
    q = int(math.floor(p * m + 0.5))
    if q >= m:
        assert (s_lo, s_hi) == (s[0], s[-1])
        return
    widths = s[q:] - s[: m - q]
    j = int(np.argmin(widths))
    assert (s_lo, s_hi) == (s[j], s[j + q])
    r = (m - q) / 2
    r = int(r) if float(r).is_integer() else int(math.floor(r + 0.5))
    r = min(max(r, 1), m - q)
    assert (p_lo, p_hi) == (s[r - 1], s[r - 1 + q])


@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_coverage_intervals_tail_selection_large_m(p):
    """The threshold-selected tails (M >= 2 x 10^5) give exactly the full-sort answer."""
    y = np.random.default_rng(int(p * 1000)).lognormal(size=300_001)
    (s_lo, s_hi), (p_lo, p_hi) = coverage_intervals(y, p)
    s = np.sort(y)
    m = y.shape[0]
    q = int(math.floor(p * m + 0.5))
    j = int(np.argmin(s[q:] - s[: m - q]))
    assert (s_lo, s_hi) == (s[j], s[j + q])
    r = (m - q) / 2
    r = int(r) if float(r).is_integer() else int(math.floor(r + 0.5))
    assert (p_lo, p_hi) == (s[r - 1], s[r - 1 + q])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "sin(a)*cos(b) + a",
                "exp(a/b)*a*a",
                "log(a**2 + b**2) - a/b",
                "sqrt(a*a + 1)/b + b**3",
                "atan2(a, b) + a**b",
                "tanh(a) - sinh(b/3)*a",
                "-(a - b)*(a + b)/(a*b)",
                "2 + 3*4",
                "a",
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 50),
)
def test_inplace_plan_matches_recursive_evaluation(texts, n):
    """The buffer-reusing evaluation plan of the MCM gives the recursive evaluator's values."""
    trees = [ex.parse_expression(t) for t in texts]
    # share a sub-tree between outputs, as inlined equations do
    trees.append(ex.Op("+", trees[0], trees[-1]))
    plan = ex.Plan(trees)
    rng = np.random.default_rng(n)
    env = {"a": rng.uniform(0.5, 2, n), "b": rng.uniform(0.5, 2, n)}
    bufs = [np.empty(64) for _ in range(plan.nbuf)]
    got = [np.array(v, copy=True) * np.ones(n) for v in plan.run(env, bufs, n)]
    for tree, g in zip(trees, got, strict=True):
        want = np.broadcast_to(ex.evaluate(tree, env), (n,))
        assert np.allclose(g, want, rtol=1e-13, atol=0)


def test_unit_registry_is_shared_across_threads():
    """Concurrent first uses must get one registry (quantities of two do not combine)."""
    from concurrent.futures import ThreadPoolExecutor

    from jiliang.uncertainty import model as model_module

    model_module._REGISTRY = None
    with ThreadPoolExecutor(8) as pool:
        regs = list(pool.map(lambda _: model_module.unit_registry(), range(8)))
    assert all(r is regs[0] for r in regs)
    doc = copy.deepcopy(EXAMPLES["jcgm101_9_3_mass"])
    doc["methods"] = ["gum"]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: evaluate(doc)["outputs"]["dm"]["gum"]["value"], range(8)))
    assert all(v == pytest.approx(1.234) for v in outs)
