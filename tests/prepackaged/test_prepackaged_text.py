"""parse_measurements() and summary_text()."""

import pytest

from jiliang.prepackaged import LotError, evaluate, parse_measurements, summary_text


def test_parse_spreadsheet_column_and_mixed_separators():
    assert parse_measurements("498.1\n501.3\r\n500\n\n") == [498.1, 501.3, 500.0]
    assert parse_measurements("498.1\t501.3, 500；499.5，５００.２") == [
        498.1,
        501.3,
        500.0,
        499.5,
        500.2,
    ]
    with pytest.raises(LotError) as e:
        parse_measurements("498.1\n50l.3")
    assert e.value.field == "net[1]"


def test_summary_text_both_languages():
    doc = {
        "rules": "JJF1070-2005",
        "quantity": "mass",
        "nominal": 500,
        "unit": "g",
        "lot_size": 30,
        "net": [499.0] * 10,
    }
    res = evaluate(doc)
    zh = summary_text(res)
    en = summary_text(res, lang="en")
    assert "不合格" in zh and "mean_below_limit" in zh
    assert "FAIL" in en and "T1 errors" in en
