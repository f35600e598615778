"""Rule sets for net-content inspection of prepackaged goods: data loading, T and sampling plans.

The figures live in ``jiliang/data/prepackaged/*.json``; every row names its source and whether
it was confirmed against a public text (see the README there). This module only reads them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from .errors import LotError

__all__ = [
    "DATA_DIR",
    "QUANTITIES",
    "RULE_SETS",
    "RuleSet",
    "sampling_plan",
    "tolerable_deficiency",
    "tolerable_deficiency_detail",
    "unit_factor",
    "unit_quantity",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "prepackaged"

_FILES = {
    "JJF1070-2023": "jjf1070-2023.json",
    "JJF1070-2005": "jjf1070-2005.json",
    "OIML-R87-2016": "oiml-r87-2016.json",
    "EU-76/211/EEC": "eu-76-211-eec.json",
    "NIST-HB133": "nist-hb133.json",
}

QUANTITIES = ("mass", "volume", "length", "area", "count")

# Unit -> (quantity kind, factor to the base unit of the T tables: g, ml, m, m2, count).
_UNITS: dict[str, tuple[str, Decimal]] = {
    "mg": ("mass", Decimal("0.001")),
    "g": ("mass", Decimal(1)),
    "kg": ("mass", Decimal(1000)),
    "ml": ("volume", Decimal(1)),
    "mL": ("volume", Decimal(1)),
    "cl": ("volume", Decimal(10)),
    "cL": ("volume", Decimal(10)),
    "l": ("volume", Decimal(1000)),
    "L": ("volume", Decimal(1000)),
    "cm3": ("volume", Decimal(1)),
    "mm": ("length", Decimal("0.001")),
    "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)),
    "mm2": ("area", Decimal("0.000001")),
    "cm2": ("area", Decimal("0.0001")),
    "dm2": ("area", Decimal("0.01")),
    "m2": ("area", Decimal(1)),
    "mm²": ("area", Decimal("0.000001")),
    "cm²": ("area", Decimal("0.0001")),
    "dm²": ("area", Decimal("0.01")),
    "m²": ("area", Decimal(1)),
    "count": ("count", Decimal(1)),
    "pcs": ("count", Decimal(1)),
    "1": ("count", Decimal(1)),
    "个": ("count", Decimal(1)),
    "片": ("count", Decimal(1)),
    "张": ("count", Decimal(1)),
    "支": ("count", Decimal(1)),
    "粒": ("count", Decimal(1)),
    "只": ("count", Decimal(1)),
    "袋": ("count", Decimal(1)),
}

_QUANTITY_ZH = {"mass": "质量", "volume": "体积", "length": "长度", "area": "面积", "count": "计数"}


def unit_quantity(unit: str) -> str | None:
    """Quantity kind (``"mass"``, ``"volume"`` …) of a unit symbol, or ``None`` if unknown."""
    entry = _UNITS.get(unit) if isinstance(unit, str) else None
    return entry[0] if entry else None


def unit_factor(unit: str) -> Decimal:
    """Factor from ``unit`` to the base unit of the tables (g, ml, m, m², count)."""
    return _UNITS[unit][1]


@dataclass(frozen=True)
class RuleSet:
    """One versioned rule set, as loaded from its JSON data file.

    Attributes
    ----------
    id : str
        Rule set id, e.g. ``"JJF1070-2023"``.
    title, title_zh : str
        Name of the standard in English and Chinese.
    confidence : float
        Confidence level of the mean criterion (0.995 for JJF 1070 / R 87 / EU; 0.975 for HB 133).
    data : dict
        The whole data file (sources, rows, notes).
    """

    id: str
    title: str
    title_zh: str
    confidence: float
    data: dict = field(repr=False)

    @property
    def source(self) -> dict:
        return self.data.get("source", {})

    @property
    def plan_kind(self) -> str:
        return self.data["sampling_plan"].get("kind", "single")

    @property
    def confirmed(self) -> bool:
        """True only if every table row of the rule set is confirmed."""
        rows = _all_rows(self.data)
        return all(r.get("confirmed", False) for r in rows)


def _all_rows(data: dict) -> list[dict]:
    out: list[dict] = []
    td = data.get("tolerable_deficiency", {})
    for key in ("mass_volume", "length", "area", "count"):
        out.extend(td.get(key, {}).get("rows", []))
    sp = data.get("sampling_plan", {})
    for key in ("rows", "mean_rows", "defective_rows"):
        out.extend(sp.get(key, []))
    return out


@lru_cache(maxsize=1)
def _load() -> dict[str, RuleSet]:
    sets: dict[str, RuleSet] = {}
    for rid, fname in _FILES.items():
        with open(DATA_DIR / fname, encoding="utf-8") as fh:
            data = json.load(fh)
        if data["id"] != rid:  # pragma: no cover - guards the data files
            raise RuntimeError(f"{fname}: id {data['id']!r} != {rid!r}")
        sets[rid] = RuleSet(
            id=rid,
            title=data["title"],
            title_zh=data.get("title_zh", data["title"]),
            confidence=float(data["confidence"]),
            data=data,
        )
    return sets


RULE_SETS: dict[str, RuleSet] = _load()


def get_rule_set(rules: Any) -> RuleSet:
    """Rule set by id; raises :class:`LotError` (field ``rules``) when unknown."""
    if not isinstance(rules, str):
        raise LotError(
            "rules",
            str(rules),
            f"rule set id must be a string, got {type(rules).__name__}",
            f"规则集编号必须为字符串，实际为 {type(rules).__name__}",
            code="wrong_type",
        )
    if rules not in RULE_SETS:
        known = ", ".join(RULE_SETS)
        raise LotError(
            "rules",
            rules,
            f"unknown rule set {rules!r}; known: {known}",
            f"未知的规则集 {rules!r}；可用：{known}",
            code="unknown_rules",
        )
    return RULE_SETS[rules]


def _dec(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, Integral):
        return Decimal(int(x))
    if isinstance(x, Real):
        return Decimal(repr(float(x)))
    return Decimal(str(x))


def _row_for(rows: list[dict], q: Decimal) -> dict | None:
    for row in rows:
        up_to = row.get("up_to")
        if "from" in row:  # inclusive lower bound
            lower_ok = q >= _dec(row["from"])
        else:
            lower_ok = q > _dec(row["above"])
        if lower_ok and (up_to is None or q <= _dec(up_to)):
            return row
    return None


def _round(value: Decimal, quantum: Decimal, method: str) -> Decimal:
    if method == "none":
        return value
    mode = ROUND_CEILING if method == "up" else ROUND_HALF_EVEN
    with localcontext() as ctx:
        ctx.prec = 50
        return (value / quantum).to_integral_value(rounding=mode) * quantum


def _check_quantity_unit(rs: RuleSet, quantity: Any, unit: Any) -> None:
    if not isinstance(quantity, str) or quantity not in QUANTITIES:
        raise LotError(
            "quantity",
            rs.id,
            f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}",
            f"量的类别必须为 {'、'.join(_QUANTITY_ZH.values())} 之一，实际为 {quantity!r}",
            code="unknown_quantity",
        )
    kind = unit_quantity(unit)
    if kind is None:
        raise LotError(
            "unit",
            rs.id,
            f"unknown unit {unit!r}",
            f"未知的计量单位 {unit!r}",
            code="unknown_unit",
        )
    if kind != quantity:
        raise LotError(
            "unit",
            rs.id,
            f"unit {unit!r} is a {kind} unit but the quantity is {quantity}",
            f"单位 {unit!r} 属于{_QUANTITY_ZH[kind]}，与量的类别“{_QUANTITY_ZH[quantity]}”不符",
            code="unit_mismatch",
        )


def _check_positive_number(value: Any, field_name: str, rule: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise LotError(
            field_name,
            rule,
            f"{field_name} must be a number, got {type(value).__name__}",
            f"{field_name} 必须为数值，实际为 {type(value).__name__}",
            code="wrong_type",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise LotError(
            field_name,
            rule,
            f"{field_name} must be finite",
            f"{field_name} 必须为有限数值",
            code="not_finite",
        )
    d = _dec(value)
    if d <= 0:
        raise LotError(
            field_name,
            rule,
            f"{field_name} must be greater than zero, got {value}",
            f"{field_name} 必须大于零，实际为 {value}",
            code="negative_value" if d < 0 else "zero_value",
        )
    return d


def _td(rules: str, quantity: str, nominal: Any, unit: str) -> tuple[dict, Decimal]:
    """Tolerable deficiency T (or the MAV of HB 133) with the table row and rounding applied.

    The table is chosen by quantity kind: mass and volume share one table in g or ml (JJF 1070
    and OIML R 87 table of T; 76/211/EEC Annex I point 2.4; HB 133 Table 2-5 for MAVs), length
    uses m, area m², count items. A percentage row gives ``Qn × p / 100`` rounded by the rule of
    the rule set (JJF 1070: to 0.1 g/ml when Qn ≤ 1 kg (L), to 1 g/ml above; R 87 and EU: up to
    the next 0.1 g/ml; count: up to the next whole item). An absolute row gives its value.

    Parameters
    ----------
    rules : str
        Rule set id (see :data:`RULE_SETS`).
    quantity : {"mass", "volume", "length", "area", "count"}
    nominal : number
        Nominal quantity Qn, in ``unit``.
    unit : str
        Unit of ``nominal``, e.g. ``"g"``, ``"kg"``, ``"ml"``, ``"L"``, ``"m"``, ``"m2"``, ``"count"``.

    Returns
    -------
    dict
        ``value`` (T in ``unit``), ``unit``, ``value_base`` and ``base_unit`` (T in g/ml/m/m²/items),
        ``row`` (the table row), ``rounding`` (description), ``kind`` (``"T"`` or ``"MAV"``),
        ``confirmed`` and ``notes``.

    Raises
    ------
    LotError
        Unknown rule set, unit not of the quantity, nominal not positive or outside the table.
    """
    rs = get_rule_set(rules)
    _check_quantity_unit(rs, quantity, unit)
    qn = _check_positive_number(nominal, "nominal", rs.id)
    td = rs.data["tolerable_deficiency"]
    table_key = "mass_volume" if quantity in ("mass", "volume") else quantity
    table = td.get(table_key)
    if table is None or (quantity == "volume" and table.get("unit_volume") is None):
        raise LotError(
            "quantity",
            rs.id,
            f"the shipped data of {rs.id} has no tolerable-deficiency table for {quantity}",
            f"{rs.id} 的数据中没有“{_QUANTITY_ZH[quantity]}”的允许短缺量表",
            code="quantity_not_covered",
        )
    factor = unit_factor(unit)
    with localcontext() as ctx:
        ctx.prec = 50
        qn_base = qn * factor
        row = _row_for(table["rows"], qn_base)
        base_unit = {"mass": "g", "volume": "ml", "length": "m", "area": "m2", "count": "count"}[
            quantity
        ]
        if row is None:
            first = table["rows"][0]
            lo = f"[{first['from']}" if "from" in first else f"({first['above']}"
            hi = table["rows"][-1].get("up_to")
            rng = f"{lo}, {hi if hi is not None else '∞'}] {base_unit}"
            raise LotError(
                "nominal",
                rs.id,
                f"nominal quantity {nominal} {unit} is outside the table of {rs.id} {rng}",
                f"标注净含量 {nominal} {unit} 超出 {rs.id} 允许短缺量表的范围 {rng}",
                code="nominal_out_of_range",
            )
        rounding_desc = "none"
        if "percent" in row:
            raw = qn_base * _dec(row["percent"]) / 100
            if row.get("rounding") == "ceil_integer":
                t_base = _round(raw, Decimal(1), "up")
                rounding_desc = "up to the next whole item"
            elif quantity in ("mass", "volume"):
                rnd = td.get("rounding", {"method": "none", "steps": []})
                quantum = None
                for step in rnd.get("steps", []):
                    up_to = step.get("up_to")
                    above = step.get("above")
                    if (up_to is None or qn_base <= _dec(up_to)) and (
                        above is None or qn_base > _dec(above)
                    ):
                        quantum = _dec(step["quantum"])
                        break
                if quantum is None:
                    t_base = raw
                else:
                    t_base = _round(raw, quantum, rnd["method"])
                    rounding_desc = f"{rnd['method']} to {quantum} {base_unit}"
            else:
                t_base = raw
        else:
            t_base = _dec(row["absolute"])
        t_unit = t_base / factor
    notes = []
    if not row.get("confirmed", False) and row.get("note"):
        notes.append(row["note"])
    rnd = td.get("rounding", {})
    if "percent" in row and quantity in ("mass", "volume") and not rnd.get("confirmed", True):
        notes.append("rounding rule: " + rnd.get("note", "unconfirmed"))
    return {
        "rules": rs.id,
        "kind": td.get("kind", "T"),
        "quantity": quantity,
        "nominal": float(qn),
        "value": float(t_unit),
        "unit": unit,
        "value_base": float(t_base),
        "base_unit": base_unit,
        "row": {k: v for k, v in row.items() if k != "note"},
        "rounding": rounding_desc,
        "confirmed": bool(row.get("confirmed", False)),
        "notes": notes,
        "source": td.get("source", {}),
    }, t_unit


def tolerable_deficiency_detail(rules: str, quantity: str, nominal: Any, unit: str) -> dict:
    # Docstring shared with _td below.
    return _td(rules, quantity, nominal, unit)[0]


def tolerable_deficiency(rules: str, quantity: str, nominal: Any, unit: str) -> float:
    """Tolerable deficiency T in ``unit`` (the MAV for ``"NIST-HB133"``).

    See :func:`tolerable_deficiency_detail` for the table row, the rounding and the source.

    Examples
    --------
    >>> tolerable_deficiency("JJF1070-2005", "mass", 500, "g")
    15.0
    >>> tolerable_deficiency("JJF1070-2005", "mass", 0.5, "kg")
    0.015
    """
    return tolerable_deficiency_detail(rules, quantity, nominal, unit)["value"]


def _t_factor(n: int, confidence: float) -> float:
    from scipy.stats import t as student_t

    return round(float(student_t.ppf(confidence, n - 1)) / math.sqrt(n), 3)


def _check_lot_size(lot_size: Any, rule: str) -> int:
    if isinstance(lot_size, Integral) and not isinstance(lot_size, bool):
        lot_size = int(lot_size)
    else:
        if isinstance(lot_size, float) and lot_size.is_integer():
            lot_size = int(lot_size)
        else:
            raise LotError(
                "lot_size",
                rule,
                f"lot_size must be a whole number, got {lot_size!r}",
                f"批量 lot_size 必须为整数，实际为 {lot_size!r}",
                code="wrong_type",
            )
    if lot_size < 1:
        raise LotError(
            "lot_size",
            rule,
            f"lot_size must be at least 1, got {lot_size}",
            f"批量 lot_size 至少为 1，实际为 {lot_size}",
            code="negative_value" if lot_size < 0 else "zero_value",
        )
    return lot_size


def _in_rows(rows: list[dict], n: int) -> dict | None:
    for row in rows:
        if n >= row["lot_min"] and (row.get("lot_max") is None or n <= row["lot_max"]):
            return row
    return None


def sampling_plan(rules: str, lot_size: int, destructive: bool = False) -> dict:
    """Sampling plan for a lot: sample size, correction factor λ and allowed T1/T2 counts.

    JJF 1070 (table of sampling plans, 99.5 % confidence): lots of 1–10 are checked package by
    package with no mean criterion; larger lots use ``q̄ ≥ Qn − λ·s``, ``λ = t₀.₉₉₅(n−1)/√n``.
    OIML R 87 plans cover lots of 100 and more. 76/211/EEC Annex II: single plan for the mean
    (n = 30 for 100–500, 50 above; 20 when destructive) and a double plan for defectives; lots
    under 100 are checked 100 % against ``q̄ ≥ Qn``. NIST HB 133 Category A: the sample error
    limit ``SEL = SCF·s`` plays the part of ``λ·s``.

    Parameters
    ----------
    rules : str
        Rule set id.
    lot_size : int
        Number of packages N in the inspection lot.
    destructive : bool, optional
        76/211/EEC only: use the destructive-test plan (n = 20).

    Returns
    -------
    dict
        ``kind`` (``"single"``, ``"double"``, ``"package_by_package"``), ``lot_size``, ``n``
        (packages to measure, the first sample for a double plan), ``correction`` (λ, or
        ``None`` when there is no mean criterion), ``mean_check``, ``mean_n``, ``t1_allowed``,
        ``t2_allowed`` (``None`` when the rule set has no 2T rule), for double plans ``n1, ac1,
        re1, n2, ac2, re2``, and ``row``, ``confirmed``, ``notes``, ``source``.
    """
    rs = get_rule_set(rules)
    n_lot = _check_lot_size(lot_size, rs.id)
    sp = rs.data["sampling_plan"]
    notes: list[str] = []
    if rs.plan_kind == "double":
        return _eu_plan(rs, n_lot, destructive)
    row = _in_rows(sp["rows"], n_lot)
    if row is None:
        raise LotError(
            "lot_size",
            rs.id,
            f"lot size {n_lot} is not covered by the shipped sampling plans of {rs.id}"
            + (f" ({sp['not_covered']})" if sp.get("not_covered") else ""),
            f"批量 {n_lot} 不在 {rs.id} 已收录的抽样方案范围内",
            code="lot_size_not_covered",
        )
    n = row["n"] if row["n"] is not None else n_lot
    correction = row.get("correction")
    if correction is None and row.get("mean_check") and n >= 2:
        correction = _t_factor(n, rs.confidence)
        notes.append(
            f"λ computed as t_{rs.confidence}(n−1)/√n = {correction} (not a published figure)"
        )
    if not row.get("confirmed", False) and row.get("note"):
        notes.append(row["note"])
    if row.get("note_lambda"):
        notes.append(row["note_lambda"])
    package_by_package = not row.get("mean_check", True)
    return {
        "rules": rs.id,
        "kind": "package_by_package" if package_by_package else "single",
        "lot_size": n_lot,
        "n": n,
        "mean_n": n,
        "correction": None if package_by_package else correction,
        "mean_check": bool(row.get("mean_check", True)),
        "t1_allowed": row.get("t1_allowed"),
        "t2_allowed": row.get("t2_allowed"),
        "confidence": rs.confidence,
        "row": {k: v for k, v in row.items() if k not in ("note", "note_lambda")},
        "confirmed": bool(row.get("confirmed", False)),
        "notes": notes,
        "source": sp.get("source", {}),
    }


def _eu_plan(rs: RuleSet, n_lot: int, destructive: bool) -> dict:
    sp = rs.data["sampling_plan"]
    base = {
        "rules": rs.id,
        "lot_size": n_lot,
        "confidence": rs.confidence,
        "t2_allowed": 0,
        "source": sp.get("source", {}),
        "notes": [],
    }
    if n_lot <= sp["small_lot"]["lot_max"]:
        return base | {
            "kind": "package_by_package",
            "n": n_lot,
            "mean_n": n_lot,
            "correction": 0.0,
            "mean_check": True,
            "t1_allowed": None,
            "row": sp["small_lot"],
            "confirmed": bool(sp["small_lot"].get("confirmed")),
            "notes": [
                "Lots under 100: 100 % inspection, mean >= Qn; the reference test sets no "
                "acceptance number for defectives in such lots (not applied)."
            ],
        }
    if destructive:
        d = sp["destructive"]
        return base | {
            "kind": "single",
            "n": d["n"],
            "mean_n": d["n"],
            "correction": d["correction"],
            "mean_check": True,
            "t1_allowed": d["ac"],
            "row": d,
            "confirmed": bool(d.get("confirmed")),
        }
    mrow = _in_rows(sp["mean_rows"], n_lot)
    drow = _in_rows(sp["defective_rows"], n_lot)
    assert mrow is not None and drow is not None
    return base | {
        "kind": "double",
        "n": max(drow["n1"], mrow["n"]),
        "mean_n": mrow["n"],
        "correction": mrow["correction"],
        "mean_check": True,
        "t1_allowed": drow["ac1"],
        "n1": drow["n1"],
        "ac1": drow["ac1"],
        "re1": drow["re1"],
        "n2": drow["n2"],
        "ac2": drow["ac2"],
        "re2": drow["re2"],
        "row": {"mean": mrow, "defectives": drow},
        "confirmed": bool(mrow.get("confirmed") and drow.get("confirmed")),
    }


tolerable_deficiency_detail.__doc__ = _td.__doc__
