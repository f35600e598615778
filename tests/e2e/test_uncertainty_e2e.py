"""Browser tests of the uncertainty page (issue 3): examples, budget, histogram, live errors, exports.

Headless Debian Chromium through Playwright for Python against the live server.  The page needs
no sign-in; one test signs in to check that the live check still passes the CSRF rule that
cookie-authenticated API calls must follow.  With ``JILIANG_SCREENSHOTS=1`` the first test writes
``docs/screenshots/uncertainty.png``.
"""

from __future__ import annotations

import json
import re

import pytest
from helpers import PHONE, assert_no_horizontal_overflow, screenshot
from playwright.sync_api import Page, expect

from jiliang.uncertainty import EXAMPLES

pytestmark = pytest.mark.e2e


def test_example_budget_histogram_live_error_and_pdf(page: Page):
    page.goto("/uncertainty?lang=zh")
    expect(page.locator("h1")).to_have_text("测量不确定度评定")
    live = page.get_by_test_id("live")
    expect(live.get_by_test_id("live-ok")).to_contain_text("模型有效")

    # Load a worked example: the script fills the editor and computes GUM + MCM.
    page.get_by_test_id("example-select").select_option("jcgm101_9_5_gauge_block")
    result = page.get_by_test_id("result")
    output = result.get_by_test_id("output-dl")
    expect(output).to_be_visible()
    budget = output.get_by_test_id("budget")
    for name in EXAMPLES["jcgm101_9_5_gauge_block"]["inputs"]:
        expect(budget.locator(f'tr[data-input="{name}"]')).to_be_visible()
    histogram = output.get_by_test_id("histogram")
    expect(histogram).to_be_visible()
    assert histogram.locator("polyline").count() == 1  # the GUM Gaussian
    assert histogram.locator("line.gum-interval").count() == 2
    assert histogram.locator("line.mcm-interval").count() == 2
    expect(output.get_by_test_id("shares-chart")).to_be_visible()
    expect(output.get_by_test_id("validation")).to_contain_text("d")
    assert "gauge_block" in page.url
    # README shot: the results of the example, from its summary down to the histogram
    page.evaluate(
        "() => { const top = document.querySelector('[data-testid=output-dl]')"
        ".getBoundingClientRect().top; window.scrollTo(0, window.scrollY + top - 64); }"
    )
    screenshot(page, "uncertainty")

    # Type an error into the model: the live check names the token and its position.
    editor = page.get_by_test_id("model-editor")
    text = editor.input_value()
    doc = json.loads(text)
    eq = doc["equations"][0]
    doc["equations"][0] = eq + " + bogus"
    editor.fill(json.dumps(doc, indent=2))
    error = live.get_by_test_id("live-error")
    expect(error).to_contain_text("bogus")
    expect(error).to_contain_text(f"位置 {len(eq) + 4}")
    expect(error.locator("pre")).to_contain_text("^")

    # A JSON slip is caught in the browser, with line and column.
    editor.fill('{\n  "equations": ["y = a"],\n  "inputs": {,}\n}')
    expect(live.get_by_test_id("live-error")).to_contain_text("JSON")
    expect(live.get_by_test_id("live-error")).to_contain_text("行 3")

    # Computing a bad model shows the error in place of the results (422 fragment).
    editor.fill(json.dumps(dict(EXAMPLES["jcgm101_9_3_mass"], equations=["dm = m_R + ) dm_R"])))
    page.get_by_test_id("compute").click()
    expect(result.get_by_test_id("model-error")).to_contain_text("位置 12")

    # Fix it, compute, and export: PDF (server) and the model as JSON (in the browser).
    page.get_by_test_id("example-select").select_option("jcgm101_9_3_mass")
    expect(result.get_by_test_id("output-dm")).to_be_visible()
    expect(live.get_by_test_id("live-ok")).to_contain_text("dm")
    with page.expect_download() as info:
        page.get_by_test_id("pdf").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        pdf = fh.read()
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    expect(page.locator("h1")).to_have_text("测量不确定度评定")  # the page stayed

    with page.expect_download() as info:
        page.get_by_test_id("json").click()
    with open(info.value.path(), encoding="utf-8") as fh:
        saved = json.load(fh)
    assert saved["equations"] == EXAMPLES["jcgm101_9_3_mass"]["equations"]
    assert saved["methods"] == ["gum", "mcm"] and saved["mcm"]["seed"] == 1


