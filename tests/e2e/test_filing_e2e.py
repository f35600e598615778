"""Browser test of mandatory filing (issue 7 acceptance): an owner files an instrument from the
should-be-filed list, the county regulator approves it, the owner sees it approved and the
instrument leaves the list; the public catalogue shows its unconfirmed marks."""

from __future__ import annotations

import sys
from pathlib import Path

import helpers
import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from supervision import filingfix as fx  # noqa: E402

pytestmark = pytest.mark.e2e


def _as(page: Page, sign_in, user: str) -> None:
    page.context.clear_cookies()
    sign_in(user)


def test_owner_files_and_county_regulator_approves(page: Page, sign_in, platform):
    inst = fx.new_instrument(type_code="FL-FUEL")
    serial = inst["serial_no"]

    # -- the owner finds the instrument in "should be filed" and files it
    _as(page, sign_in, "enterprise")
    page.goto(f"/filings/unfiled?q={serial}")
    expect(page.get_by_test_id("unfiled")).to_contain_text(serial)
    page.get_by_test_id(f"file-{inst['id']}").click()
    expect(page.get_by_test_id("instrument")).to_have_value(str(inst["id"]))
    expect(page.get_by_test_id("use")).to_have_value("trade_settlement")
    page.get_by_test_id("institution").select_option(str(fx.institution_id()))
    page.fill("input[name=contact_name]", "王经理")
    # a missing field is named and what was typed stays
    page.get_by_test_id("submit-filing").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator("[data-error-for=contact_phone]")).to_be_visible()
    expect(page.locator("input[name=contact_name]")).to_have_value("王经理")
    page.fill("input[name=contact_phone]", "13800001111")
    page.get_by_test_id("submit-filing").click()
    page.wait_for_url("**/filings/*?done=submitted")
    expect(page.get_by_test_id("filing-status")).to_have_text("待审核")
    filing_url = page.url.split("?")[0]

    # -- the county regulator reviews the filings of its county and approves
    _as(page, sign_in, "yanta")
    page.goto("/filings?status=submitted&q=" + serial)
    page.get_by_role("link", name=serial).click()
    expect(page.get_by_test_id("filing-status")).to_have_text("待审核")
    page.get_by_test_id("approve").click()
    page.wait_for_url("**?done=approve")
    expect(page.get_by_test_id("filing-status")).to_have_text("已备案")
    expect(page.get_by_test_id("history")).to_contain_text("approve")

    # -- the owner sees it approved, and the instrument is no longer flagged
    _as(page, sign_in, "enterprise")
    page.goto("/filings?q=" + serial)
    expect(page.get_by_test_id("filings")).to_contain_text("已备案")
    page.goto(filing_url)
    expect(page.get_by_test_id("filing-status")).to_have_text("已备案")
    expect(page.get_by_test_id("unfiled-flag")).to_have_count(0)
    helpers.screenshot(page, "filing")
    page.goto(f"/filings/unfiled?q={serial}")
    expect(page.get_by_test_id("unfiled")).not_to_contain_text(serial)
    page.set_viewport_size(helpers.PHONE)
    page.goto("/filings")
    helpers.assert_no_horizontal_overflow(page)


def test_public_catalogue_marks_unconfirmed_rows(page: Page):
    page.goto("/public/catalogue")
    expect(page.get_by_test_id("catalogue")).to_contain_text("水表")
    expect(page.get_by_test_id("unconfirmed").first).to_have_text("未核实")
    water = page.locator("tr[data-code='4.1']")
    expect(water.get_by_test_id("unconfirmed")).to_have_count(0)
    page.fill("input[name=q]", "验光")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("tr[data-code='21.1']")).to_be_visible()
    expect(page.locator("tr[data-code='4.1']")).to_have_count(0)
    with page.expect_download() as dl:
        page.get_by_test_id("export-xlsx").click()
    assert dl.value.suggested_filename == "mandatory-catalogue.xlsx"
    page.goto("/public/catalogue")
    helpers.screenshot(page, "catalogue")
    page.set_viewport_size(helpers.PHONE)
    page.goto("/public/catalogue")
    helpers.assert_no_horizontal_overflow(page)
