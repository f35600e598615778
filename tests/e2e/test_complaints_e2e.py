"""Browser test of complaints (acceptance of issue 7): a citizen, signed out, files a complaint in
two steps from the QR page of an instrument, gets a ticket, and the county regulator of the
place (雁塔 ``yanta``) sees it in her inbox while the neighbouring county (碑林 ``beilin``) does not."""

from __future__ import annotations

import re

import helpers
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_citizen_files_from_the_qr_page_and_the_right_county_sees_it(page: Page, sign_in, platform):
    inst = helpers.instrument_where(region_code="610113", status="in_service")
    assert inst is not None

    # -- a citizen scans the label: no sign-in anywhere
    page.goto(f"/q/{inst.qr_token}")
    page.get_by_test_id("complain").click()
    expect(page.get_by_test_id("place")).to_contain_text(inst.serial_no)
    expect(page.get_by_test_id("step-1")).to_have_class(re.compile(r"\bon\b"))
    page.set_viewport_size(helpers.PHONE)  # a citizen on a phone
    helpers.assert_no_horizontal_overflow(page)

    # step 1: what and where (the county comes from the instrument); a too-short text is refused
    page.get_by_test_id("category").select_option("short_weight")
    page.get_by_test_id("description").fill("太短")
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("error-description")).to_be_visible()
    expect(page.get_by_test_id("category")).to_have_value("short_weight")  # kept
    page.get_by_test_id("description").fill("在该摊位买的 2 斤苹果，回家用家里的秤复称只有 1.8 斤。")
    page.get_by_test_id("next").click()

    # step 2: who — forget the consent first: nothing typed is lost
    expect(page.get_by_test_id("step-2")).to_have_class(re.compile(r"\bon\b"))
    expect(page.get_by_test_id("step1-summary")).to_contain_text("回家用家里的秤复称")
    page.get_by_test_id("contact_name").fill("王女士")
    page.get_by_test_id("contact_phone").fill("13700001234")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("error-consent")).to_be_visible()
    expect(page.get_by_test_id("contact_name")).to_have_value("王女士")
    expect(page.get_by_test_id("contact_phone")).to_have_value("13700001234")
    page.get_by_test_id("consent").check()
    page.get_by_test_id("submit").click()

    # -- the ticket to follow it
    expect(page.get_by_test_id("filed")).to_be_visible()
    ticket = page.get_by_test_id("ticket").inner_text().strip()
    assert re.fullmatch(r"TS-\d{4}-[0-9A-Z]{8}", ticket)
    expect(page.get_by_test_id("county")).to_have_text("雁塔区")
    expect(page.get_by_test_id("status")).to_have_text("待受理")
    assert "王女士" not in page.content() and "13700001234" not in page.content()
    helpers.assert_no_horizontal_overflow(page)
    helpers.screenshot(page, "complaint-ticket", helpers.PHONE)
    page.set_viewport_size(helpers.DESKTOP)

    # -- the county regulator of the place sees it in her inbox
    sign_in("yanta")
    page.goto("/complaints")
    row = page.locator(f"tr[data-ticket='{ticket}']")
    expect(row).to_be_visible()
    row.get_by_role("link", name=ticket).click()
    expect(page.get_by_test_id("ticket")).to_have_text(ticket)
    expect(page.get_by_test_id("status")).to_have_text("待受理")
    page.get_by_test_id("action-accept").locator("textarea[name=reason]").fill("已受理，转执法人员核查。")
    page.get_by_test_id("do-accept").click()
    expect(page.get_by_test_id("status")).to_contain_text("已受理")
    expect(page.get_by_test_id("timeline")).to_contain_text("已受理，转执法人员核查。")
    helpers.screenshot(page, "complaint-detail")

    # -- the neighbouring county does not
    page.context.clear_cookies()
    sign_in("beilin")
    page.goto(f"/complaints?q={ticket}")
    expect(page.get_by_test_id("inbox")).to_be_visible()
    expect(page.locator(f"tr[data-ticket='{ticket}']")).to_have_count(0)

    # -- and the citizen, still signed out, sees the acceptance on the ticket page
    page.context.clear_cookies()
    page.goto(f"/public/complaints/{ticket}")
    expect(page.get_by_test_id("status")).to_contain_text("已受理")
    expect(page.get_by_test_id("replies")).to_contain_text("已受理，转执法人员核查。")


def test_public_integrity_query(page: Page):
    from sqlalchemy import select

    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        org = s.get(Organisation, s.scalar(select(User.org_id).where(User.username == "enterprise")))
        name, uscc = org.name, org.uscc
    page.goto("/public")
    page.get_by_role("link", name="计量诚信查询").first.click()
    expect(page.get_by_test_id("formula")).to_contain_text("90")
    page.get_by_test_id("integrity-search").fill(uscc or name)
    page.get_by_test_id("integrity-search").press("Enter")
    page.get_by_test_id("operators").get_by_role("link", name=name).click()
    expect(page.get_by_test_id("grade")).to_have_text(re.compile("^[ABCD]$"))
    expect(page.get_by_test_id("term-K")).to_contain_text("+10")
    expect(page.get_by_test_id("commitment")).to_contain_text("已签署")
    expect(page.get_by_test_id("declaration")).to_contain_text("量值溯源")
    page.set_viewport_size(helpers.PHONE)
    helpers.assert_no_horizontal_overflow(page)
    helpers.screenshot(page, "integrity-profile", helpers.PHONE)
