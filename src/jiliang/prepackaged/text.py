"""Plain-text helpers for entry points: parse pasted measurements, summarise a result."""

from __future__ import annotations

import re
import unicodedata

from .errors import LotError

__all__ = ["parse_measurements", "summary_text"]

_SPLIT = re.compile(r"[\s,;，；、]+")


def parse_measurements(text: str, field: str = "net") -> list[float]:
    """Parse measurements typed or pasted from a spreadsheet column.

    Accepts one value per line, or values separated by tabs, spaces, commas or semicolons
    (ASCII or full-width ``，；、``); full-width digits are normalised (NFKC). A decimal comma
    is not accepted (it is ambiguous with the separator).

    Raises
    ------
    LotError
        A token is not a number; ``field`` is ``"net[i]"`` for the i-th value.
    """
    if not isinstance(text, str):
        raise LotError(
            field, "input", f"{field} must be text", f"{field} 必须为文本", code="wrong_type"
        )
    norm = unicodedata.normalize("NFKC", text)
    values: list[float] = []
    for tok in _SPLIT.split(norm.strip()):
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError:
            i = len(values)
            raise LotError(
                f"{field}[{i}]",
                "input",
                f"{tok!r} is not a number",
                f"{tok!r} 不是数值",
                code="wrong_type",
            ) from None
        values.append(v)
    return values


def summary_text(result: dict, lang: str = "zh") -> str:
    """A few lines summarising an :func:`~jiliang.prepackaged.evaluate` result (for the CLI)."""
    en = lang == "en"
    u = result.get("unit", "")

    def f(x) -> str:
        if x is None:
            return "—"
        return f"{float(x):.4f}".rstrip("0").rstrip(".") if not isinstance(x, int) else str(x)

    verdict = result["verdict"]
    if en:
        lines = [
            f"Rule set: {result['rules']}   Qn = {f(result['nominal'])} {u}   "
            f"N = {result['lot_size']}   n = {result['sample_size']}",
            f"T = {f(result['tolerable_deficiency'])} {u}   T1 errors = {result['t1_errors']} "
            f"(allowed {f(result['t1_allowed'])})   T2 errors = {f(result['t2_errors'])}",
            f"mean = {f(result['mean'])} {u}   s = {f(result['std'])} {u}   "
            f"λ = {f(result['correction'])}   limit = {f(result['mean_limit'])} {u}",
            f"Verdict: {verdict.upper()}",
        ]
        lines += [f"  - {r['message_en']} [{r['code']}]" for r in result["reasons"]]
        if result.get("unconfirmed"):
            lines.append("Note: uses unconfirmed table values (see 'unconfirmed').")
    else:
        lines = [
            f"规则：{result['rules']}   Qn = {f(result['nominal'])} {u}   "
            f"批量 N = {result['lot_size']}   样本量 n = {result['sample_size']}",
            f"T = {f(result['tolerable_deficiency'])} {u}   T1 类 = {result['t1_errors']}"
            f"（允许 {f(result['t1_allowed'])}）   T2 类 = {f(result['t2_errors'])}",
            f"q̄ = {f(result['mean'])} {u}   s = {f(result['std'])} {u}   "
            f"λ = {f(result['correction'])}   限值 = {f(result['mean_limit'])} {u}",
            f"判定：{'合格' if verdict == 'pass' else '不合格'}",
        ]
        lines += [f"  - {r['message_zh']} [{r['code']}]" for r in result["reasons"]]
        if result.get("unconfirmed"):
            lines.append("注：使用了尚未经公开文本核实的表值（见 unconfirmed）。")
    return "\n".join(lines)
