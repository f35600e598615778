"""Computation endpoints over the kernels: pure functions of the posted document.

They read and write no stored data, so they need no sign-in (other instances and tools call
them); each maps its kernel's input error to a 422 that names the field and the rule.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse

from jiliang.api.deps import request_lang

router = APIRouter(prefix="/api/v1", tags=["computation"])

Lang = Annotated[str, Depends(request_lang)]
Document = Annotated[dict[str, Any], Body(description="The kernel's input document (see the CLI docs).")]


def kernel_error(exc: Exception, lang: str) -> dict[str, Any]:
    """One error body for every kernel's input-error class."""
    zh = getattr(exc, "message_zh", None)
    zh = zh() if callable(zh) else zh
    en = getattr(exc, "message_en", None) or str(exc)
    body: dict[str, Any] = {
        "error": "invalid_input",
        "code": getattr(exc, "code", None),
        "field": getattr(exc, "field", None),
        "message": (zh or en) if lang == "zh" else en,
    }
    for extra in ("rule", "position", "token", "row"):
        value = getattr(exc, extra, None)
        if value is not None:
            body[extra] = value
    return body


def _run(fn, doc: dict[str, Any], errors: tuple[type[Exception], ...], lang: str):
    try:
        return fn(doc)
    except errors as exc:
        return JSONResponse(kernel_error(exc, lang), status_code=422)


@router.post("/uncertainty/evaluate", summary="GUM and Monte Carlo evaluation of a measurement model")
def uncertainty_evaluate(doc: Document, lang: Lang) -> Any:
    from jiliang import uncertainty

    return _run(uncertainty.evaluate, doc, (uncertainty.ModelError,), lang)


@router.post("/risk/evaluate", summary="Specific or global conformity-decision risk (JCGM 106)")
def risk_evaluate(doc: Document, lang: Lang) -> Any:
    from jiliang import conformity

    return _run(conformity.evaluate_risk, doc, (conformity.RiskError,), lang)


@router.post("/prepackaged/evaluate", summary="Net-content verdict for a lot of prepackaged goods")
def prepackaged_evaluate(doc: Document, lang: Lang) -> Any:
    from jiliang import prepackaged

    return _run(prepackaged.evaluate, doc, (prepackaged.LotError,), lang)


@router.post("/intervals/recommend", summary="Calibration-interval recommendation from a history")
def intervals_recommend(doc: Document, lang: Lang) -> Any:
    """``{"rows": [{instrument, calibration_date, interval_days, in_tolerance, as_found_error}],
    "method": "m1|a3|s2", "target": 0.9}``"""
    from jiliang import intervals

    def run(d: dict[str, Any]) -> dict[str, Any]:
        rows = d.get("rows")
        if not isinstance(rows, list):
            raise intervals.HistoryError("rows", None, "must be a list of history rows")
        return intervals.recommend(rows, d.get("method", "a3"), float(d.get("target", 0.9)))

    return _run(run, doc, (intervals.HistoryError, ValueError), lang)
