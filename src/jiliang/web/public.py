"""The public portal (公众服务): every service a citizen or a business can use without signing in."""

from __future__ import annotations

import importlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiliang.features import present
from jiliang.web.views import MaybeWho, render

router = APIRouter(include_in_schema=False)

# (path, (zh, en) title, (zh, en) description, module that serves the path)
SERVICES: list[tuple[str, tuple[str, str], tuple[str, str], str]] = [
    ("/verify", ("证书核验", "Verify a certificate"),
     ("输入证书编号或上传数字证书，核对签名与公开日志。", "Enter a certificate number or upload a digital certificate; the signature and the public log are checked."),
     "jiliang.certificates.views"),
    ("/public/complaints/new", ("投诉举报", "File a complaint"),
     ("两步提交，可匿名；凭受理编号查询办理进度。", "Two steps, anonymous if you wish; follow it with your ticket number."),
     "jiliang.complaints.views"),
    ("/public/integrity", ("计量诚信查询", "Measurement integrity"),
     ("查询经营者的诚信计量承诺、能力声明与诚信等级。", "Look up an operator's commitment, self-declaration and integrity grade."),
     "jiliang.integrity.views"),
    ("/public/draws", ("双随机抽查公示", "Random inspection draws"),
     ("每次抽取的种子承诺、揭示与结果，可用命令行复核。", "Each draw's seed commitment, reveal and result, re-checkable from the command line."),
     "jiliang.supervision.inspection_views"),
    ("/public/catalogue", ("强制管理计量器具目录", "Mandatory instrument catalogue"),
     ("哪些计量器具须强制检定，检定形式与周期。", "Which instruments are under mandatory verification, in which form and period."),
     "jiliang.supervision.filing_views"),
    ("/public/c-mark", ("定量包装商品 C 标志", "C-mark register"),
     ("已声明计量保证能力（C 标志）的生产者。", "Packers that declared their metrological assurance (C mark)."),
     "jiliang.netcontent.views"),
]


def _routed(module: str, path: str) -> bool:
    if not present(module):
        return False
    routes = importlib.import_module(module).router.routes
    return any(getattr(r, "path", None) == path and "GET" in getattr(r, "methods", ()) for r in routes)


def available_services() -> list[tuple[str, tuple[str, str], tuple[str, str]]]:
    """The services whose module is installed and routes the page."""
    return [(p, title, desc) for p, title, desc, module in SERVICES if _routed(module, p)]


@router.get("/public")
def public_home(request: Request, who: MaybeWho) -> Response:
    return render(request, "public_home.html", {"who": who, "services": available_services()})
