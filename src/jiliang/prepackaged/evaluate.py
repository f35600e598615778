"""Evaluate an inspection lot: net content, T1/T2 counts, mean criterion and the verdict.

Reasons
-------
``result["reasons"]`` is a list of dicts ``{"code", "message_zh", "message_en"}``. On a fail it
holds one entry per failed criterion; on a pass it holds the single entry ``all_criteria_met``.
``result["checks"]`` lists every criterion applied with ``passed`` and the same three keys.
Codes: ``t2_exceeded``, ``t1_exceeded``, ``mav_exceeded``, ``defectives_rejected``,
``mean_below_limit``, ``all_criteria_met``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from numbers import Real
from typing import Any

from .errors import LotError
from .netcontent import (
    DENSITY_UNITS,
    average_tare,
    drained_content,
    net_from_average_tare,
    net_from_tare,
    volume_from_mass,
)
from .rules import (
    _check_lot_size,
    _check_quantity_unit,
    _td,
    get_rule_set,
    sampling_plan,
    unit_factor,
    unit_quantity,
)
from .rules import (
    _dec as _nominal_dec,
)
from .sampling import select_sample

__all__ = ["evaluate"]


def _fmt(x: float | Decimal | None, digits: int = 4) -> str:
    if x is None:
        return "—"
    v = round(float(x), digits)
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _reason(code: str, zh: str, en: str, passed: bool | None = None) -> dict:
    d: dict[str, Any] = {"code": code}
    if passed is not None:
        d["passed"] = passed
    d |= {"message_zh": zh, "message_en": en}
    return d


def _measurements(doc: dict, rule: str) -> tuple[list[float], str, dict]:
    """Net values in the measured unit, the name of the field they came from, and tare info."""
    has_net = "net" in doc
    has_gross = "gross" in doc
    if has_net == has_gross:
        raise LotError(
            "net",
            rule,
            "give either 'net' or 'gross' (with 'tare' or 'drained'), not both or neither",
            "须且仅须给出 net（净含量）或 gross（毛重，配 tare 皮重或 drained 沥干）之一",
            code="missing_measurements" if not has_net else "ambiguous_measurements",
        )
    nominal = float(doc["nominal"])
    if has_net:
        net = _numbers_field(doc["net"], "net", rule)
        return net, "net", {"method": "net"}
    gross = _numbers_field(doc["gross"], "gross", rule)
    if "drained" in doc:
        drained = doc["drained"]
        if not isinstance(drained, dict) or "sieve_mass" not in drained:
            raise LotError(
                "drained",
                rule,
                "drained must be an object with 'sieve_mass'",
                "drained 必须为含 sieve_mass（筛网质量）的对象",
                code="wrong_type",
            )
        return (
            drained_content(gross, drained["sieve_mass"]),
            "gross",
            {"method": "drained", "sieve_mass": float(drained["sieve_mass"])},
        )
    tare = doc.get("tare")
    if (
        not isinstance(tare, dict)
        or len(tare) != 1
        or not ("per_package" in tare or "average_of" in tare)
    ):
        raise LotError(
            "tare",
            rule,
            "with 'gross', 'tare' must be {'per_package': [...]} or {'average_of': [...]}",
            "给出 gross 时，tare 须为 {'per_package': [...]}（逐件皮重）或 {'average_of': [...]}（平均皮重）",
            code="missing_tare",
        )
    if "per_package" in tare:
        return net_from_tare(gross, tare["per_package"], rule), "gross", {"method": "per_package"}
    nominal_measured = nominal
    m_unit = doc.get("measured_unit", doc["unit"])
    if m_unit != doc["unit"] and unit_quantity(m_unit) == unit_quantity(doc["unit"]):
        nominal_measured = nominal * float(unit_factor(doc["unit"]) / unit_factor(m_unit))
    info = average_tare(tare["average_of"], nominal_measured, gross)
    if not info["permitted"]:
        raise LotError(
            "tare.average_of",
            info["rule"],
            f"average tare {_fmt(info['mean_tare'])} is more than 10 % of Qn and its standard "
            f"deviation {_fmt(info['std_tare'])} exceeds 0.25 × the gross standard deviation "
            f"{_fmt(info['std_gross'])}: tare every package (tare.per_package)",
            f"平均皮重 {_fmt(info['mean_tare'])} 大于 Qn 的 10%，且皮重标准偏差 "
            f"{_fmt(info['std_tare'])} 大于毛重标准偏差 {_fmt(info['std_gross'])} 的 0.25 倍："
            "须逐件测定皮重",
            code="average_tare_not_permitted",
        )
    return net_from_average_tare(gross, info["mean_tare"]), "gross", {"method": "average"} | info


def _numbers_field(values: Any, field: str, rule: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise LotError(
            field,
            rule,
            f"{field} must be a list of numbers",
            f"{field} 必须为数值列表",
            code="wrong_type",
        )
    out = []
    for i, v in enumerate(values):
        name = f"{field}[{i}]"
        if isinstance(v, bool) or not isinstance(v, Real):
            raise LotError(
                name,
                rule,
                f"{name} must be a number, got {v!r}",
                f"{name} 必须为数值，实际为 {v!r}",
                code="wrong_type",
            )
        if not math.isfinite(v):
            raise LotError(
                name, rule, f"{name} must be finite", f"{name} 必须为有限数值", code="not_finite"
            )
        if v < 0:
            raise LotError(
                name,
                rule,
                f"{name} must not be negative, got {v}",
                f"{name} 不能为负值，实际为 {v}",
                code="negative_value",
            )
        out.append(float(v))
    return out


def _to_unit(values: list[float], doc: dict, rule: str) -> tuple[list[float], dict]:
    """Convert measured values to the unit of the nominal quantity (incl. volume from mass)."""
    unit = doc["unit"]
    m_unit = doc.get("measured_unit", unit)
    m_kind = unit_quantity(m_unit)
    if m_kind is None:
        raise LotError(
            "measured_unit",
            rule,
            f"unknown unit {m_unit!r}",
            f"未知的计量单位 {m_unit!r}",
            code="unknown_unit",
        )
    quantity = doc["quantity"]
    conv: dict = {"measured_unit": m_unit}
    if m_kind == quantity:
        f = float(unit_factor(m_unit) / unit_factor(unit))
        return ([v * f for v in values] if f != 1.0 else values), conv
    if quantity == "volume" and m_kind == "mass":
        dens = doc.get("density")
        if dens is None:
            raise LotError(
                "density",
                rule,
                "measured in mass units: a density is needed for a volume",
                "以质量单位测量体积商品时须给出密度 density",
                code="missing_density",
            )
        if isinstance(dens, dict):
            d_val, d_unit = dens.get("value"), dens.get("unit", "g/ml")
        else:
            d_val, d_unit = dens, "g/ml"
        if d_unit not in DENSITY_UNITS:
            raise LotError(
                "density.unit",
                rule,
                f"unknown density unit {d_unit!r}",
                f"未知的密度单位 {d_unit!r}",
                code="unknown_unit",
            )
        to_g = float(unit_factor(m_unit))
        to_unit = 1.0 / float(unit_factor(unit))
        density: Any = d_val  # validated by volume_from_mass
        out = [volume_from_mass(v * to_g, density, d_unit) * to_unit for v in values]
        conv |= {"density": d_val, "density_unit": d_unit, "volume_from_mass": True}
        return out, conv
    raise LotError(
        "measured_unit",
        rule,
        f"measured unit {m_unit!r} ({m_kind}) does not fit the quantity {quantity}",
        f"测量单位 {m_unit!r} 与量的类别 {quantity} 不符",
        code="unit_mismatch",
    )


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _mean_std(values: list[Decimal]) -> tuple[Decimal, Decimal | None]:
    vals = sorted(values)  # sorted: result independent of the order of the measurements
    n = len(vals)
    mean = sum(vals, Decimal(0)) / n
    if n < 2:
        return mean, None
    ss = sum(((v - mean) ** 2 for v in vals), Decimal(0))
    return mean, (ss / (n - 1)).sqrt()


def evaluate(doc: dict) -> dict:
    """Evaluate one inspection lot against a rule set and give the verdict with every figure.

    Model (JJF 1070 / OIML R 87 / 76/211/EEC Annex II / NIST HB 133 Category A)::

        deficiency d_i = Qn − q_i
        T1 error: T < d_i ≤ 2T       (HB 133: d_i > MAV, "unreasonable minus error")
        T2 error: d_i > 2T           (no 2T rule in HB 133)
        mean criterion: q̄ ≥ Qn − λ·s, s the sample standard deviation (n − 1)
        pass ⇔ T1 count ≤ allowed ∧ T2 count ≤ allowed (0) ∧ mean criterion (where applied)

    Lots of 10 or fewer (JJF 1070) are checked package by package without the mean criterion.
    76/211/EEC uses a double sampling plan for defectives (d_i > T): the first ``n1`` values
    decide, or, when undecided, all ``n1 + n2``; its mean check uses the first ``mean_n``
    values (the list order is taken as the random draw order, e.g. from :func:`select_sample`).

    Parameters
    ----------
    doc : dict
        ``{"rules", "quantity", "nominal", "unit", "lot_size"}`` and either ``"net": [...]``
        or ``"gross": [...]`` with ``"tare": {"per_package": [...]} | {"average_of": [...]}``
        or ``"drained": {"sieve_mass": m}``. Optional: ``"measured_unit"`` (unit of the
        measured values when it differs from ``unit``), ``"density"`` (number in g/ml or
        ``{"value", "unit"}``; volume from mass), ``"seed"`` (records a reproducible sample
        selection), ``"destructive"`` (76/211/EEC destructive plan).

    Returns
    -------
    dict
        JSON-serialisable. ``verdict`` ("pass"|"fail"), ``sample_size``,
        ``tolerable_deficiency``, ``t1_errors``, ``t2_errors``, ``t1_allowed``, ``t2_allowed``,
        ``mean``, ``std``, ``correction`` (λ), ``correction_term`` (λ·s), ``mean_limit``,
        ``t1_limit`` (Qn − T), ``t2_limit`` (Qn − 2T), ``reasons``, ``checks``, ``plan``,
        ``tolerable_deficiency_detail``, ``net`` (values used), ``t1_indices``,
        ``t2_indices``, ``tare``, ``conversion``, ``sample_selection``, ``unconfirmed`` (notes
        of every unconfirmed table row used) and ``confirmed`` (bool).

    Raises
    ------
    LotError
        Invalid input; the error names the field and the rule.
    """
    if not isinstance(doc, dict):
        raise LotError(
            "doc",
            "lot document",
            "the lot document must be a JSON object",
            "检验批文件必须为 JSON 对象",
            code="wrong_type",
        )
    for key in ("rules", "quantity", "nominal", "unit", "lot_size"):
        if key not in doc:
            raise LotError(
                key,
                str(doc.get("rules", "lot document")),
                f"missing field {key!r}",
                f"缺少字段 {key!r}",
                code="missing_field",
            )
    rs = get_rule_set(doc["rules"])
    rule = rs.id
    _check_quantity_unit(rs, doc["quantity"], doc["unit"])
    td_detail, t_dec = _td(rule, doc["quantity"], doc["nominal"], doc["unit"])
    lot_size = _check_lot_size(doc["lot_size"], rule)
    destructive = bool(doc.get("destructive", False))
    plan = sampling_plan(rule, lot_size, destructive=destructive)

    raw, field, tare_info = _measurements(doc, rule)
    net, conversion = _to_unit(raw, doc, rule)

    n_plan = plan["n"]
    allowed_lengths = [n_plan]
    if plan["kind"] == "double":
        allowed_lengths.append(plan["n1"] + plan["n2"])
    if len(net) < n_plan:
        raise LotError(
            field,
            rule,
            f"{len(net)} measurements given, the sampling plan for a lot of {lot_size} needs "
            f"{n_plan}",
            f"给出 {len(net)} 个测量值，批量 {lot_size} 的抽样方案要求样本量 {n_plan}",
            code="too_few_measurements",
        )
    if len(net) not in allowed_lengths:
        raise LotError(
            field,
            rule,
            f"{len(net)} measurements given, the sampling plan for a lot of {lot_size} needs "
            f"exactly {' or '.join(map(str, allowed_lengths))}",
            f"给出 {len(net)} 个测量值，批量 {lot_size} 的抽样方案要求样本量为 "
            f"{' 或 '.join(map(str, allowed_lengths))}",
            code="too_many_measurements",
        )
    if len(net) > lot_size:
        raise LotError(
            field,
            rule,
            f"{len(net)} measurements for a lot of {lot_size}",
            f"测量值个数 {len(net)} 大于批量 {lot_size}",
            code="sample_larger_than_lot",
        )

    unit = doc["unit"]
    is_mav = td_detail["kind"] == "MAV"
    checks: list[dict] = []
    with localcontext() as ctx:
        ctx.prec = 50
        qn = _nominal_dec(doc["nominal"])
        t = t_dec
        q = [_dec(v) for v in net]
        deficiency = [qn - v for v in q]
        if is_mav:
            t1_idx = [i for i, d in enumerate(deficiency) if d > t]
            t2_idx: list[int] | None = None
        else:
            t1_idx = [i for i, d in enumerate(deficiency) if t < d <= 2 * t]
            t2_idx = [i for i, d in enumerate(deficiency) if d > 2 * t]

        # Mean criterion
        mean_q = q[: plan["mean_n"]] if plan["kind"] == "double" else q
        mean, std = _mean_std(mean_q)
        lam = plan["correction"]
        mean_limit = correction_term = None
        mean_ok = True
        if plan["mean_check"] and lam is not None:
            lam_d = Decimal(str(lam))
            correction_term = lam_d * (std if std is not None else Decimal(0))
            mean_limit = qn - correction_term
            mean_ok = mean >= mean_limit

    n_used = len(net)
    t1_allowed = plan["t1_allowed"]
    t2_allowed = plan.get("t2_allowed")

    # T2 (or nothing for HB 133)
    if t2_idx is not None:
        ok = len(t2_idx) <= (t2_allowed or 0)
        checks.append(
            _reason(
                "t2_exceeded" if not ok else "t2_ok",
                f"短缺量大于 2T（{_fmt(2 * t)} {unit}）的件数为 {len(t2_idx)}，允许 {t2_allowed or 0} 件",
                f"{len(t2_idx)} package(s) short by more than 2T ({_fmt(2 * t)} {unit}); "
                f"{t2_allowed or 0} allowed",
                ok,
            )
        )

    # T1 / defectives
    decided_stage = None
    if plan["kind"] == "double":
        n1 = plan["n1"]
        defect_1 = sum(1 for d in deficiency[:n1] if d > t)
        if defect_1 <= plan["ac1"]:
            ok, decided_stage = True, 1
        elif defect_1 >= plan["re1"]:
            ok, decided_stage = False, 1
        elif n_used == n1 + plan["n2"]:
            defect_all = sum(1 for d in deficiency if d > t)
            ok, decided_stage = defect_all <= plan["ac2"], 2
        else:
            raise LotError(
                field,
                rule,
                f"{defect_1} defectives in the first sample of {n1} (accept ≤ {plan['ac1']}, "
                f"reject ≥ {plan['re1']}): measure the second sample of {plan['n2']} and give "
                f"all {n1 + plan['n2']} values",
                f"第一样本 {n1} 件中不合格 {defect_1} 件（接收数 {plan['ac1']}，拒收数 "
                f"{plan['re1']}）：须再测第二样本 {plan['n2']} 件并给出全部 {n1 + plan['n2']} 个值",
                code="second_sample_required",
            )
        count = defect_1 if decided_stage == 1 else sum(1 for d in deficiency if d > t)
        checks.append(
            _reason(
                "defectives_rejected" if not ok else "defectives_ok",
                f"双次抽样第 {decided_stage} 阶段：短缺量大于 T 的件数为 {count}",
                f"double sampling, stage {decided_stage}: {count} package(s) short by more than T",
                ok,
            )
        )
    elif t1_allowed is not None:
        ok = len(t1_idx) <= t1_allowed
        if is_mav:
            checks.append(
                _reason(
                    "mav_exceeded" if not ok else "mav_ok",
                    f"短缺量大于 MAV（{_fmt(t)} {unit}）的件数为 {len(t1_idx)}，允许 {t1_allowed} 件",
                    f"{len(t1_idx)} package(s) short by more than the MAV ({_fmt(t)} {unit}); "
                    f"{t1_allowed} allowed",
                    ok,
                )
            )
        else:
            checks.append(
                _reason(
                    "t1_exceeded" if not ok else "t1_ok",
                    f"短缺量大于 T（{_fmt(t)} {unit}）且不大于 2T 的件数为 {len(t1_idx)}，"
                    f"允许 {t1_allowed} 件",
                    f"{len(t1_idx)} package(s) short by more than T ({_fmt(t)} {unit}) and at most "
                    f"2T; {t1_allowed} allowed",
                    ok,
                )
            )

    if plan["mean_check"] and mean_limit is not None:
        checks.append(
            _reason(
                "mean_below_limit" if not mean_ok else "mean_ok",
                f"样本平均实际含量 q̄ = {_fmt(mean)} {unit}，限值 Qn − λ·s = {_fmt(qn)} − "
                f"{_fmt(lam, 3)} × {_fmt(std)} = {_fmt(mean_limit)} {unit}",
                f"sample mean q̄ = {_fmt(mean)} {unit}, limit Qn − λ·s = {_fmt(qn)} − "
                f"{_fmt(lam, 3)} × {_fmt(std)} = {_fmt(mean_limit)} {unit}",
                mean_ok,
            )
        )

    failed = [c for c in checks if not c["passed"]]
    verdict = "fail" if failed else "pass"
    if failed:
        reasons = [{k: c[k] for k in ("code", "message_zh", "message_en")} for c in failed]
    else:
        reasons = [
            _reason(
                "all_criteria_met",
                "全部判定条件均满足，判为合格",
                "all criteria met: the lot passes",
            )
        ]

    unconfirmed = list(dict.fromkeys(td_detail["notes"] + plan["notes"]))
    result: dict[str, Any] = {
        "rules": rule,
        "rules_title": rs.title,
        "rules_title_zh": rs.title_zh,
        "verdict": verdict,
        "quantity": doc["quantity"],
        "unit": unit,
        "nominal": float(doc["nominal"]),
        "lot_size": lot_size,
        "sample_size": n_used,
        "package_by_package": plan["kind"] == "package_by_package",
        "tolerable_deficiency": float(t),
        "tolerable_deficiency_kind": td_detail["kind"],
        "t1_limit": float(qn - t),
        "t2_limit": None if is_mav else float(qn - 2 * t),
        "t1_errors": len(t1_idx),
        "t2_errors": None if t2_idx is None else len(t2_idx),
        "t1_allowed": t1_allowed,
        "t2_allowed": None if is_mav else t2_allowed,
        "defectives": sum(1 for d in deficiency if d > t),
        "t1_indices": t1_idx,
        "t2_indices": t2_idx,
        "mean": float(mean),
        "std": None if std is None else float(std),
        "correction": lam,
        "correction_term": None if correction_term is None else float(correction_term),
        "mean_limit": None if mean_limit is None else float(mean_limit),
        "mean_check_applied": mean_limit is not None,
        "mean_sample_size": len(mean_q),
        "confidence": rs.confidence,
        "reasons": reasons,
        "checks": checks,
        "plan": plan,
        "double_sampling_stage": decided_stage,
        "tolerable_deficiency_detail": td_detail,
        "net": net,
        "tare": tare_info,
        "conversion": conversion,
        "confirmed": bool(td_detail["confirmed"] and plan["confirmed"]),
        "unconfirmed": unconfirmed,
    }
    if "seed" in doc:
        sample_n = min(n_used, lot_size)
        result["sample_selection"] = select_sample(lot_size, sample_n, doc["seed"])
    return result
