"""Browser test of calibration work (issue 4): a verification of a non-automatic weighing
instrument from entry with live computation to approval, with a send-back, a refused lapsed
standard, a refused double signature, and the effects on the instrument."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
import calfix  # noqa: E402

pytestmark = pytest.mark.e2e
PW = "jiliang-demo"


def _fill_point(page: Page, row: int, nominal: str, readings: str, lo: str, hi: str) -> None:
    tr = page.get_by_test_id("points").locator("tbody tr").nth(row)
    tr.locator("[name=p_nominal]").fill(nominal)
    tr.locator("[name=p_readings]").fill(readings)
    tr.locator("[name=p_mpe_lower]").fill(lo)
    tr.locator("[name=p_mpe_upper]").fill(hi)


def _verdict(page: Page, row: int):
    return page.get_by_test_id("points").locator("tbody tr").nth(row).locator("[data-out=verdict]")


def _sign(page: Page) -> None:
    form = page.get_by_test_id("sign-form")
    form.locator("input[name=password]").fill(PW)
    with page.expect_navigation():
        form.get_by_test_id("sign-button").click()


def test_verification_from_entry_to_approval(page: Page, sign_in, platform):
    setup = calfix.lab_setup()
    scale = calfix.new_scale()

    # -- the metrologist accepts the scale and enters the verification
    sign_in("metrologist")
    page.goto("/calibration")
    page.get_by_test_id("new-record").click()
    page.fill("input[name=serial]", scale["serial_no"])
    page.get_by_role("button", name="搜索").click()
    page.get_by_test_id("found").get_by_role("link", name="开始记录").click()
    expect(page.get_by_test_id("inst-serial")).to_have_text(scale["serial_no"])
    expect(page.locator("input[name=procedure_code]")).to_have_value("JJG 539-2016")
    page.fill("input[name=location]", "质量室 A101")
    page.fill("input[name=temperature]", "20.4")
    page.fill("input[name=humidity]", "56")
    page.get_by_test_id(f"standards-{setup['lapsed']}").check()
    page.get_by_test_id(f"devices-{setup['device']}").check()
    _fill_point(page, 0, "1", "1.002 1.002", "-0.005", "0.005")
    page.get_by_test_id("add-point").click()
    _fill_point(page, 1, "10", "10.012", "-0.01", "0.01")
    page.get_by_test_id("add-point").click()
    _fill_point(page, 2, "30", "30.006", "-0.015", "0.015")
    # U comes from the procedure's model (GUM), the verdict from the decision rule, as typed
    expect(_verdict(page, 0)).to_have_text("合格")
    expect(_verdict(page, 1)).to_have_text("不合格")
    expect(_verdict(page, 2)).to_have_text("合格")
    u_cell = page.get_by_test_id("points").locator("tbody tr").nth(0).locator("[data-out=u]")
    expect(u_cell).to_contain_text("(k=")
    expect(page.get_by_test_id("overall")).to_have_text("不合格")
    expect(page.get_by_test_id("rule-text")).to_contain_text("简单接受")

    # a lapsed standard is refused
    page.get_by_test_id("save-record").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("已失效")
    page.get_by_test_id(f"standards-{setup['lapsed']}").uncheck()
    page.get_by_test_id(f"standards-{setup['good']}").check()
    page.get_by_test_id("save-record").click()
    page.wait_for_url("**/calibration/*?done=saved")
    record_url = page.url.split("?")[0]
    expect(page.get_by_test_id("record-status")).to_have_text("草稿")
    _sign(page)
    expect(page.get_by_test_id("record-status")).to_have_text("待核验")

    # -- the reviewer sends it back
    sign_in("reviewer")
    page.goto("/calibration/queue/review")
    path = "/" + record_url.split("/", 3)[3]
    number = page.get_by_test_id("records").locator(f"a[href='{path}']")
    expect(number).to_be_visible()
    number.click()
    form = page.get_by_test_id("return-form")
    form.locator("input[name=reason]").fill("10 kg 点示值抄录错误，请核对原始记录")
    with page.expect_navigation():
        form.get_by_test_id("return-button").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已退回")

    # -- the metrologist corrects and submits again
    sign_in("metrologist")
    page.goto(record_url)
    expect(page.get_by_test_id("return-reason")).to_contain_text("10 kg")
    page.get_by_test_id("edit-record").click()
    tr = page.get_by_test_id("points").locator("tbody tr").nth(1)
    tr.locator("[name=p_readings]").fill("10.004")
    expect(_verdict(page, 1)).to_have_text("合格")
    expect(page.get_by_test_id("overall")).to_have_text("合格")
    page.get_by_test_id("save-record").click()
    page.wait_for_url("**/calibration/*?done=saved")
    _sign(page)
    expect(page.get_by_test_id("record-status")).to_have_text("待核验")

    # -- the lab manager reviews; the same person cannot also approve
    sign_in("labmanager")
    page.goto(record_url)
    _sign(page)
    expect(page.get_by_test_id("record-status")).to_have_text("待批准")
    _sign(page)
    expect(page.get_by_test_id("error")).to_contain_text("同一人不能在同一记录上签名两次")
    expect(page.get_by_test_id("record-status")).to_have_text("待批准")

    # -- a third person approves
    sign_in("approver")
    page.goto("/calibration/queue/approval")
    page.goto(record_url)
    _sign(page)
    expect(page.get_by_test_id("record-status")).to_have_text("已批准")
    due = calfix_due()
    expect(page.get_by_test_id("next-due")).to_have_text(due.isoformat())
    signers = page.get_by_test_id("signatures").locator("tbody tr")
    expect(signers).to_have_count(4)  # the one voided by the send-back stays visible
    actions = page.get_by_test_id("audit-action").all_inner_texts()
    assert list(reversed(actions)) == [
        "create",
        "sign_performed",
        "return",
        "update",
        "sign_performed",
        "sign_reviewed",
        "sign_approved",
    ]

    # -- the instrument's due date and status changed
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument

    with session_scope() as s:
        inst = s.get(Instrument, scale["id"])
        assert inst.status == "in_service"
        assert inst.due_date == due and inst.last_verified == date.today()
    page.goto(f"/calibration/instruments/{scale['id']}")
    expect(page.get_by_test_id("inst-status")).to_have_text("在用")
    expect(page.get_by_test_id("control-chart")).to_have_count(3)


def calfix_due() -> date:
    from jiliang.calibration.service import add_months

    return add_months(date.today(), 12) - timedelta(days=1)
