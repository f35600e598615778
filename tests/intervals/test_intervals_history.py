"""Calibration-history CSV reading and validation."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.intervals import HistoryError, read_history_csv, recommend

GOOD = """instrument,calibration_date,interval_days,in_tolerance,as_found_error
W-001,2023-01-10,365,yes,0.01
W-001,2024-01-12,367,no,0.09
W-002,2023/03/01,180,合格,
W-002,2023-08-30,182,0,-0.02
"""


def test_read_good_csv_text(tmp_path):
    rows = read_history_csv(GOOD)
    assert len(rows) == 4
    assert rows[0]["calibration_date"] == dt.date(2023, 1, 10)
    assert rows[0]["in_tolerance"] is True and rows[1]["in_tolerance"] is False
    assert rows[2]["in_tolerance"] is True and rows[2]["as_found_error"] is None
    assert rows[3]["as_found_error"] == -0.02
    path = tmp_path / "h.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert read_history_csv(str(path)) == rows
    assert read_history_csv(path) == rows
    assert recommend(rows, "m1")["summary"]["instruments"] == 2


def test_chinese_headers_and_bom():
    text = "\ufeff器具编号,检定日期,周期天数,是否合格\nA,2024-01-01,365,是\nA,2025-01-01,366,否\n"
    rows = read_history_csv(text)
    assert [r["in_tolerance"] for r in rows] == [True, False]


@pytest.mark.parametrize(
    "text,field,row",
    [
        ("instrument,calibration_date,interval_days\nA,2024-01-01,365\n", "in_tolerance", 0),
        (GOOD.replace("2023-01-10", "2023-13-10"), "calibration_date", 1),
        (GOOD.replace(",367,", ",abc,"), "interval_days", 2),
        (GOOD.replace(",367,", ",0,"), "interval_days", 2),
        (GOOD.replace(",367,", ",-5,"), "interval_days", 2),
        (GOOD.replace("yes", "maybe"), "in_tolerance", 1),
        (GOOD.replace(",0.01", ",x"), "as_found_error", 1),
        (GOOD.replace("W-002,2023-08-30", ",2023-08-30"), "instrument", 4),
        (GOOD + "A,2024-01-01,365,yes,0,extra\n", "row", 5),
        ("instrument,calibration_date,interval_days,in_tolerance\n", "file", None),
        ("", "file", None),
    ],
)
def test_bad_csv_raises_history_error(text, field, row):
    if text == "":
        text = "\n"
    with pytest.raises(HistoryError) as info:
        read_history_csv(text)
    assert info.value.field == field
    assert info.value.row == row
    assert info.value.message("zh") and info.value.message("en")


def test_missing_file():
    with pytest.raises(HistoryError) as info:
        read_history_csv("/nonexistent/history.csv")
    assert info.value.field == "file"
