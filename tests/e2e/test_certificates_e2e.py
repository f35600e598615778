"""Browser test of certificates (issue 5): an approved record becomes a certificate on the lab's
page; the PDF opens and shows Chinese text (first page rendered to PNG, not blank); the QR link
opens ``/verify`` signed out and shows valid; after revocation it shows revoked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "certificates"))
import certfix  # noqa: E402

pytestmark = pytest.mark.e2e


def _not_blank(png: Path) -> None:
    from PIL import Image

    img = Image.open(png).convert("L")
    dark = sum(1 for v in img.getdata() if v < 128)
    assert dark > 0.002 * img.width * img.height, "the first page of the PDF is blank"


def test_approved_record_to_verified_and_revoked(
    page: Page, sign_in, browser, live_server, client, auth, tmp_path
):
    import calfix

    from jiliang.certificates.service import verify_url

    setup = calfix.lab_setup()
    rec = certfix.approved_record(client, auth, setup)

    # -- the approver issues the certificate from the lab's certificates page
    sign_in("approver")
    page.goto("/certificates")
    with page.expect_navigation():
        page.get_by_test_id(f"issue-{rec['id']}").click()
    expect(page.get_by_test_id("cert-status")).to_have_text("有效")
    number = page.url.split("/certificates/")[1].split("?")[0]
    assert number.startswith(f"JL{setup['lab']:04d}-")

    # -- the PDF opens and shows Chinese text
    r = page.request.get(f"/api/v1/certificates/{number}/pdf")
    assert r.ok and r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(r.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(tmp_path / "page"),
            ],
            check=True,
        )
        pngs = sorted(tmp_path.glob("page*.png"))
        assert pngs
        _not_blank(pngs[0])
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True
        ).stdout.decode()
        assert "检定证书" in text.replace(" ", "") and number in text and "送检单位" in text
        assert "/verify?n=" in text
    # the PDF opens in the browser too
    resp = page.goto(f"/api/v1/certificates/{number}/pdf")
    assert resp is not None and resp.ok

    # -- the QR link opens /verify signed out and shows valid
    link = verify_url(number)
    assert link.endswith(f"/verify?n={quote(number)}")
    anon = browser.new_context(base_url=live_server, locale="zh-CN")
    public = anon.new_page()
    public.goto(link if link.startswith("http") else live_server + link)
    expect(public.get_by_test_id("verify-status")).to_have_text("有效")
    expect(public.get_by_test_id("proof-ok")).to_be_visible()
    expect(public.get_by_test_id("verify-signer")).not_to_have_text("—")

    # -- revocation by the approver; the public page then shows revoked, with the reason
    page.goto(f"/certificates/{number}")
    page.get_by_test_id("end-action").select_option("revoke")
    page.get_by_test_id("end-reason").fill("送检单位名称有误")
    with page.expect_navigation():
        page.get_by_test_id("end-submit").click()
    expect(page.get_by_test_id("cert-status")).to_have_text("已撤销")
    public.reload()
    expect(public.get_by_test_id("verify-status")).to_have_text("已撤销")
    expect(public.get_by_test_id("verify-reason")).to_have_text("送检单位名称有误")
    anon.close()
