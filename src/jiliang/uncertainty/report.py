"""Plain-text report of an evaluation result (Chinese labels by default, English on request)."""

from __future__ import annotations

from typing import Any

LABELS = {
    "zh": {
        "output": "输出量",
        "unit": "单位",
        "gum": "GUM 不确定度框架（JCGM 100）",
        "mcm": "蒙特卡洛法（JCGM 101）",
        "value": "估计值",
        "u": "标准不确定度",
        "dof": "有效自由度",
        "k": "包含因子",
        "U": "扩展不确定度",
        "interval": "包含区间",
        "p": "包含概率",
        "budget": "不确定度分量一览表",
        "input": "输入量",
        "estimate": "估计值",
        "ux": "标准不确定度",
        "c": "灵敏系数",
        "contribution": "分量",
        "share": "占比/%",
        "nu": "自由度",
        "trials": "试验次数",
        "shortest": "最短包含区间",
        "symmetric": "概率对称包含区间",
        "validation": "GUF 验证（JCGM 101 第 8 章）",
        "delta": "数值容差 δ",
        "passed": "通过",
        "failed": "未通过",
        "warnings": "提示",
        "inf": "∞",
        "correlation": "输出量相关系数矩阵",
        "u1": "一阶标准不确定度",
    },
    "en": {
        "output": "Output",
        "unit": "unit",
        "gum": "GUM uncertainty framework (JCGM 100)",
        "mcm": "Monte Carlo method (JCGM 101)",
        "value": "estimate",
        "u": "standard uncertainty",
        "dof": "effective degrees of freedom",
        "k": "coverage factor",
        "U": "expanded uncertainty",
        "interval": "coverage interval",
        "p": "coverage probability",
        "budget": "Uncertainty budget",
        "input": "input",
        "estimate": "estimate",
        "ux": "std. unc.",
        "c": "sensitivity",
        "contribution": "contribution",
        "share": "share/%",
        "nu": "dof",
        "trials": "trials",
        "shortest": "shortest coverage interval",
        "symmetric": "symmetric coverage interval",
        "validation": "Validation of the GUF (JCGM 101 clause 8)",
        "delta": "tolerance δ",
        "passed": "passed",
        "failed": "not passed",
        "warnings": "Warnings",
        "inf": "inf",
        "correlation": "Correlation matrix of the outputs",
        "u1": "first-order std. unc.",
    },
}


def _g(v: Any, digits: int = 6) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pad(s: str, w: int, right: bool = False) -> str:
    fill = " " * max(w - _width(s), 0)
    return fill + s if right else s + fill


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "  ".join(
                _pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return lines


def format_report(result: dict[str, Any], lang: str = "zh") -> str:
    """Readable plain-text report of :func:`evaluate`'s result: per output the GUM result and
    budget table, the MCM result with both coverage intervals, and the GUF validation."""
    L = LABELS.get(lang, LABELS["en"])
    out: list[str] = []
    for name, o in result.get("outputs", {}).items():
        unit = o.get("unit") or ""
        out.append(f"{L['output']} {name}" + (f" [{unit}]" if unit else ""))
        out.append("=" * (_width(out[-1])))
        g = o.get("gum")
        if g:
            out.append(L["gum"])
            out.append(f"  {L['value']}: {_g(g['value'], 10)}")
            out.append(f"  {L['u']}: {_g(g['std_uncertainty'], 4)}")
            if "std_uncertainty_first_order" in g:
                out.append(f"  {L['u1']}: {_g(g['std_uncertainty_first_order'], 4)}")
            dof = g.get("dof")
            out.append(f"  {L['dof']}: {L['inf'] if dof is None else f'{dof:.1f}'}")
            out.append(
                f"  {L['k']}: {g['coverage_factor']:.3f}   {L['p']}: "
                f"{100 * g.get('coverage', result.get('coverage', 0.95)):.4g} %"
            )
            out.append(f"  {L['U']}: {_g(g['expanded_uncertainty'], 4)}")
            lo, hi = g["interval"]
            out.append(f"  {L['interval']}: [{_g(lo, 10)}, {_g(hi, 10)}]")
            out.append("")
            out.append(f"  {L['budget']}")
            rows = []
            u_c = g["std_uncertainty"] or 0.0
            for b in g.get("budget", []):
                if abs(b["contribution"]) <= 1e-12 * u_c:  # round-off, show as zero
                    b = {**b, "sensitivity": 0.0, "contribution": 0.0}
                rows.append(
                    [
                        b["input"],
                        _g(b.get("estimate")),
                        _g(b.get("std_uncertainty"), 4),
                        _g(b["sensitivity"], 4),
                        _g(b["contribution"], 4),
                        f"{b['share']:.1f}",
                        _g(b["dof"], 4) if b["dof"] else L["inf"],
                    ]
                )
            head = [
                L["input"],
                L["estimate"],
                L["ux"],
                L["c"],
                L["contribution"],
                L["share"],
                L["nu"],
            ]
            out.extend("  " + line for line in _table(head, rows))
            out.append("")
        m = o.get("mcm")
        if m:
            out.append(L["mcm"])
            out.append(f"  {L['trials']}: {m['trials']}")
            out.append(f"  {L['value']}: {_g(m['value'], 10)}")
            out.append(f"  {L['u']}: {_g(m['std_uncertainty'], 4)}")
            lo, hi = m["interval_shortest"]
            out.append(f"  {L['shortest']}: [{_g(lo, 10)}, {_g(hi, 10)}]")
            lo, hi = m["interval_symmetric"]
            out.append(f"  {L['symmetric']}: [{_g(lo, 10)}, {_g(hi, 10)}]")
            out.append("")
        v = o.get("validation")
        if v:
            out.append(L["validation"])
            out.append(
                f"  {L['delta']} = {_g(v['delta'], 3)}, d_low = {_g(v['d_low'], 3)}, "
                f"d_high = {_g(v['d_high'], 3)}: "
                f"{L['passed'] if v['passed'] else L['failed']}"
            )
            out.append("")
    corr = result.get("correlation", {})
    names = corr.get("names", [])
    if len(names) > 1:
        for method in ("gum", "mcm"):
            if method in corr:
                out.append(f"{L['correlation']} ({method.upper()})")
                rows = [
                    [n] + [f"{x:.3f}" for x in row]
                    for n, row in zip(names, corr[method], strict=True)
                ]
                out.extend("  " + line for line in _table([""] + names, rows))
                out.append("")
    if result.get("warnings"):
        out.append(L["warnings"])
        out.extend(f"  - {w}" for w in result["warnings"])
    return "\n".join(out).rstrip() + "\n"
