"""Decision rules for statements of conformity (ILAC-G8:09/2019, JCGM 106:2012 clause 8).

A :class:`DecisionRule` is agreed with the customer (ISO/IEC 17025:2017 7.1.3) before the work,
stored with the record (:meth:`DecisionRule.to_dict` / :meth:`DecisionRule.from_dict`) and
printed on the certificate (:meth:`DecisionRule.describe`). :func:`decide` applies it to one
measured value.

Rules (``kind``):

* ``"simple"`` — ILAC-G8 4.2.1, binary statement for simple acceptance (w = 0): pass when the
  measured value is inside the tolerance limits. Specific false-accept risk up to 50 %.
* ``"guard_band"`` — ILAC-G8 4.2.2, binary statement with guard band ``w = r * U``: acceptance
  limits ``AL = TL -/+ w``. With k = 2 and a normal PDF the specific false-accept risk at the
  acceptance limit is ``1 - Phi(2 r)`` (r = 1: < 2.5 %, ILAC-G8 and JCGM 106 8.3.3).
* ``"pfa_target"`` — guard band for a target specific probability of false accept: ``w`` is
  chosen so that a value on the acceptance limit has conformance probability ``1 - target``
  (one-sided): ``w = u * Phi^-1(1 - target)`` with ``u = U / k`` (JCGM 106 8.3, 7.3).
* ``"non_binary"`` — ILAC-G8 4.2.3, non-binary statement with guard band ``w = r * U``:
  pass / conditional pass / conditional fail / fail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import special

from .errors import RiskError
from .risk import _check_limits, _number, conformance_probability

RULE_KINDS = ("simple", "guard_band", "pfa_target", "non_binary")

VERDICTS: dict[str, tuple[str, str]] = {
    "pass": ("合格", "Pass"),
    "conditional_pass": ("有条件合格", "Conditional pass"),
    "conditional_fail": ("有条件不合格", "Conditional fail"),
    "fail": ("不合格", "Fail"),
}


@dataclass(frozen=True)
class DecisionRule:
    """A decision rule per ILAC-G8:09/2019.

    Attributes
    ----------
    kind : str
        One of :data:`RULE_KINDS`.
    r : float
        Guard band as a multiple of the expanded uncertainty, ``w = r * U`` (``guard_band`` and
        ``non_binary``). ILAC-G8 examples: 0.83 (ISO 14253-1, < 5 %), 1 (< 2.5 %), 1.5, 3.
    target_pfa : float
        Target specific probability of false accept for ``pfa_target``.
    coverage_factor : float
        k relating U and the standard uncertainty ``u = U / k`` (default 2).
    reference : str
        Free text: the agreement or procedure that chose this rule.
    """

    kind: str = "simple"
    r: float = 1.0
    target_pfa: float = 0.025
    coverage_factor: float = 2.0
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise RiskError(
                "rule.kind",
                f"unknown kind {self.kind!r}; use one of {', '.join(RULE_KINDS)}",
                f"未知规则 {self.kind!r}；可选 {', '.join(RULE_KINDS)}",
            )
        r = _number(self.r, "rule.r")
        if r < 0:
            raise RiskError("rule.r", "guard band multiple r must be >= 0", "保护带倍数 r 必须 ≥ 0")
        t = _number(self.target_pfa, "rule.target_pfa")
        if not 0.0 < t < 0.5:
            raise RiskError(
                "rule.target_pfa",
                "target PFA must be in (0, 0.5)",
                "目标误判接受概率必须在 (0, 0.5) 之间",
            )
        k = _number(self.coverage_factor, "rule.coverage_factor")
        if k <= 0:
            raise RiskError(
                "rule.coverage_factor", "coverage factor must be > 0", "包含因子必须大于 0"
            )
        object.__setattr__(self, "r", r)
        object.__setattr__(self, "target_pfa", t)
        object.__setattr__(self, "coverage_factor", k)

    # -- storage --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["extra"]:
            d.pop("extra")
        return d

    @classmethod
    def from_dict(cls, d: Any) -> DecisionRule:
        if isinstance(d, str):
            d = {"kind": d}
        if not isinstance(d, dict):
            raise RiskError(
                "rule", "must be an object with at least 'kind'", "必须为包含 kind 的对象"
            )
        known = {"kind", "r", "target_pfa", "coverage_factor", "reference", "extra"}
        unknown = set(d) - known
        if unknown:
            raise RiskError(f"rule.{sorted(unknown)[0]}", "unknown field", "未知字段")
        ref = d.get("reference", "")
        if not isinstance(ref, str):
            raise RiskError("rule.reference", "must be text", "必须为文本")
        extra = d.get("extra") or {}
        if not isinstance(extra, dict):
            raise RiskError("rule.extra", "must be an object", "必须为对象")
        return cls(
            kind=d.get("kind", "simple"),
            r=d.get("r", 1.0),
            target_pfa=d.get("target_pfa", 0.025),
            coverage_factor=d.get("coverage_factor", 2.0),
            reference=ref,
            extra=extra,
        )

    # -- guard band -----------------------------------------------------------------------
    def guard_band(self, expanded_uncertainty: float) -> float:
        """Guard band width ``w`` for expanded uncertainty ``U`` (same unit as U)."""
        big_u = expanded_uncertainty
        if self.kind == "simple":
            return 0.0
        if self.kind == "pfa_target":
            return big_u / self.coverage_factor * float(special.ndtri(1.0 - self.target_pfa))
        return self.r * big_u

    def max_specific_pfa(self) -> float:
        """Largest specific PFA of an accepted result (normal PDF, one-sided limit)."""
        if self.kind == "simple":
            return 0.5
        if self.kind == "pfa_target":
            return self.target_pfa
        return float(special.ndtr(-self.r * self.coverage_factor))

    # -- printing -------------------------------------------------------------------------
    def describe(self, lang: str = "zh") -> str:
        """Human-readable statement of the rule for certificates (``lang`` "zh" or "en")."""
        pct = _fmt_pct(self.max_specific_pfa())
        k = _fmt(self.coverage_factor)
        if self.kind == "simple":
            zh = (
                "判定规则：简单接受（ILAC-G8:09/2019 4.2.1，w = 0）。测得值位于允许限内即判合格；"
                "测得值接近限值时误判接受概率最高可达 50%。"
            )
            en = (
                "Decision rule: simple acceptance (ILAC-G8:09/2019 4.2.1, w = 0). A measured "
                "value inside the tolerance limits passes; the specific probability of false "
                "accept may reach 50 % near a limit."
            )
        elif self.kind == "guard_band":
            zh = (
                f"判定规则：带保护带的二元判定（ILAC-G8:09/2019 4.2.2），保护带 w = {_fmt(self.r)}U"
                f"（k = {k}）；接受限 = 允许限 ∓ w。单次误判接受概率 < {pct}。"
            )
            en = (
                f"Decision rule: binary statement with guard band (ILAC-G8:09/2019 4.2.2), "
                f"w = {_fmt(self.r)}U (k = {k}); acceptance limits = tolerance limits -/+ w. "
                f"Specific probability of false accept < {pct}."
            )
        elif self.kind == "pfa_target":
            zh = (
                f"判定规则：按目标误判接受概率设定保护带（JCGM 106:2012 第 8 章），目标 ≤ {pct}"
                f"（正态分布，k = {k}）。"
            )
            en = (
                f"Decision rule: guard band for a target probability of false accept "
                f"(JCGM 106:2012 clause 8), target <= {pct} (normal PDF, k = {k})."
            )
        else:
            zh = (
                f"判定规则：非二元判定（ILAC-G8:09/2019 4.2.3），保护带 w = {_fmt(self.r)}U"
                f"（k = {k}）：合格、有条件合格、有条件不合格、不合格。"
            )
            en = (
                f"Decision rule: non-binary statement (ILAC-G8:09/2019 4.2.3), guard band "
                f"w = {_fmt(self.r)}U (k = {k}): pass, conditional pass, conditional fail, "
                f"fail."
            )
        if self.reference:
            zh += f" 依据：{self.reference}。"
            en += f" Agreed in: {self.reference}."
        return en if lang == "en" else zh


def _fmt(x: float) -> str:
    return f"{x:g}"


def _fmt_pct(p: float) -> str:
    return f"{p * 100:.3g}%"


@dataclass(frozen=True)
class Decision:
    """Outcome of :func:`decide`."""

    verdict: str
    acceptance_limits: tuple[float | None, float | None]
    guard_band: float
    rule: DecisionRule
    conformance_probability: float | None
    measured: float
    expanded_uncertainty: float

    @property
    def passed(self) -> bool:
        """True for "pass" and "conditional_pass"."""
        return self.verdict in ("pass", "conditional_pass")

    def label(self, lang: str = "zh") -> str:
        zh, en = VERDICTS[self.verdict]
        return en if lang == "en" else zh

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_zh": VERDICTS[self.verdict][0],
            "verdict_en": VERDICTS[self.verdict][1],
            "acceptance_limits": list(self.acceptance_limits),
            "guard_band": self.guard_band,
            "conformance_probability": self.conformance_probability,
            "measured": self.measured,
            "expanded_uncertainty": self.expanded_uncertainty,
            "rule": self.rule.to_dict(),
            "rule_text_zh": self.rule.describe("zh"),
            "rule_text_en": self.rule.describe("en"),
        }


def decide(measured: float, U: float, limits, rule: DecisionRule | dict | str) -> Decision:
    """Apply a decision rule to one measured value (ILAC-G8:09/2019 4.2).

    Parameters
    ----------
    measured : float
        Measured value (e.g. the error of indication), same unit as ``limits``.
    U : float
        Expanded uncertainty (>= 0) with the rule's coverage factor.
    limits : [lower, upper]
        Tolerance (MPE) limits; one of them may be ``None`` for a one-sided specification.
    rule : DecisionRule or dict or str

    Returns
    -------
    Decision
        ``verdict`` ("pass", "fail", or for non-binary rules also "conditional_pass",
        "conditional_fail"), the ``acceptance_limits`` used and the guard band ``w``.
        Values exactly on an acceptance limit are accepted.
    """
    if not isinstance(rule, DecisionRule):
        rule = DecisionRule.from_dict(rule)
    y = _number(measured, "measured")
    big_u = _number(U, "U")
    if big_u < 0:
        raise RiskError("U", "expanded uncertainty must be >= 0", "扩展不确定度必须 ≥ 0")
    if big_u == 0 and rule.kind == "pfa_target":
        raise RiskError("U", "a target-PFA guard band needs U > 0", "按目标风险设保护带需要 U > 0")
    lo, hi = _check_limits(limits)
    w = rule.guard_band(big_u)
    a_lo = None if lo is None else lo + w
    a_hi = None if hi is None else hi - w
    empty = a_lo is not None and a_hi is not None and a_lo > a_hi
    in_acc = (not empty) and (a_lo is None or y >= a_lo) and (a_hi is None or y <= a_hi)
    in_tol = (lo is None or y >= lo) and (hi is None or y <= hi)
    if rule.kind == "non_binary":
        outer = (lo is None or y >= lo - w) and (hi is None or y <= hi + w)
        if in_acc:
            verdict = "pass"
        elif in_tol:
            verdict = "conditional_pass"
        elif outer:
            verdict = "conditional_fail"
        else:
            verdict = "fail"
    else:
        verdict = "pass" if in_acc else "fail"
    pc = None
    if big_u > 0:
        pc = conformance_probability(y, big_u / rule.coverage_factor, lo, hi)
    return Decision(
        verdict=verdict,
        acceptance_limits=(a_lo, a_hi),
        guard_band=w,
        rule=rule,
        conformance_probability=pc,
        measured=y,
        expanded_uncertainty=big_u,
    )
