"""Browser test of issue 7's acceptance: a draw is run, published, and re-verified by the CLI
from the published file alone (downloaded from the public page, signed out)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from helpers import PHONE, assert_no_horizontal_overflow, screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def _verify(path) -> subprocess.CompletedProcess:
    """``jiliang draw verify DRAW.json`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "jiliang.cli", "draw", "verify", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_draw_run_published_and_reverified_by_the_cli(page: Page, sign_in, browser, live_server, tmp_path):
    # -- the city regulator commits: the server makes the seed and shows only its SHA-256
    sign_in("xian")
    page.goto("/inspections/draws")
    page.get_by_test_id("draw-title").fill("西安市双随机抽查（浏览器测试）")
    page.locator("input[name=region_code]").fill("610100")
    page.get_by_test_id("draw-n").fill("3")
    page.get_by_test_id("commit").click()
    page.wait_for_url("**/inspections/draws/*")
    draw_url = page.url
    commitment = page.get_by_test_id("commitment").inner_text().strip()
    assert len(commitment) == 64 and all(ch in "0123456789abcdef" for ch in commitment)
    expect(page.get_by_test_id("seed")).to_have_text("公示后揭示")
    expect(page.get_by_test_id("draw-status")).to_have_text("已承诺种子")
    draw_id = draw_url.rstrip("/").split("/")[-1]

    # before the draw the public sees the commitment, not the seed
    anon = browser.new_context(base_url=live_server, locale="zh-CN", accept_downloads=True)
    public = anon.new_page()
    public.goto(f"/public/draws/{draw_id}")
    expect(public.get_by_test_id("commitment")).to_have_text(commitment)
    expect(public.get_by_test_id("seed")).to_have_text("公示后揭示")
    expect(public.get_by_test_id("download")).to_have_count(0)

    # -- snapshot, draw, reveal
    page.get_by_test_id("step-snapshot").click()
    expect(page.get_by_test_id("draw-status")).to_have_text("已固定对象库")
    population_hash = page.get_by_test_id("population-hash").inner_text().strip()
    assert len(population_hash) == 64
    page.get_by_test_id("step-run").click()
    expect(page.get_by_test_id("draw-status")).to_have_text("已抽取")
    expect(page.get_by_test_id("selection").locator("tbody tr")).to_have_count(3)
    page.get_by_test_id("step-publish").click()
    expect(page.get_by_test_id("draw-status")).to_have_text("已公示")

    # -- signed out: the public list, the draw, and its file
    public.goto("/public/draws")
    public.get_by_test_id("public-draws").get_by_role("link", name="西安市双随机抽查（浏览器测试）").click()
    public.wait_for_url(f"**/public/draws/{draw_id}")
    expect(public.get_by_test_id("commitment")).to_have_text(commitment)
    expect(public.get_by_test_id("population-hash")).to_have_text(population_hash)
    seed = public.get_by_test_id("seed").inner_text().strip()
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == commitment
    expect(public.get_by_test_id("selection").locator("tbody tr")).to_have_count(3)
    screenshot(public, "public-draw")
    with public.expect_download() as info:
        public.get_by_test_id("download").click()
    path = tmp_path / "DRAW.json"
    info.value.save_as(path)

    # -- the CLI re-runs the draw from the file alone
    done = _verify(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "valid"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["seed"] == seed and document["population_hash"] == population_hash
    shown = [r.inner_text() for r in public.get_by_test_id("selection").locator("tbody tr").all()]
    names = {t["id"]: t["name"] for t in document["population"]["targets"]}
    assert [names[s["target"]] for s in document["selection"]] == [row.split("\t")[1].split(" ")[0] for row in shown]

    # one byte changed in the result: the CLI says invalid
    document["selection"][0]["target"] = document["selection"][0]["target"][:-1] + "x"
    bad = tmp_path / "BAD.json"
    bad.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = _verify(bad)
    assert done.returncode == 1 and done.stdout.startswith("invalid")

    # the public page works on a phone
    public.set_viewport_size(PHONE)
    public.reload()
    assert_no_horizontal_overflow(public)
    anon.close()
