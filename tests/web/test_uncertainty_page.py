"""The uncertainty page (issue 3): editor, server-rendered results and charts, errors, PDF export.

No sign-in: the page only computes.  Every worked example of ``jiliang.uncertainty.EXAMPLES``
must compute through the page, and a bad model must come back as a 422 page that names the
position and the offending token, never a 500.
"""

from __future__ import annotations

import json
import re

import pytest

from jiliang.uncertainty import EXAMPLES

MASS = "jcgm101_9_3_mass"


def _form(doc: dict, **extra) -> dict:
    mcm = doc.get("mcm") or {}
    data = {
        "model": json.dumps(doc, ensure_ascii=False),
        "coverage": str(doc.get("coverage", 0.95)),
        "methods": ["gum", "mcm"],
        "trials": str(min(int(mcm.get("trials", 100_000)), 200_000)),
        "seed": "1",
    }
    data.update(extra)
    return data


def test_page_renders_in_chinese_without_sign_in(client):
    r = client.get("/uncertainty?lang=zh")
    assert r.status_code == 200
    html = r.text
    assert "测量不确定度评定" in html
    assert 'name="model"' in html and "/static/uncertainty.js" in html
    assert (
        'action="/uncertainty/compute"' in html and 'formaction="/uncertainty/report.pdf"' in html
    )
    for key in EXAMPLES:
        assert f'value="{key}"' in html
    assert "质量校准" in html  # Chinese example title
    # the default example is in the editor, as valid JSON
    m = re.search(r'<textarea id="u-model"[^>]*>(.*?)</textarea>', html, re.S)
    assert m is not None
    text = m.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
    assert json.loads(text)["equations"] == EXAMPLES[MASS]["equations"]


def test_page_renders_in_english(client):
    r = client.get("/uncertainty?lang=en")
    assert r.status_code == 200
    assert "Measurement uncertainty" in r.text
    assert "Compute" in r.text and "Export PDF report" in r.text
    assert "测量不确定度评定" not in r.text
    client.get("/uncertainty?lang=zh")  # leave the session client in Chinese


def test_example_query_selects_the_example(client):
    r = client.get("/uncertainty?example=jcgm100_h2_impedance&lang=zh")
    assert r.status_code == 200
    assert '<option value="jcgm100_h2_impedance" selected>' in r.text
    assert "V/I*cos(phi)" in r.text


@pytest.mark.parametrize("key", list(EXAMPLES))
def test_every_example_computes_with_budget_and_charts(client, key):
    doc = EXAMPLES[key]
    r = client.post("/uncertainty/compute?lang=zh", data=_form(doc), headers={"x-fragment": "1"})
    assert r.status_code == 200, r.text[:2000]
    html = r.text
    assert "<html" not in html  # a fragment for the script to swap in
    assert 'data-testid="budget"' in html
    for name in doc["inputs"]:
        assert f'<tr data-input="{name}">' in html
    assert "<svg" in html and 'data-testid="shares-chart"' in html
    assert 'data-testid="histogram"' in html  # MCM ran: histogram with the GUM curve and intervals
    assert 'class="gum-interval"' in html and 'class="mcm-interval"' in html
    assert 'data-testid="validation"' in html
    assert "不确定度分量一览表" in html


def test_compute_without_script_rerenders_the_whole_page(client):
    r = client.post("/uncertainty/compute?lang=zh", data=_form(EXAMPLES[MASS]))
    assert r.status_code == 200
    assert "<html" in r.text and 'id="u-model"' in r.text
    assert 'data-testid="histogram"' in r.text
    # the typed model stays in the editor
    assert "m_nom" in r.text


def test_compute_accepts_a_json_document(client):
    doc = dict(EXAMPLES["jcgm101_9_4_comparison_loss"], mcm={"trials": 50_000, "seed": 3})
    r = client.post("/uncertainty/compute?lang=en", json=doc)
    assert r.status_code == 200
    assert "Uncertainty budget" in r.text and 'data-testid="histogram"' in r.text
    r = client.post("/uncertainty/compute?lang=en", json={"model": doc, "methods": ["gum"]})
    assert r.status_code == 200
    assert 'data-testid="budget"' in r.text and 'data-testid="histogram"' not in r.text
    client.get("/uncertainty?lang=zh")


def test_several_outputs_show_the_correlation_matrix(client):
    doc = EXAMPLES["jcgm100_h2_impedance"]
    r = client.post("/uncertainty/compute?lang=zh", data=_form(doc), headers={"x-fragment": "1"})
    assert r.status_code == 200
    for name in ("R", "X", "Z"):
        assert f'data-testid="output-{name}"' in r.text
    assert "输出量相关系数矩阵" in r.text


