"""Browser test: an inspector on site records the checklist and a finding with a photo on a
phone-sized screen; the target reports its rectification and the regulator closes it."""

from __future__ import annotations

import struct
import zlib

import pytest
from helpers import PHONE, assert_no_horizontal_overflow, screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, red) PNG image, as a phone camera would send a JPEG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _small_touch_targets(page: Page, selector: str) -> list[str]:
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null)
             .filter(e => e.getBoundingClientRect().height < 44)
             .map(e => (e.name || e.textContent.trim()) + ' ' + Math.round(e.getBoundingClientRect().height))""",
        selector,
    )


def _enterprise_inspection() -> tuple[int, str]:
    """The demo campaign's inspection of the ``enterprise`` user's organisation."""
    from sqlalchemy import select

    from jiliang.core.db import session_scope
    from jiliang.people.models import User
    from jiliang.supervision.inspection_models import Inspection

    with session_scope() as s:
        org = s.scalar(select(User.org_id).where(User.username == "enterprise"))
        row = s.scalars(select(Inspection).where(Inspection.target_org_id == org, Inspection.status != "cancelled")
                        .order_by(Inspection.id)).first()
        return row.id, row.target_name


def test_inspector_records_a_finding_with_a_photo_on_a_phone(page: Page, sign_in, browser, live_server):
    inspection_id, target_name = _enterprise_inspection()
    sign_in("yanta")
    page.set_viewport_size(PHONE)
    # -- my inspections (the Yanta regulator is in the demo pool)
    page.goto("/inspections/tasks?mine=1")
    assert_no_horizontal_overflow(page)
    target = page.get_by_test_id("inspections").locator(f"a[href='/inspections/{inspection_id}']")
    expect(target).to_have_text(target_name)
    target.click()
    page.wait_for_url(f"**/inspections/{inspection_id}")
    expect(page.get_by_test_id("target-name")).to_have_text(target_name)
    assert_no_horizontal_overflow(page)
    assert _small_touch_targets(page, ".insp-touch button, .insp-touch input:not([type=radio]):not([type=hidden]), .insp-touch select, .check-row label") == []

    # -- the checklist
    page.get_by_test_id("result-C1-fail").check()
    page.get_by_test_id("result-C2-pass").check()
    page.get_by_test_id("save-record").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_test_id("result-C1-fail")).to_be_checked()

    # -- a finding with the wrong kind of file is refused, what was typed is kept
    form = page.get_by_test_id("finding-form")
    photo = page.get_by_test_id("finding-photos")
    assert photo.get_attribute("accept") == "image/*" and photo.get_attribute("capture") == "environment"
    assert photo.get_attribute("multiple") is not None
    page.get_by_test_id("finding-item").fill("电子计价秤铅封破损")
    page.get_by_test_id("finding-severity").select_option("serious")
    page.get_by_test_id("finding-description").fill("收银台 2 号秤铅封断开")
    photo.set_input_files([{"name": "scan.txt", "mimeType": "text/plain", "buffer": b"not a photo"}])
    form.get_by_test_id("save-finding").click()
    expect(page.get_by_test_id("error-attachments")).to_be_visible()
    expect(page.get_by_test_id("finding-item")).to_have_value("电子计价秤铅封破损")
    assert_no_horizontal_overflow(page)

    # -- with a photo from the camera it is saved
    page.get_by_test_id("finding-photos").set_input_files(
        [{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_test_id("finding-severity").select_option("serious")
    page.get_by_test_id("save-finding").click()
    page.wait_for_url("**/inspections/findings/*?done=created")
    finding_url = page.url.split("?")[0]
    expect(page.get_by_test_id("finding-title")).to_have_text("电子计价秤铅封破损")
    expect(page.get_by_test_id("finding-severity")).to_have_text("严重")
    expect(page.get_by_test_id("finding-status")).to_have_text("待整改")
    img = page.get_by_test_id("photos").locator("img")
    expect(img).to_have_count(1)
    page.wait_for_function("() => document.querySelector('[data-testid=photos] img').naturalWidth === 4")
    assert_no_horizontal_overflow(page)
    screenshot(page, "inspection-finding-phone", PHONE)

    # -- the findings list shows it; signed out, the photo is not served
    page.goto("/inspections/findings?q=铅封破损")
    expect(page.get_by_test_id("findings").get_by_role("link", name="电子计价秤铅封破损").first).to_be_visible()
    page.goto(finding_url)
    img_src = page.get_by_test_id("photos").locator("img").get_attribute("src")
    anon = browser.new_context(base_url=live_server)
    assert anon.request.get(img_src).status == 404
    anon.close()

    # -- the inspected enterprise reports its rectification from its phone
    owner = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    phone = owner.new_page()
    phone.goto("/login")
    phone.fill("input[name=username]", "enterprise")
    phone.fill("input[name=password]", "jiliang-demo")
    phone.click("button.primary")
    phone.wait_for_url("**/")
    phone.goto(finding_url)
    assert phone.request.get(img_src).status == 200
    phone.get_by_test_id("rectification-note").fill("已更换铅封并送检，检定合格")
    phone.get_by_test_id("report").click()
    expect(phone.get_by_test_id("finding-status")).to_have_text("已报整改")
    assert_no_horizontal_overflow(phone)
    owner.close()

    # -- the regulator verifies and closes it
    page.goto(finding_url)
    page.get_by_test_id("verify-note").fill("现场复查，铅封完好")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("finding-status")).to_have_text("已销号")
    expect(page.get_by_test_id("follow-ups").locator("li")).to_have_count(2)
