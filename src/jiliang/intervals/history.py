"""Calibration history: reading and validating the rows used by interval analysis.

A history row is one calibration *as found* at the end of an interval::

    {"instrument": "W-001", "calibration_date": date(2024, 3, 1), "interval_days": 365,
     "in_tolerance": True, "as_found_error": 0.012}

``interval_days`` is the time the instrument was in service since its previous calibration
(the "resubmission time" of NCSLI RP-1); ``in_tolerance`` is the as-found verdict.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np


class HistoryError(ValueError):
    """Bad calibration-history input.

    Attributes
    ----------
    field : str
        Column / key at fault (e.g. ``"interval_days"``), or ``"method"``, ``"target"`` ...
    row : int or None
        1-based data row number (CSV: the header is row 0), ``None`` if not row-specific.
    rule : str
        The rule broken, in English; ``message_zh`` / ``message_en`` carry full messages.
    """

    def __init__(self, field: str, row: int | None, rule: str, rule_zh: str | None = None):
        self.field = field
        self.row = row
        self.rule = rule
        where_en = f"row {row}, " if row is not None else ""
        where_zh = f"第 {row} 行，" if row is not None else ""
        self.message_en = f"{where_en}{field}: {rule}"
        self.message_zh = f"{where_zh}{field}：{rule_zh or rule}"
        super().__init__(self.message_en)

    def message(self, lang: str = "en") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "error": "history_input",
            "field": self.field,
            "row": self.row,
            "message": self.message(lang),
        }


@dataclass(frozen=True)
class HistoryRow:
    """One validated calibration result."""

    instrument: str
    calibration_date: date
    interval_days: float
    in_tolerance: bool
    as_found_error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "calibration_date": self.calibration_date.isoformat(),
            "interval_days": self.interval_days,
            "in_tolerance": self.in_tolerance,
            "as_found_error": self.as_found_error,
        }


COLUMNS = ("instrument", "calibration_date", "interval_days", "in_tolerance", "as_found_error")

# Accepted header spellings (lower-cased, stripped) -> canonical column.
_ALIASES = {
    "instrument": "instrument",
    "instrument_id": "instrument",
    "serial": "instrument",
    "器具": "instrument",
    "器具编号": "instrument",
    "计量器具": "instrument",
    "calibration_date": "calibration_date",
    "date": "calibration_date",
    "calibration date": "calibration_date",
    "日期": "calibration_date",
    "检定日期": "calibration_date",
    "校准日期": "calibration_date",
    "interval_days": "interval_days",
    "interval": "interval_days",
    "interval days": "interval_days",
    "周期": "interval_days",
    "周期天数": "interval_days",
    "in_tolerance": "in_tolerance",
    "in tolerance": "in_tolerance",
    "intolerance": "in_tolerance",
    "result": "in_tolerance",
    "是否合格": "in_tolerance",
    "合格": "in_tolerance",
    "as_found_error": "as_found_error",
    "as found error": "as_found_error",
    "error": "as_found_error",
    "示值误差": "as_found_error",
}

_TRUE = {"yes", "y", "true", "t", "1", "pass", "in", "ok", "是", "合格", "符合"}
_FALSE = {"no", "n", "false", "f", "0", "fail", "out", "否", "不合格", "不符合"}


def _parse_bool(value: Any, row: int | None) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
    raise HistoryError(
        "in_tolerance",
        row,
        f"must be yes/no (true/false, 1/0, pass/fail), got {value!r}",
        f"必须为 是/否（yes/no、true/false、1/0、合格/不合格），实际为 {value!r}",
    )


def _parse_date(value: Any, row: int | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        v = value.strip()
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
            try:
                return datetime.strptime(v, fmt).date()
            except ValueError:
                continue
    raise HistoryError(
        "calibration_date",
        row,
        f"must be a date YYYY-MM-DD, got {value!r}",
        f"必须为日期 YYYY-MM-DD，实际为 {value!r}",
    )


def _parse_number(value: Any, field: str, row: int | None) -> float:
    if isinstance(value, bool | np.bool_):
        raise HistoryError(field, row, "must be a number", "必须为数值")
    try:
        out = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, AttributeError):
        raise HistoryError(field, row, f"must be a number, got {value!r}", "必须为数值") from None
    if not math.isfinite(out):
        raise HistoryError(field, row, "must be finite", "必须为有限数值")
    return out


def validate_row(raw: Mapping[str, Any], row: int | None = None) -> HistoryRow:
    """Validate one history row (dict with the :data:`COLUMNS` keys)."""
    if not isinstance(raw, Mapping):
        raise HistoryError(
            "row", row, "must be an object with named fields", "必须为带字段名的对象"
        )
    for key in COLUMNS[:4]:
        v = raw.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            raise HistoryError(key, row, "is required", "为必填项")
    inst = str(raw["instrument"]).strip()
    cal_date = _parse_date(raw["calibration_date"], row)
    interval = _parse_number(raw["interval_days"], "interval_days", row)
    if interval <= 0:
        raise HistoryError("interval_days", row, "must be > 0 days", "必须大于 0 天")
    if interval > 36500:
        raise HistoryError("interval_days", row, "must be <= 36500 days", "不得超过 36500 天")
    in_tol = _parse_bool(raw["in_tolerance"], row)
    err = raw.get("as_found_error")
    as_found = None
    if err is not None and not (isinstance(err, str) and not err.strip()):
        as_found = _parse_number(err, "as_found_error", row)
    return HistoryRow(inst, cal_date, interval, in_tol, as_found)


def validate_rows(rows: Iterable[Mapping[str, Any] | HistoryRow]) -> list[HistoryRow]:
    """Validate rows (dicts or :class:`HistoryRow`); raises :class:`HistoryError` on the first
    bad one, numbering rows from 1."""
    if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
        raise HistoryError("rows", None, "must be a list of rows", "必须为行列表")
    out = []
    for i, r in enumerate(rows, start=1):
        out.append(r if isinstance(r, HistoryRow) else validate_row(r, i))
    if not out:
        raise HistoryError("rows", None, "history is empty", "历史数据为空")
    return out


def read_history_csv(path_or_text: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a calibration-history CSV into validated rows (dicts).

    Parameters
    ----------
    path_or_text : str or path
        A file path, or the CSV text itself (anything containing a newline is taken as text).
        Columns (header required, any order, English or Chinese names):
        ``instrument, calibration_date, interval_days, in_tolerance[, as_found_error]``.

    Returns
    -------
    list of dict
        Rows with ``calibration_date`` as :class:`datetime.date`, ``interval_days`` float,
        ``in_tolerance`` bool and ``as_found_error`` float or None.

    Raises
    ------
    HistoryError
        With ``field``, ``row`` (1-based data row) and ``rule``.
    """
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and "\n" not in path_or_text
    ):
        p = Path(path_or_text)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise HistoryError("file", None, f"file not found: {p}", f"找不到文件：{p}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HistoryError(
                "file", None, f"cannot read {p}: {exc}", f"无法读取 {p}：{exc}"
            ) from None
    elif isinstance(path_or_text, str):
        text = path_or_text.lstrip("\ufeff")
    else:
        raise HistoryError("file", None, "must be a path or CSV text", "必须为文件路径或 CSV 文本")
    try:
        reader = csv.reader(io.StringIO(text))
        lines = [r for r in reader if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise HistoryError(
            "file", None, f"not valid CSV: {exc}", f"不是有效的 CSV：{exc}"
        ) from None
    if not lines:
        raise HistoryError("file", None, "no header row", "缺少表头")
    header = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in lines[0]]
    for col in COLUMNS[:4]:
        if col not in header:
            raise HistoryError(col, 0, "column missing from the header", "表头缺少该列")
    rows = []
    for i, cells in enumerate(lines[1:], start=1):
        if len(cells) > len(header):
            raise HistoryError(
                "row", i, f"has {len(cells)} cells but the header has {len(header)}", "列数多于表头"
            )
        raw = {h: (cells[j] if j < len(cells) else "") for j, h in enumerate(header)}
        rows.append(validate_row(raw, i).__dict__.copy())
    if not rows:
        raise HistoryError("file", None, "no data rows", "没有数据行")
    return rows
