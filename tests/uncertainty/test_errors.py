"""Bad model documents raise ModelError naming the field, position and token — nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiliang.uncertainty import MESSAGES_ZH, ModelError, evaluate, parse_equation

BASE = {
    "inputs": {
        "a": {"dist": "normal", "mean": 1.0, "std": 0.1},
        "b": {"dist": "rectangular", "low": 1.0, "high": 2.0},
    },
    "methods": ["gum"],
}


def doc(**kw):
    d = json.loads(json.dumps(BASE))
    d.setdefault("equations", ["y = a*b"])
    d.update(kw)
    return d


def err(d) -> ModelError:
    with pytest.raises(ModelError) as info:
        evaluate(d)
    assert isinstance(info.value, ValueError)
    assert info.value.message_zh()
    json.dumps(info.value.to_dict(), ensure_ascii=False)
    return info.value


@pytest.mark.parametrize(
    "text, code, column, token",
    [
        ("y = a ^ b", "token", 7, "^"),
        ("y = a + c", "unknown_name", 9, "c"),
        ("y = foo(a)", "unknown_function", 5, "foo"),
        ("y = __import__('os').system('x')", "token", 5, "__import__('os').system"),
        ("y = __import__('os')", "unknown_function", 5, "__import__"),
        ("y = a.real", "token", 5, "a.real"),
        ("y = [a]", "token", 5, "[a]"),
        ("y = 'a'", "token", 5, "'a'"),
        ("y = sqrt(a, b)", "arity", 5, "sqrt"),
        ("y = a if b else a", "token", 5, "a if b else a"),
        ("y = (a", "syntax", None, None),
    ],
)
def test_expression_errors_name_position_and_token(text, code, column, token):
    e = err(doc(equations=[text]))
    assert e.code == code
    assert e.field == "equations[0]"
    if column is not None:
        assert e.position == column
        assert e.token == token
        assert str(column) in str(e)


@pytest.mark.parametrize(
    "inputs, field, code",
    [
        ({"a": {"dist": "normal", "mean": 1, "std": -0.1}}, "inputs.a.std", "negative_std"),
        ({"a": {"dist": "rectangular", "low": 2, "high": 1}}, "inputs.a.high", "bounds"),
        ({"a": {"dist": "rectangular", "low": 1, "high": 1}}, "inputs.a.high", "bounds"),
        ({"a": {"dist": "banana", "mean": 1}}, "inputs.a.dist", "distribution"),
        ({"a": {"dist": "normal", "mean": "1", "std": 1}}, "inputs.a.mean", "type"),
        ({"a": {"dist": "normal", "mean": True, "std": 1}}, "inputs.a.mean", "type"),
        ({"a": {"dist": "normal", "std": 1}}, "inputs.a.mean", "missing"),
        ({"a": {"dist": "t", "mean": 0, "scale": 1, "dof": 0}}, "inputs.a.dof", "value"),
        ({"a": {"observations": [1.0]}}, "inputs.a.observations", "observations"),
        ({"a": {"observations": [1.0, "x"]}}, "inputs.a.observations[1]", "type"),
        ({"a": {"dist": "triangular", "low": 0, "high": 1, "mode": 2}}, "inputs.a.mode", "bounds"),
        ({"a": {"dist": "ctrap", "low": 0, "high": 1, "d": 0.9}}, "inputs.a.d", "value"),
        ({"a": {"dist": "exponential", "mean": -1}}, "inputs.a.mean", "value"),
        ({"a": 5}, "inputs.a", "type"),
    ],
)
def test_input_errors(inputs, field, code):
    d = doc()
    d["inputs"].update(inputs)
    e = err(d)
    assert (e.field, e.code) == (field, code)


def test_division_by_zero_width_input():
    d = doc(equations=["y = b/a"])
    d["inputs"]["a"] = {"dist": "normal", "mean": 0.0, "std": 0.0}
    e = err(d)
    assert e.code == "division_by_zero"
    assert e.token == "a"


def test_log_of_negative_at_estimate():
    d = doc(equations=["y = log(a - 5)"])
    assert err(d).code == "domain"


def test_mcm_nonfinite_is_named():
    d = doc(equations=["y = 1/a"], methods=["mcm"], mcm={"trials": 10000, "seed": 1})
    d["inputs"]["a"] = {"dist": "rectangular", "low": -1.0, "high": 1.0}
    d["equations"] = ["y = sqrt(a)"]
    e = err(d)
    assert e.code == "mcm_nonfinite"


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"correlations": [["a", "zz", 0.5]]}, "correlations[0]"),
        ({"correlations": [["a", "b", 1.5]]}, "correlations[0]"),
        ({"correlations": [["a", "a", 0.5]]}, "correlations[0]"),
        ({"coverage": 1.0}, "coverage"),
        ({"methods": ["gum", "bayes"]}, "methods[1]"),
        ({"mcm": {"trials": 10}}, "mcm.trials"),
        ({"mcm": {"trials": "lots"}}, "mcm.trials"),
        ({"mcm": {"seed": -1}}, "mcm.seed"),
        ({"equations": []}, "equations"),
        ({"equations": ["y = a", "y = b"]}, "equations[1]"),
        ({"equations": ["a = b"]}, "equations[0]"),
        ({"unknown": 1}, "unknown"),
        ({"simultaneous": [["a", "b"]]}, "simultaneous[0]"),
    ],
)
def test_document_errors(bad, field):
    d = doc(**bad)
    assert err(d).field == field


def test_output_used_before_definition_hint():
    e = err(doc(equations=["y = z*2", "z = a"]))
    assert e.code == "unknown_name" and "later equations" in str(e)


def test_units_inconsistent_names_the_term():
    d = doc(equations=["y = a + b"])
    d["inputs"]["a"]["unit"] = "mg"
    d["inputs"]["b"]["unit"] = "m"
    e = err(d)
    assert e.code == "units"
    assert "'b'" in str(e) and "'a'" in str(e)
    assert e.field == "equations[0]"


def test_units_exp_needs_dimensionless():
    d = doc(equations=["y = exp(a)"])
    d["inputs"]["a"]["unit"] = "kg"
    assert err(d).code == "units"


def test_unknown_unit():
    d = doc()
    d["inputs"]["a"]["unit"] = "furlongs_per_blorp"
    e = err(d)
    assert (e.code, e.field) == ("unit_syntax", "inputs.a.unit")


def test_not_a_dict():
    for bad in (None, [], "y = a", 3):
        assert err(bad).code == "type"


def test_every_code_has_a_chinese_message():
    import jiliang.uncertainty as unc

    src = "".join(
        open(m.__file__, encoding="utf-8").read()
        for m in (unc.model, unc.distributions, unc.expr, unc.gum, unc.mcm, unc.engine)
    )
    import re

    codes = set(re.findall(r'code="([a-z_]+)"', src))
    assert codes <= set(MESSAGES_ZH)


# ------------------------------------------------------------------ fuzzing
names = st.sampled_from(["a", "b", "c", "sqrt", "pi", "x1", "__class__", "_"])
tokens = st.sampled_from(
    [
        "+",
        "-",
        "*",
        "/",
        "**",
        "^",
        "(",
        ")",
        ",",
        ".",
        " ",
        "1",
        "0",
        "1e400",
        "=",
        "[",
        "]",
        "lambda",
        "'",
        "#",
        "\\",
        "@",
        ":",
        "0x1f",
    ]
)
expr_text = st.lists(st.one_of(names, tokens), min_size=1, max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr_text)
def test_fuzz_equations_only_model_error(text):
    try:
        result = evaluate(doc(equations=["y = " + text]))
    except ModelError as e:
        assert e.field is not None
    else:
        json.dumps(result, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_parse_equation_any_text(text):
    try:
        parse_equation(text, "equations[0]")
    except ModelError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "dist",
                "mean",
                "std",
                "low",
                "high",
                "mode",
                "beta",
                "d",
                "scale",
                "dof",
                "observations",
                "unit",
            ]
        ),
        json_values,
        max_size=5,
    ),
    st.sampled_from(["y = a*b", "y = a/b", "y = log(a)", "y = a**b", "y = atan2(a, b)"]),
)
def test_fuzz_input_specs_only_model_error(spec, equation):
    d = doc(equations=[equation])
    d["inputs"]["a"] = spec
    d["methods"] = ["gum", "mcm"]
    d["mcm"] = {"trials": 2000, "seed": 0, "threads": 1}
    try:
        result = evaluate(d)
    except ModelError:
        return
    json.dumps(result, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "equations",
                "constants",
                "inputs",
                "correlations",
                "simultaneous",
                "coverage",
                "methods",
                "mcm",
                "second_order",
                "outputs",
                "output_units",
            ]
        ),
        json_values,
        max_size=4,
    )
)
def test_fuzz_documents_only_model_error(extra):
    d = doc()
    d.update(extra)
    if isinstance(d.get("mcm"), dict):
        d["mcm"] = {**d["mcm"], "threads": 1}
    d["methods"] = ["gum"]
    try:
        evaluate(d)
    except ModelError:
        pass