def test_signed_in_user_finds_the_page_in_the_menu_and_live_check_works(page: Page, sign_in):
    sign_in("province")
    nav = page.get_by_role("navigation", name="main")
    nav.locator("details[data-group=lab] > summary").click()  # the menu groups the lab tools
    nav.get_by_role("link", name="不确定度评定").click()
    page.wait_for_url("**/uncertainty")
    # cookie-authenticated call to the API: the script sends the CSRF token
    expect(page.get_by_test_id("live-ok")).to_contain_text("模型有效")
    page.get_by_test_id("compute").click()
    expect(page.get_by_test_id("histogram")).to_be_visible()


def test_form_view_edits_the_model_and_marks_the_bad_field(page: Page):
    page.goto("/uncertainty?lang=zh&example=jcgm101_9_3_mass")
    live = page.get_by_test_id("live")
    expect(live.get_by_test_id("live-ok")).to_be_visible()
    page.get_by_test_id("tab-form").click()
    pane = page.get_by_test_id("form-pane")
    expect(page.get_by_test_id("model-editor")).to_be_hidden()
    rows = pane.locator("tr[data-row]")
    expect(rows).to_have_count(5)

    # a negative standard uncertainty: the live check names it and the field is marked
    std = rows.nth(0).locator("[data-param=std]")
    std.fill("-1")
    expect(live.get_by_test_id("live-error")).to_contain_text("inputs.m_R.std")
    expect(std).to_have_class(re.compile("invalid"))
    std.fill("0.05")
    expect(live.get_by_test_id("live-ok")).to_be_visible()

    # add an input and use it in the equation; the JSON follows the form
    page.get_by_test_id("add-input").click()
    new = rows.nth(5)
    new.locator(".u-name").fill("dm_x")
    new.locator(".u-dist").select_option("rectangular")
    new.locator("[data-param=low]").fill("-0.01")
    new.locator("[data-param=high]").fill("0.01")
    new.locator(".u-unit").fill("mg")  # the kernel checks dimensions: mg + dimensionless fails
    eq = page.get_by_test_id("form-equations")
    eq.fill(eq.input_value() + " + dm_x")
    expect(live.get_by_test_id("live-ok")).to_be_visible()
    page.get_by_test_id("tab-json").click()
    doc = json.loads(page.get_by_test_id("model-editor").input_value())
    assert doc["inputs"]["dm_x"] == {
        "dist": "rectangular",
        "low": -0.01,
        "high": 0.01,
        "unit": "mg",
    }
    assert doc["equations"][0].endswith("+ dm_x")
    assert doc["constants"] == json.loads(json.dumps(EXAMPLES["jcgm101_9_3_mass"]["constants"]))
    page.get_by_test_id("compute").click()
    expect(page.get_by_test_id("budget").locator('tr[data-input="dm_x"]')).to_be_visible()


def test_english_page_and_phone_width(page: Page):
    page.goto("/uncertainty?lang=en&example=jcgm100_h2_impedance")
    expect(page.locator("h1")).to_have_text("Measurement uncertainty")
    page.get_by_test_id("compute").click()
    for name in ("R", "X", "Z"):
        expect(page.get_by_test_id(f"output-{name}")).to_be_visible()
    expect(page.get_by_text("Correlation matrix of the outputs")).to_be_visible()
    page.set_viewport_size(PHONE)
    assert_no_horizontal_overflow(page)
    page.goto("/uncertainty?lang=zh")
