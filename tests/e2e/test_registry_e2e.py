"""Browser tests of the registry (issue 2): dashboards, lists, forms, the public QR page.

Headless Debian Chromium through Playwright for Python, against the live server on the
session's seeded "tiny" demo data set. With ``JILIANG_SCREENSHOTS=1`` the tests also write the
README's screenshots to ``docs/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from helpers import (
    PHONE,
    assert_no_horizontal_overflow,
    instrument_where,
    misaligned_columns,
    screenshot,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"^\d[\d,]*$")


def _int(text: str) -> int:
    return int(text.strip().replace(",", ""))


def _region_row(page: Page, name: str):
    return (
        page.get_by_test_id("region-table")
        .locator("tbody tr")
        .filter(has=page.get_by_role("link", name=name, exact=True))
    )


def _tile_total(page: Page) -> int:
    return _int(page.locator(".tiles .tile").first.locator("b").inner_text())


# ------------------------------------------------------------------ 1. regulator drill-down


def test_regulator_drills_down_filters_and_opens_audit_trail(page: Page, sign_in):
    sign_in("province")

    # Province dashboard: counts and one row per city.
    heading = page.locator("h1")
    expect(heading).to_have_text("工作台 · 陕西省")
    expect(page.get_by_test_id("overdue-count")).to_have_text(NUMBER)
    table = page.get_by_test_id("region-table")
    expect(table.get_by_role("link", name="西安市", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="宝鸡市", exact=True)).to_be_visible()
    province_total = _tile_total(page)
    xian_row = _region_row(page, "西安市")
    xian_total = _int(xian_row.locator("td").nth(1).inner_text())
    assert 0 < xian_total < province_total
    screenshot(page, "dashboard")

    # → city.
    xian_row.get_by_role("link", name="西安市", exact=True).click()
    expect(page).to_have_url(re.compile(r"/\?region=610100$"))
    expect(heading).to_have_text("工作台 · 西安市")
    crumbs = page.locator("nav.crumbs")
    expect(crumbs).to_contain_text("陕西省")
    expect(crumbs).to_contain_text("西安市")
    expect(crumbs.get_by_role("link")).to_have_count(2)
    assert _tile_total(page) == xian_total
    yanta_row = _region_row(page, "雁塔区")
    yanta_cells = yanta_row.locator("td")
    yanta_total = _int(yanta_cells.nth(1).inner_text())
    yanta_overdue = _int(yanta_cells.nth(2).inner_text())
    assert yanta_overdue > 0

    # → county: no child table any more, the crumbs run province › city › county.
    yanta_row.get_by_role("link", name="雁塔区", exact=True).click()
    expect(page).to_have_url(re.compile(r"/\?region=610113$"))
    expect(heading).to_have_text("工作台 · 雁塔区")
    expect(crumbs.get_by_role("link")).to_have_text(["陕西省", "西安市", "雁塔区"])
    expect(page.get_by_test_id("region-table")).to_have_count(0)
    expect(page.get_by_test_id("overdue-count")).to_have_text(f"{yanta_overdue:,}")
    assert _tile_total(page) == yanta_total

    # The total tile opens the county's instrument list.
    page.locator(".tiles .tile").first.click()
    expect(page).to_have_url(re.compile(r"/instruments\?region_code=610113$"))
    expect(page.get_by_test_id("pager")).to_contain_text(f"{yanta_total:,}")

    # Filter by status: as many rows as the dashboard counted as overdue.
    page.locator("form.filters select[name=status]").select_option(label="超期未检")
    page.locator("form.filters button.primary").click()
    expect(page).to_have_url(re.compile(r"status=overdue"))
    expect(page.get_by_test_id("pager")).to_contain_text(f"{yanta_overdue:,}")
    screenshot(page, "instruments")
    # On a desktop the list is a real table: each header sits over its column (checked at the end).
    misaligned = misaligned_columns(page.get_by_test_id("list"))

    # …and a search term: the serial-number prefix of one overdue instrument.
    sample = instrument_where(region_code="610113", status="overdue")
    term = sample.serial_no[:4]
    page.get_by_role("searchbox").fill(term)
    page.locator("form.filters button.primary").click()
    expect(page).to_have_url(re.compile(rf"q={term}"))
    rows = page.get_by_test_id("list").locator("tbody tr")
    expect(rows.filter(has_text=sample.serial_no)).to_have_count(1)
    count = rows.count()
    assert 0 < count <= yanta_overdue
    for i in range(count):
        row = rows.nth(i)
        expect(row.locator("td[data-label=状态] .pill")).to_have_text("超期未检")
        expect(row.locator("td[data-label=所在地区]")).to_have_text("雁塔区")
        expect(row.locator("td[data-label=出厂编号]")).to_contain_text(term)
    # The filters survive in the form.
    expect(page.locator("form.filters select[name=status]")).to_have_value("overdue")
    expect(page.get_by_role("searchbox")).to_have_value(term)

    # Open the instrument: its facts and its audit trail.
    rows.filter(has_text=sample.serial_no).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/instruments/{sample.id}$"))
    expect(heading).to_contain_text(sample.serial_no)
    expect(page.locator("dd[data-field=status]")).to_have_text("超期未检")
    audit = page.get_by_test_id("audit")
    expect(audit.locator("thead th")).to_have_text(["时间", "操作人", "操作", "变更内容", "原因"])
    expect(audit.locator("tbody tr").first.locator("td").nth(2)).to_have_text("新建")
    expect(page.get_by_role("heading", name="审计追踪")).to_be_visible()
    screenshot(page, "instrument")

    assert not misaligned, f"the instrument list's columns do not line up: {misaligned}"


# ------------------------------------------------------------------ 2. enterprise registers an instrument


def test_enterprise_registers_instrument_fixing_an_invalid_field(page: Page, sign_in):
    sign_in("enterprise")
    nav = page.get_by_role("navigation", name="main")
    nav.locator("details[data-group=registers] > summary").click()
    nav.get_by_role("link", name="计量器具").click()
    page.get_by_role("link", name="新建", exact=True).click()
    expect(page).to_have_url(re.compile(r"/instruments/new$"))

    form = page.locator("form.grid-form")
    form.locator("select[name=type_id]").select_option(index=1)
    form.locator("select[name=use]").select_option("trade_settlement")
    form.locator("input[name=model]").fill("E2E-1")
    form.locator("input[name=due_date]").fill("2027-06-30")
    form.locator("input[name=serial_no]").fill("S" * 101)  # the limit is 100 characters
    form.locator("button.primary").click()

    # The page names the field that is wrong, and keeps what was typed.
    expect(page.get_by_role("alert")).to_be_visible()
    error = page.locator("small.error[data-error-for=serial_no]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("出厂编号")  # the message itself names the field…
    expect(error).to_contain_text("100")
    field = page.locator("label.invalid").filter(has=error)
    expect(field.locator("span").first).to_have_text("出厂编号 *")  # …and sits under its label
    expect(page.locator("small.error")).to_have_count(1)
    expect(form.locator("input[name=model]")).to_have_value("E2E-1")
    expect(form.locator("input[name=due_date]")).to_have_value("2027-06-30")

    # Correct it and save: the detail page, with the enterprise's own audit entry.
    serial = f"E2E-{uuid.uuid4().hex[:10].upper()}"
    page.locator("form.grid-form input[name=serial_no]").fill(serial)
    page.locator("form.grid-form button.primary").click()
    expect(page).to_have_url(re.compile(r"/instruments/\d+\?saved=1$"))
    # A 404 here means the redirect reached the browser before the new row was committed.
    expect(
        page.locator("h1"),
        "the detail page after saving is a 404: the save was not committed before the redirect",
    ).not_to_have_text("404")
    expect(page.get_by_role("status")).to_have_text("已保存")
    expect(page.locator("h1")).to_contain_text(serial)
    expect(page.locator("dd[data-field=serial_no]")).to_have_text(serial)
    expect(page.locator("dd[data-field=status]")).to_have_text("已登记")
    expect(page.locator("dd[data-field=due_date]")).to_have_text("2027-06-30")
    entries = page.get_by_test_id("audit").locator("tbody tr")
    expect(entries).to_have_count(1)
    cells = entries.first.locator("td")
    expect(cells.nth(1)).to_have_text("enterprise")
    expect(cells.nth(2)).to_have_text("新建")

    created = instrument_where(serial_no=serial)
    assert created is not None and created.status == "registered"


# ------------------------------------------------------------------ 3. public QR page


def test_public_qr_page_signed_out(page: Page, live_server):
    from jiliang.instruments.models import Instrument

    inst = instrument_where(
        Instrument.due_date >= date.today(), region_code="610113", status="in_service"
    )
    assert inst is not None
    response = page.goto(f"/q/{inst.qr_token}")
    assert response is not None and response.status == 200
    verdict = page.get_by_test_id("verification")
    expect(verdict).to_have_class(re.compile(r"\bvalid\b"))
    expect(verdict).to_contain_text("有效")
    expect(page.locator("section.public")).to_contain_text(inst.serial_no)
    expect(page.locator("section.public")).to_contain_text(inst.due_date.isoformat())
    expect(page.locator("section.public")).to_contain_text("雁塔区")
    # Only public facts: no menu, no user, no sign-out.
    expect(page.locator("nav.main-nav")).to_have_count(0)
    expect(page.locator("form[action='/logout']")).to_have_count(0)
    expect(page.locator(".who")).to_have_count(0)
    expect(page.get_by_text("退出")).to_have_count(0)
    screenshot(page, "public")

    overdue = instrument_where(region_code="610113", status="overdue")
    page.goto(f"/q/{overdue.qr_token}")
    expect(page.get_by_test_id("verification")).to_have_class(re.compile(r"\bexpired\b"))

    response = page.goto("/q/no-such-token-0000")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("404")
    expect(page.get_by_role("alert")).to_contain_text("未找到")
    expect(page.get_by_test_id("verification")).to_have_count(0)
    expect(page.locator("nav.main-nav")).to_have_count(0)


# ------------------------------------------------------------------ 4. language switch


def test_language_switch_sticks(page: Page, sign_in):
    sign_in("yanta")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("工作台 · 雁塔区")

    page.get_by_test_id("lang-switch").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(re.compile(r"^Dashboard · \w"))
    expect(page.get_by_test_id("lang-switch")).to_have_text("中文")

    # Next page, no ?lang= in the address: still English (the cookie sticks).
    nav = page.get_by_role("navigation", name="main")
    nav.locator("details[data-group=registers] > summary").click()
    nav.get_by_role("link", name="Instruments").click()
    expect(page).to_have_url(re.compile(r"/instruments$"))
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Instruments")
    expect(page.get_by_test_id("list").locator("thead")).to_contain_text("Status")
    expect(page.locator("form.filters select[name=status] option[value=overdue]")).to_have_text(
        "Overdue"
    )
    page.get_by_test_id("list").locator("tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    assert any(c["name"] == "lang" and c["value"] == "en" for c in page.context.cookies())

    # And back to Chinese.
    page.get_by_test_id("lang-switch").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="审计追踪")).to_be_visible()


# ------------------------------------------------------------------ 5. phone viewport


def test_phone_viewport_has_no_horizontal_overflow(page: Page, sign_in):
    page.set_viewport_size(PHONE)
    sign_in("province")
    expect(page.get_by_test_id("region-table")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "phone", viewport=PHONE)

    page.goto("/instruments")
    expect(page.get_by_test_id("list").locator("tbody tr").first).to_be_visible()
    assert_no_horizontal_overflow(page)
