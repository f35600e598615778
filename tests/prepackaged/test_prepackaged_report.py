"""report_pdf(): a PDF with the built-in CID font STSong-Light."""

import pytest

from jiliang.prepackaged import evaluate, report_pdf


@pytest.fixture
def lot_and_result():
    doc = {
        "rules": "JJF1070-2023",
        "quantity": "mass",
        "nominal": 500,
        "unit": "g",
        "lot_size": 5000,
        "seed": 7,
        "product": "大米",
        "producer": "某粮油公司",
        "net": [500.0 + ((i * 37) % 11) - 4 for i in range(125)],
    }
    return doc, evaluate(doc)


def test_report_pdf_chinese(lot_and_result):
    doc, res = lot_and_result
    pdf = report_pdf(doc, res)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert b"STSong-Light" in pdf
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 1 " in pdf or b"/Count 2 " in pdf  # one or two pages


def test_report_pdf_english_and_fail(lot_and_result):
    doc, _ = lot_and_result
    doc = doc | {"net": [480.0] * 125}
    res = evaluate(doc)
    assert res["verdict"] == "fail"
    pdf = report_pdf(doc, res, lang="en")
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf


def test_report_pdf_package_by_package_and_mav():
    doc = {
        "rules": "NIST-HB133",
        "quantity": "mass",
        "nominal": 500,
        "unit": "g",
        "lot_size": 1,
        "net": [501.0],
    }
    pdf = report_pdf(doc, evaluate(doc))
    assert pdf.startswith(b"%PDF")
