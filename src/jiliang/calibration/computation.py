"""Computation of measurement points: error, expanded uncertainty (entered with its basis, or
from the procedure's model by the GUM), TUR and the verdict by the record's decision rule
(ILAC-G8:09/2019 via :mod:`jiliang.conformity`). Pure functions of the posted values."""

from __future__ import annotations

import calendar
import copy
import json
import math
from datetime import date
from typing import Any

from jiliang import conformity, uncertainty
from jiliang.core.errors import ValidationFailed

VERDICT_ORDER = ("pass", "conditional_pass", "conditional_fail", "fail")
MAX_POINTS = 200


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months, the day clipped to the month's length."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _num(value: Any, field: str, required: bool = False) -> float | None:
    if value is None or value == "":
        if required:
            raise ValidationFailed.one(field, "必填", "required")
        return None
    if isinstance(value, bool):
        raise ValidationFailed.one(field, "应为数值", "must be a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed.one(field, "应为数值", "must be a number") from None
    if not math.isfinite(x) or abs(x) > 1e15:
        raise ValidationFailed.one(field, "应为有限数值", "must be a finite number")
    return x


def rule_from(doc: Any) -> conformity.DecisionRule:
    try:
        return conformity.DecisionRule.from_dict(doc if doc not in (None, {}) else "simple")
    except conformity.RiskError as exc:
        raise ValidationFailed.one("decision_rule", exc.message_zh, exc.message_en) from None


def _model_uncertainty(
    model: dict, nominal: float, indication: float | None, where: str, cache: dict
) -> tuple[float, float, str]:
    """U and k of one point from the procedure's model document (GUM, JCGM 100).

    The document (see :mod:`jiliang.uncertainty`) may use the constants ``nominal`` and
    ``indication``, which are set to the point's values; its first output is the error.
    """
    doc = copy.deepcopy(model)
    consts = dict(doc.get("constants") or {}) if isinstance(doc.get("constants"), dict) else {}
    consts["nominal"] = nominal
    consts["indication"] = indication if indication is not None else nominal
    doc["constants"] = consts
    doc["methods"] = ["gum"]
    doc.pop("mcm", None)
    key = json.dumps(doc, sort_keys=True, default=str)
    if key not in cache:
        try:
            result = uncertainty.evaluate(doc)
        except uncertainty.ModelError as exc:
            raise ValidationFailed.one(
                f"{where}.uncertainty_model", exc.message_zh(), str(exc)
            ) from None
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise ValidationFailed.one(
                f"{where}.uncertainty_model", f"不确定度模型无效：{exc}", f"invalid model: {exc}"
            ) from None
        outputs = result.get("outputs") or {}
        name = next(iter(outputs), None)
        gum = (outputs.get(name) or {}).get("gum") or {}
        big_u, k = gum.get("expanded_uncertainty"), gum.get("coverage_factor")
        if big_u is None or k is None or not math.isfinite(big_u) or big_u < 0:
            raise ValidationFailed.one(
                f"{where}.uncertainty_model", "模型未给出扩展不确定度", "the model gave no U"
            )
        cache[key] = (float(big_u), float(k), f"model: {name} (GUM)")
    return cache[key]


def compute_point(
    raw: dict, rule: conformity.DecisionRule, model: dict | None, where: str, cache: dict
) -> dict[str, Any]:
    """Error, U, TUR and verdict of one measurement point.

    Parameters
    ----------
    raw : dict
        ``nominal`` (value of the standard), ``readings`` (indications), ``as_found`` (the
        indication before any adjustment; default: the mean of the readings), ``as_left``,
        ``mpe_lower``/``mpe_upper`` or ``mpe`` (symmetric ±MPE), ``expanded_uncertainty`` and
        ``coverage_factor`` with ``uncertainty_basis`` when entered by hand.
    rule : DecisionRule
        The record's decision rule; its k is replaced by the point's k.
    model : dict or None
        The per-procedure uncertainty model, used when U is not entered.

    Returns
    -------
    dict
        The point with ``error = indication - nominal`` (the indication is ``as_found`` when
        entered, else the mean of the readings; same unit as the nominal value),
        ``tur = (upper - lower) / (2 U)`` (test uncertainty ratio, both limits needed), the
        ``verdict`` of :func:`jiliang.conformity.decide` applied to the error against the MPE
        limits, and its ``conformance_probability``.
    """
    nominal = _num(raw.get("nominal"), f"{where}.nominal", required=True)
    readings_raw = raw.get("readings") or []
    if not isinstance(readings_raw, list) or len(readings_raw) > 100:
        raise ValidationFailed.one(f"{where}.readings", "应为数值列表", "must be a list of numbers")
    readings = [_num(r, f"{where}.readings") for r in readings_raw]
    readings = [r for r in readings if r is not None]
    as_found = _num(raw.get("as_found"), f"{where}.as_found")
    indication = as_found
    if indication is None and readings:
        indication = sum(readings) / len(readings)
    as_left = _num(raw.get("as_left"), f"{where}.as_left")
    lo = _num(raw.get("mpe_lower"), f"{where}.mpe_lower")
    hi = _num(raw.get("mpe_upper"), f"{where}.mpe_upper")
    mpe = _num(raw.get("mpe"), f"{where}.mpe")
    if mpe is not None and lo is None and hi is None:
        lo, hi = -abs(mpe), abs(mpe)
    if lo is not None and hi is not None and lo > hi:
        raise ValidationFailed.one(f"{where}.mpe_lower", "下限大于上限", "lower limit above upper")
    big_u = _num(raw.get("expanded_uncertainty"), f"{where}.expanded_uncertainty")
    k = _num(raw.get("coverage_factor"), f"{where}.coverage_factor")
    basis = str(raw.get("uncertainty_basis") or "")[:300] or None
    if big_u is not None and big_u < 0:
        raise ValidationFailed.one(f"{where}.expanded_uncertainty", "不能为负", "must be >= 0")
    if k is not None and k <= 0:
        raise ValidationFailed.one(f"{where}.coverage_factor", "应大于 0", "must be > 0")
    if big_u is None and model:
        big_u, k, basis = _model_uncertainty(model, nominal, indication, where, cache)
    if big_u is not None and k is None:
        k = rule.coverage_factor
    error = None if indication is None else indication - nominal
    tur = None
    if big_u and lo is not None and hi is not None:
        tur = (hi - lo) / (2 * big_u)
    verdict = pc = None
    if error is not None and (lo is not None or hi is not None):
        point_rule = conformity.DecisionRule.from_dict(
            {**rule.to_dict(), "coverage_factor": k or 2.0}
        )
        try:
            d = conformity.decide(error, big_u or 0.0, [lo, hi], point_rule)
        except conformity.RiskError as exc:
            raise ValidationFailed.one(where, exc.message_zh, exc.message_en) from None
        verdict, pc = d.verdict, d.conformance_probability
    return {
        "nominal": nominal,
        "readings": readings,
        "as_found": as_found,
        "as_left": as_left,
        "error": error,
        "mpe_lower": lo,
        "mpe_upper": hi,
        "expanded_uncertainty": big_u,
        "coverage_factor": k,
        "uncertainty_basis": basis,
        "tur": tur,
        "verdict": verdict,
        "conformance_probability": pc,
    }


def overall_verdict(verdicts: list[str | None]) -> str | None:
    """The worst point verdict (fail > conditional fail > conditional pass > pass)."""
    known = [v for v in verdicts if v in VERDICT_ORDER]
    if not known:
        return None
    return max(known, key=VERDICT_ORDER.index)


def compute(rule_doc: Any, model: Any, points: Any) -> dict[str, Any]:
    """Every point's error, U, TUR and verdict, and the overall verdict (for live forms)."""
    rule = rule_from(rule_doc)
    model = _check_model(model)
    if not isinstance(points, list) or len(points) > MAX_POINTS:
        raise ValidationFailed.one(
            "points", f"至多 {MAX_POINTS} 个点", f"at most {MAX_POINTS} points"
        )
    cache: dict = {}
    out = [
        compute_point(p if isinstance(p, dict) else {}, rule, model, f"points[{i}]", cache)
        for i, p in enumerate(points)
    ]
    overall = overall_verdict([p["verdict"] for p in out])
    return {
        "points": out,
        "overall_verdict": overall,
        "overall_label": list(conformity.VERDICTS[overall]) if overall else None,
        "decision_rule": rule.to_dict(),
        "rule_text_zh": rule.describe("zh"),
        "rule_text_en": rule.describe("en"),
    }


def _check_model(model: Any) -> dict | None:
    if model in (None, {}, ""):
        return None
    if not isinstance(model, dict) or not model.get("equations"):
        raise ValidationFailed.one(
            "uncertainty_model",
            "应为含 equations 的模型文档",
            "must be a model document with equations",
        )
    return model
