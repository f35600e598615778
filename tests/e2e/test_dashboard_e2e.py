"""Browser test of the regulator dashboard (issue 7): the map drills from the province to a city
to a county, the county's overdue list opens from the dashboard and exports to xlsx with the same
rows; the enterprise reads its early-warning notices in the inbox."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _int(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def _overdue_in_db(county: str) -> set[str]:
    from sqlalchemy import select

    from jiliang.core.db import session_scope
    from jiliang.instruments.dashboard import ACTIVE
    from jiliang.instruments.models import Instrument
    from jiliang.supervision.warning_models import InstrumentWarning as W

    with session_scope() as s:
        return set(s.scalars(
            select(Instrument.serial_no).join(W, W.instrument_id == Instrument.id)
            .where(W.region_code == county, W.kind == "overdue", Instrument.status.in_(ACTIVE),
                   Instrument.due_date.is_not_distinct_from(W.basis_due))
        ))


def test_map_drills_from_province_to_county_and_the_overdue_list_exports(page: Page, sign_in, tmp_path):
    sign_in("province")
    heading = page.locator("h1")
    expect(heading).to_have_text("工作台 · 陕西省")
    expect(page.get_by_test_id("trend-chart")).to_be_visible()
    expect(page.get_by_test_id("coverage-verified")).to_be_visible()

    # the map of the province: one shape per city, each a link one level down
    page.locator('section.map svg a[href="/?region=610100"]').click()
    expect(page).to_have_url(re.compile(r"/\?region=610100$"))
    expect(heading).to_have_text("工作台 · 西安市")
    expect(page.get_by_test_id("trend-chart")).to_be_visible()
    page.locator('section.map svg a[href="/?region=610113"]').click()
    expect(page).to_have_url(re.compile(r"/\?region=610113$"))
    expect(heading).to_have_text("工作台 · 雁塔区")
    expect(page.locator("nav.crumbs").get_by_role("link")).to_have_text(["陕西省", "西安市", "雁塔区"])

    # the county's overdue list, from its tile
    tile = page.get_by_test_id("warn-overdue")
    overdue = _int(tile.locator("b").inner_text())
    expected = _overdue_in_db("610113")
    assert overdue > 0 and overdue >= len(expected)
    tile.click()
    expect(page).to_have_url(re.compile(r"/warnings\?kind=overdue&region=610113$"))
    expect(page.get_by_test_id("warning-pager")).to_contain_text(f"共 {len(expected)} 条")
    rows = page.get_by_test_id("warning-list").locator("tbody tr")
    expect(rows.first).to_contain_text("超期未检")

    with page.expect_download() as info:
        page.get_by_test_id("warnings-export-xlsx").click()
    path = tmp_path / "overdue.xlsx"
    info.value.save_as(path)
    sheet = list(load_workbook(path).active.iter_rows(values_only=True))
    header, body = sheet[0], sheet[1:]
    assert header[:3] == ("预警类型", "到期日", "出厂编号")
    assert len(body) == len(expected)
    assert {r[2] for r in body} == expected
    assert {r[0] for r in body} == {"超期未检"}
    assert [r[1] for r in body] == sorted(r[1] for r in body)  # by due date

    # the search box narrows the list
    serial = body[0][2]
    page.fill("form.filters input[name=q]", serial)
    page.locator("form.filters button.primary").click()
    expect(page.get_by_test_id("warning-pager")).to_contain_text("共 1 条")


def test_enterprise_reads_its_warnings_in_the_inbox(page: Page, sign_in):
    sign_in("enterprise")
    page.goto("/inbox")
    unread = _int(page.get_by_test_id("inbox-unread").inner_text())
    assert unread > 0
    first = page.get_by_test_id("inbox-list").locator("li.unread").first
    expect(first).to_contain_text("计量器具")
    first.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("inbox-unread")).to_have_text(str(unread - 1))
    page.goto("/warnings")
    expect(page.get_by_test_id("warning-list").locator("tbody tr").first).to_be_visible()


def test_county_regulator_sets_the_lead_time(page: Page, sign_in):
    sign_in("yanta")
    page.goto("/warnings/settings")
    form = page.locator("form.form")
    form.locator("select[name=region_code]").select_option("610113")
    form.locator("input[name=lead_days]").fill("四十")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("error-lead_days")).to_contain_text("提前天数")
    expect(form.locator("input[name=lead_days]")).to_have_value("四十")  # what was typed stays
    form.locator("input[name=lead_days]").fill("15")  # the default: other tests rely on it
    form.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/warnings/settings\?saved=1$"))
    expect(page.get_by_test_id("my-lead")).to_have_text("15")
