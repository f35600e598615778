"""Property tests (hypothesis) for the interval kernel."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.intervals import HistoryError, read_history_csv, recommend


def _rows(n_pass, n_fail, interval=365.0):
    rows, d = [], dt.date(2001, 1, 1)
    for i, ok in enumerate([True] * n_pass + [False] * n_fail):
        d += dt.timedelta(days=int(interval))
        rows.append(
            {
                "instrument": f"I{i % 7}",
                "calibration_date": d,
                "interval_days": interval,
                "in_tolerance": ok,
            }
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(n=st.integers(80, 400), target=st.floats(0.6, 0.9))
def test_a3_lengthens_with_high_reliability(n, target):
    """Reliability 1 - (1 - target)/3 with at least one failure is significantly above
    target: A3 must lengthen even though not every calibration passed."""
    n_fail = max(1, int(n * (1 - target) / 3))
    res = recommend(_rows(n - n_fail, n_fail), "a3", target=target)
    assert res["summary"]["out_of_tolerance"] >= 1
    assert res["action"] == "lengthen"
    assert res["recommended_interval_days"] > 365


@settings(max_examples=60, deadline=None)
@given(n=st.integers(80, 400), target=st.floats(0.6, 0.95))
def test_a3_shortens_with_low_reliability(n, target):
    """Reliability 2*target - 1 (the failure rate doubled) is significantly below target."""
    n_pass = int(n * (2 * target - 1))
    res = recommend(_rows(n_pass, n - n_pass), "a3", target=target)
    assert res["action"] == "shorten"
    assert res["recommended_interval_days"] < 365


_cell = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.dates().map(lambda d: d.isoformat()),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "instrument": _cell,
                "calibration_date": _cell,
                "interval_days": _cell,
                "in_tolerance": _cell,
                "as_found_error": _cell,
            },
        ),
        max_size=6,
    ),
    method=st.sampled_from(["m1", "a3", "s2", "zz"]),
)
def test_bad_rows_raise_only_history_error(rows, method):
    try:
        out = recommend(rows, method)
    except HistoryError:
        return
    assert isinstance(out["recommended_interval_days"], int)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('abc,\n"01-;yesno 3652024是')), max_size=80))
def test_csv_text_raises_only_history_error(text):
    try:
        read_history_csv("instrument,calibration_date,interval_days,in_tolerance\n" + text)
    except HistoryError:
        pass
