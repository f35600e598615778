"""Property tests (hypothesis) for the conformity kernel."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.conformity import (
    RiskError,
    acceptance_factor_for_pfa,
    conformance_probability,
    decide,
    evaluate_risk,
    global_risk,
    global_risk_many,
)

itps = st.floats(0.3, 0.999)
turs = st.floats(1.0, 20.0)


@settings(max_examples=60, deadline=None)
@given(itp=itps, tur=turs, factor=st.floats(1.05, 3.0))
def test_pfa_decreases_as_tur_grows(itp, tur, factor):
    """Holds for TUR >= 1. (Below about TUR 0.65 PFA is not monotone: a very poor measurement
    rejects almost everything, so PFA falls again as TUR -> 0; found by this test.)"""
    r = global_risk_many([itp, itp], [tur, tur * factor])
    assert r["pfa"][1] <= r["pfa"][0] + 1e-15


@settings(max_examples=40, deadline=None)
@given(itp=st.floats(0.5, 0.99), tur=st.floats(0.7, 6.0), target=st.floats(0.001, 0.05))
def test_guard_band_for_target_pfa_achieves_it(itp, tur, target):
    a = acceptance_factor_for_pfa(itp, tur, target)
    pfa, _ = global_risk(itp, tur, a)
    if a < 1.0:
        assert abs(pfa - target) < 1e-6
    else:
        assert pfa <= target + 1e-12


@settings(max_examples=200, deadline=None)
@given(
    y=st.floats(-10, 10),
    u=st.floats(1e-3, 5),
    lo=st.floats(-5, 0),
    width=st.floats(1e-3, 10),
)
def test_conformance_probability_bounds_and_symmetry(y, u, lo, width):
    hi = lo + width
    p = conformance_probability(y, u, lo, hi)
    assert 0.0 <= p <= 1.0
    # mirror symmetry: reflecting the value and the limits leaves p unchanged
    assert math.isclose(p, conformance_probability(-y, u, -hi, -lo), abs_tol=1e-12)
    # one-sided probabilities are at least the two-sided one
    assert conformance_probability(y, u, None, hi) >= p - 1e-15
    assert conformance_probability(y, u, lo, None) >= p - 1e-15


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.floats(allow_nan=True),
    st.integers(-5, 5),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    doc=st.dictionaries(
        st.sampled_from(
            [
                "itp",
                "tur",
                "bias",
                "guardband",
                "measured",
                "u",
                "limits",
                "samples",
                "k",
                "rule",
                "x",
            ]
        ),
        _junk,
        max_size=5,
    )
)
def test_bad_input_raises_only_risk_error(doc):
    try:
        out = evaluate_risk(doc)
    except RiskError:
        return
    assert isinstance(out, dict)


@settings(max_examples=200, deadline=None)
@given(m=_junk, big_u=_junk, limits=_junk, rule=_junk)
def test_decide_raises_only_risk_error(m, big_u, limits, rule):
    try:
        decide(m, big_u, limits, rule)
    except RiskError:
        pass


def test_vectorised_pfr_increases_when_guard_band_tightens():
    a = np.linspace(0.5, 1.0, 11)
    r = global_risk_many(0.9, 3.0, acceptance_factor=a)
    assert np.all(np.diff(r["pfr"]) <= 1e-15)
    assert np.all(np.diff(r["pfa"]) >= -1e-15)
