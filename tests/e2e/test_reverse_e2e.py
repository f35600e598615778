"""Browser test of reverse traceability (issue 6): a lab manager marks a standard out of
tolerance, previews and confirms the affected list, closes one item with a disposition and
reads that item's audit trail."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "traceability_reverse"))
import rtfix  # noqa: E402

pytestmark = pytest.mark.e2e


def test_mark_out_of_tolerance_and_dispose_one_item(page: Page, sign_in, platform):
    chain = rtfix.build_chain()
    n = chain["records"]
    sign_in("labmanager")
    page.goto("/trace/reverse")
    page.get_by_test_id("mark-oot").click()

    # a missing description is named, and what was typed is kept
    page.get_by_test_id("standard-code").fill(chain["code_a"])
    page.get_by_test_id("since").fill(chain["since"].isoformat())
    page.fill("input[name=until]", chain["until"].isoformat())
    page.get_by_test_id("error-found").fill("0.2")
    page.get_by_test_id("error-unit").fill("kg")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-count")).to_have_text("5")
    preview = page.get_by_test_id("preview-result")
    for key in ("D1", "R", "V", "S", "S2"):
        expect(preview).to_contain_text(n[key])
    for key in ("P", "Q", "U"):
        expect(preview).not_to_contain_text(n[key])
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("error-description")).to_be_visible()
    expect(page.get_by_test_id("standard-code")).to_have_value(chain["code_a"])

    page.get_by_test_id("description").fill("期间核查发现砝码组超差 0.2 kg")
    page.get_by_test_id("preview").click()
    page.get_by_test_id("confirm").click()
    page.wait_for_url("**/trace/reverse/*")
    expect(page.get_by_test_id("progress")).to_have_text("0 / 5")
    expect(page.get_by_test_id("case-status")).to_have_text("处理中")
    expect(page.get_by_test_id("map")).to_be_visible()
    items = page.get_by_test_id("items")
    for key in ("D1", "R", "V", "S", "S2"):
        expect(items).to_contain_text(n[key])

    # close the depth-2 result S on its own page, then read its audit trail
    items.locator(f"tr[data-record='{n['S']}']").get_by_test_id("item-link").click()
    page.get_by_test_id("disposition-select").select_option("recall")
    page.get_by_test_id("disposition-note").fill("通知使用单位召回复检")
    page.get_by_test_id("save-disposition").click()
    expect(page.get_by_test_id("item-status")).to_have_text("已处置")
    expect(page.get_by_test_id("item-disposition")).to_contain_text("召回")
    audit = page.get_by_test_id("audit")
    expect(audit.locator("td[data-action=disposition]")).to_have_count(1)
    expect(audit).to_contain_text("labmanager")
    expect(audit).to_contain_text("召回")
    expect(audit).to_contain_text("通知使用单位召回复检")

    page.get_by_role("link", name=page.locator("p.crumbs a").nth(1).inner_text()).click()
    expect(page.get_by_test_id("progress")).to_have_text("1 / 5")
    expect(items.locator(f"tr[data-record='{n['S']}']").get_by_test_id("disposition")).to_have_text("召回")
