"""Browser test of issue 8: an inspector pastes a lot of 50 values, sees the verdict, saves and
downloads the PDF report. Headless Debian Chromium through Playwright, against the live server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

pytestmark = pytest.mark.e2e


def _yanta_producer():
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        org_id = s.scalar(select(User.org_id).where(User.username == "enterprise"))
        org = s.get(Organisation, org_id)
        return org.id, org.name, org.uscc


def _column(values: list[float]) -> str:
    """What a spreadsheet puts on the clipboard when a column is copied."""
    return "\r\n".join(f"{v:.1f}" for v in values) + "\r\n"


def _paste(page: Page, selector: str, text: str) -> None:
    box = page.locator(selector)
    box.click()
    try:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.evaluate("text => navigator.clipboard.writeText(text)", text)
        page.keyboard.press("Control+V")
        page.wait_for_function(
            "sel => document.querySelector(sel).value.length > 0", arg=selector, timeout=2000
        )
    except Exception:  # no clipboard in this browser build: insert the text as one paste would
        box.fill("")
        page.keyboard.insert_text(text)


def test_inspector_pastes_50_values_sees_the_verdict_and_downloads_the_pdf(page: Page, sign_in):
    org_id, org_name, uscc = _yanta_producer()
    values = [500.4 + (i % 7) * 0.3 for i in range(50)]
    sign_in("yanta")
    nav = page.get_by_role("navigation", name="main")
    nav.locator("details[data-group=supervision] > summary").click()
    nav.get_by_role("link", name="定量包装商品").click()
    page.get_by_test_id("new-inspection").click()
    expect(page.locator("h1")).to_have_text("新建净含量检验")

    # pick the producer by its credit code
    page.get_by_test_id("producer-search").fill(uscc)
    expect(page.get_by_test_id("producer").locator("option")).to_have_count(2)
    expect(page.get_by_test_id("producer")).to_have_value(str(org_id))
    page.get_by_test_id("product_name").fill("东北大米")
    page.get_by_label("商品类别").select_option("food")
    page.get_by_test_id("nominal").fill("500")
    page.get_by_test_id("lot_size").fill("500")
    expect(page.get_by_test_id("rules")).to_have_value("JJF1070-2023")

    _paste(page, "#measurements", _column(values))
    expect(page.locator("#count")).to_have_text("50 个值")
    live = page.get_by_test_id("live")
    expect(page.get_by_test_id("live-verdict")).to_have_text("合格")
    expect(live.locator('[data-k="n"]')).to_have_text("50")
    expect(live.locator('[data-k="T"]')).to_have_text("15 g")
    expect(live.locator('[data-k="t1"]')).to_have_text("0 (允许 3)")
    expect(live.locator('[data-k="t2"]')).to_have_text("0 (允许 0)")
    expect(live.locator('[data-k="ls"]')).to_contain_text("0.379 ×")
    expect(live).to_contain_text("全部判定条件均满足")

    # the verdict follows the typing: a larger lot needs a larger sample
    page.get_by_test_id("lot_size").fill("1200")
    expect(page.get_by_test_id("live-error")).to_contain_text("80")
    page.get_by_test_id("lot_size").fill("500")
    expect(page.get_by_test_id("live-verdict")).to_have_text("合格")

    page.get_by_test_id("save").click()
    page.wait_for_url("**/netcontent/*?saved=1")
    expect(page.get_by_test_id("verdict")).to_have_text("合格")
    figures = page.get_by_test_id("figures")
    expect(figures.locator('[data-k="n"]')).to_contain_text("50")
    expect(figures.locator('[data-k="T"]')).to_have_text("15.0 g")
    expect(page.get_by_test_id("values").locator("span")).to_have_count(50)
    expect(page.locator("main")).to_contain_text(org_name)

    with page.expect_download() as info:
        page.get_by_test_id("report-pdf").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_a_failing_lot_shows_its_reasons_live(page: Page, sign_in):
    org_id, _name, _uscc = _yanta_producer()
    sign_in("yanta")
    page.goto(f"/netcontent/new?producer_org_id={org_id}")
    page.get_by_test_id("product_name").fill("洗衣液")
    page.get_by_label("量的类别").select_option("volume")
    page.get_by_test_id("unit").fill("mL")
    page.get_by_test_id("nominal").fill("1000")
    page.get_by_test_id("lot_size").fill("200")
    values = [1001.0] * 49 + [960.0]  # T = 15 mL: one package short by more than 2T
    page.get_by_test_id("measurements").fill("\n".join(map(str, values)))
    expect(page.get_by_test_id("live-verdict")).to_have_text("不合格")
    expect(page.get_by_test_id("live").locator('[data-k="t2"]')).to_have_text("1 (允许 0)")
    page.get_by_test_id("measurements").fill("1001\n10O1\n")
    expect(page.get_by_test_id("live-error")).to_contain_text("第 2 个值")


def test_the_form_fits_a_phone(page: Page, sign_in):
    org_id, _name, _uscc = _yanta_producer()
    sign_in("yanta")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/netcontent/new?producer_org_id={org_id}")
    expect(page.get_by_test_id("measurements")).to_be_visible()
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    # the verdict also shows right under the box, where the inspector's thumb is
    page.get_by_test_id("product_name").fill("矿泉水")
    page.get_by_test_id("nominal").fill("500")
    page.get_by_test_id("lot_size").fill("120")
    page.get_by_test_id("measurements").fill("\n".join(["500.5"] * 50))
    mini = page.get_by_test_id("live-mini")
    expect(mini).to_be_visible()
    expect(mini).to_have_text("合格 · n = 50 · T1 0 · T2 0")


def test_public_c_mark_register_needs_no_sign_in(page: Page):
    page.goto("/public/c-mark")
    expect(page.locator("h1")).to_have_text("C 标志自我声明公示")
    expect(page.get_by_test_id("c-mark")).to_be_visible()