def test_bad_equation_gives_422_naming_position_and_token(client):
    doc = dict(EXAMPLES[MASS], equations=["dm = m_R + ) dm_R"])
    r = client.post("/uncertainty/compute?lang=zh", data=_form(doc))
    assert r.status_code == 422
    assert 'data-testid="model-error"' in r.text
    assert "位置 12" in r.text and "<code>)</code>" in r.text
    assert "dm = m_R + ) dm_R\n           ^" in r.text  # caret under the offending token
    assert 'id="u-model"' in r.text  # the whole page, with the model kept for fixing


def test_unknown_name_gives_422_in_fragment(client):
    doc = dict(EXAMPLES[MASS], equations=["dm = m_R + nosuch"])
    r = client.post("/uncertainty/compute?lang=en", data=_form(doc), headers={"x-fragment": "1"})
    assert r.status_code == 422
    assert "nosuch" in r.text and "position 12" in r.text
    client.get("/uncertainty?lang=zh")


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("{not json", {}),
        ("[1, 2]", {}),
        ("", {}),
        (
            json.dumps(
                {
                    "equations": ["y = a / b"],
                    "inputs": {"a": {"dist": "normal", "mean": 1, "std": -1}},
                }
            ),
            {},
        ),
        (json.dumps(EXAMPLES[MASS]), {"coverage": "abc"}),
        (json.dumps(EXAMPLES[MASS]), {"trials": "10000000000"}),
        (json.dumps(EXAMPLES[MASS]), {"seed": "x"}),
        (json.dumps({"equations": [5], "inputs": {}}), {}),
    ],
)
def test_bad_input_is_a_422_page_never_a_500(client, model, fields):
    r = client.post("/uncertainty/compute?lang=zh", data={"model": model, **fields})
    assert r.status_code == 422, r.text[:1000]
    assert 'data-testid="model-error"' in r.text


def test_json_syntax_error_names_line_and_column(client):
    r = client.post("/uncertainty/compute?lang=zh", data={"model": '{\n  "equations": [,]\n}'})
    assert r.status_code == 422
    assert "JSON 格式错误" in r.text and "行 2" in r.text and "列 17" in r.text


def test_pdf_report(client):
    r = client.post("/uncertainty/report.pdf?lang=zh", data=_form(EXAMPLES[MASS]))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF")
    assert b"STSong-Light" in r.content
    assert len(r.content) > 3000


def test_pdf_report_for_several_outputs_and_in_english(client):
    r = client.post("/uncertainty/report.pdf?lang=en", data=_form(EXAMPLES["jcgm100_h2_impedance"]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    client.get("/uncertainty?lang=zh")


def test_pdf_of_a_bad_model_is_a_422_page(client):
    doc = dict(EXAMPLES[MASS], equations=["dm = m_R +"])
    r = client.post("/uncertainty/report.pdf?lang=zh", data=_form(doc))
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    assert 'data-testid="model-error"' in r.text


def test_pdf_builder_directly():
    from jiliang.uncertainty import evaluate
    from jiliang.uncertainty_report import build_pdf

    doc = dict(EXAMPLES["jcgm100_h1_end_gauge"])
    pdf = build_pdf(doc, evaluate(doc), "zh")  # GUM only: no histogram, still a report
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf


def test_page_number_formatting():
    from jiliang.web.uncertainty import fmt, fmt_dof, fmt_with

    assert fmt_with(50000838.27, 31.7) == "50000838"
    assert fmt_with(1.2340000001, 0.0539) == "1.234"
    assert fmt_with(100000.0, 0.05) == "100000.000"
    assert fmt(None) == "∞" and fmt_dof(16.62) == "16.6" and fmt_dof(None) == "∞"
    assert fmt(1.15e-05, 3) == "1.15e-5"


@pytest.mark.parametrize("key", list(EXAMPLES))
def test_editor_json_layout_round_trips(key):
    from jiliang.web.uncertainty import dump

    text = dump(EXAMPLES[key])
    assert json.loads(text) == EXAMPLES[key]
    assert text.startswith("{\n  ")  # indented, short parts on one line


def test_page_limits_what_a_public_request_may_ask_for():
    from jiliang.web.uncertainty import apply_options, strings

    doc = dict(EXAMPLES[MASS], mcm={"trials": 1000, "threads": 512, "histogram_bins": 10**6})
    out = apply_options(doc, {}, strings("en"))
    assert "threads" not in out["mcm"] and out["mcm"]["histogram_bins"] == 200
    out = apply_options(doc, {"trials": "adaptive"}, strings("en"))
    assert out["mcm"]["trials"] == "adaptive" and out["mcm"]["max_trials"] <= 5_000_000
