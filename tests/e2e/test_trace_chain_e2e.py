"""Browser test of the traceability chain (issue 6): a certificate whose standard device's link
has expired; from the certificate page open its chain graph, see the gap in red, click a node for
its details, zoom, and switch to the table view."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))
import calfix  # noqa: E402
import helpers  # noqa: E402

pytestmark = pytest.mark.e2e
PW = "jiliang-demo"


def _certificate_with_a_broken_chain() -> tuple[str, int]:
    from sqlalchemy import select

    from jiliang.calibration import service as calibration
    from jiliang.certificates import service as certificates
    from jiliang.core.db import session_scope
    from jiliang.people.models import User
    from jiliang.people.service import principal_for
    from jiliang.traceability.models import TraceLink

    setup = calfix.lab_setup(linked=False)
    scale = calfix.new_scale()
    today = date.today()
    with session_scope() as s:
        s.add(TraceLink(subject_kind="device", subject_id=setup["device"], source_kind="terminal",
                        terminal_kind="national_primary", terminal_reference="国家千克基准",
                        calibrated_on=today - timedelta(days=400), valid_until=today - timedelta(days=20),
                        status="active"))
        users = {u.username: principal_for(s, u) for u in s.scalars(
            select(User).where(User.username.in_(("metrologist", "reviewer", "approver"))))}
        rec = calibration.create_record(s, users["metrologist"], calfix.record_body(scale["id"], setup))
        calibration.sign(s, users["metrologist"], rec.id, "performed", PW)
        calibration.sign(s, users["reviewer"], rec.id, "reviewed", PW)
        calibration.sign(s, users["approver"], rec.id, "approved", PW, "zh", "复校安排中（浏览器测试）")
        cert = certificates.issue(s, users["approver"], rec.id)
        return cert.number, setup["device"]


def test_certificate_chain_graph_gap_click_and_table(page: Page, sign_in, platform):
    number, device_id = _certificate_with_a_broken_chain()
    sign_in("approver")
    page.goto(f"/certificates/{number}")
    page.get_by_test_id("cert-chain").click()
    expect(page.get_by_test_id("chain-verdict")).to_have_attribute("data-traceable", "false")
    node = page.get_by_test_id(f"node-device:{device_id}")
    expect(node).to_have_class("node device gap")
    fill = node.locator("rect").evaluate("r => getComputedStyle(r).stroke")
    assert fill == "rgb(192, 57, 43)"  # gaps are drawn in red
    expect(page.get_by_test_id("gaps").locator("tr[data-code=link_expired]")).to_have_count(1)
    helpers.screenshot(page, "trace-chain")

    panel = page.get_by_test_id("detail-panel")
    expect(panel.get_by_test_id("detail-link")).to_be_hidden()
    expect(page.get_by_test_id("table-view")).to_be_hidden()
    node.click()
    expect(panel).to_have_attribute("data-node", f"device:{device_id}")
    expect(panel.get_by_test_id("detail-link")).to_have_attribute("href", f"/standard-devices/{device_id}")
    expect(node).to_have_class("node device gap selected")

    svg = page.get_by_test_id("chain-svg")
    before = svg.get_attribute("viewBox")
    page.get_by_test_id("zoom-in").click()
    assert svg.get_attribute("viewBox") != before
    page.get_by_test_id("zoom-reset").click()
    assert svg.get_attribute("viewBox") == before

    page.get_by_test_id("view-table").click()
    expect(page.get_by_test_id("table-view")).to_be_visible()
    expect(page.get_by_test_id("graph-view")).to_be_hidden()
    table = page.get_by_test_id("chain-table")
    expect(table.locator(f"tr[data-node='device:{device_id}']")).to_have_class("gap-row")
    expect(table.locator("tr[data-node^='terminal:']")).to_have_count(1)
    page.get_by_test_id("view-graph").click()
    expect(page.get_by_test_id("graph-view")).to_be_visible()
