"""Net-content inspection of prepackaged goods (定量包装商品净含量计量检验).

A pure kernel (no database, no web): rule sets as versioned data (JJF 1070-2023, JJF 1070-2005,
OIML R 87:2016, the reference test of 76/211/EEC, NIST Handbook 133), tolerable deficiency T,
sampling plans, net content from gross and tare, random sample selection and the verdict.

Public API
----------
evaluate(doc) -> dict
RULE_SETS : dict[str, RuleSet]
tolerable_deficiency(rules, quantity, nominal, unit) -> float
tolerable_deficiency_detail(rules, quantity, nominal, unit) -> dict
sampling_plan(rules, lot_size, destructive=False) -> dict
select_sample(lot_size, n, seed=None) -> dict
net_from_tare, average_tare, net_from_average_tare, volume_from_mass, drained_content
report_pdf(doc, result, lang="zh") -> bytes
parse_measurements(text) -> list[float]   (pasted spreadsheet column)
summary_text(result, lang="zh") -> str     (CLI output)
LotError

Reasons
-------
``evaluate(...)["reasons"]`` is a list of dicts ``{"code", "message_zh", "message_en"}``: one per
failed criterion (``t2_exceeded``, ``t1_exceeded``, ``mav_exceeded``, ``defectives_rejected``,
``mean_below_limit``), or the single ``all_criteria_met`` on a pass. ``["checks"]`` lists every
criterion applied, with ``passed``. Invalid input raises :class:`LotError` (a ``ValueError``)
with ``field``, ``rule``, ``code``, ``message_en`` and ``message_zh``; ``to_dict()`` gives an
API error body.

Data
----
Every table row says whether it was confirmed against a public text; the notes of unconfirmed
rows used by a verdict are returned in ``["unconfirmed"]`` and printed on the PDF report.
See ``jiliang/data/prepackaged/README.md``.
"""

from .errors import LotError
from .evaluate import evaluate
from .netcontent import (
    average_tare,
    drained_content,
    net_from_average_tare,
    net_from_tare,
    volume_from_mass,
)
from .rules import (
    QUANTITIES,
    RULE_SETS,
    RuleSet,
    sampling_plan,
    tolerable_deficiency,
    tolerable_deficiency_detail,
)
from .sampling import select_sample
from .text import parse_measurements, summary_text


def report_pdf(doc: dict, result: dict, lang: str = "zh") -> bytes:
    """PDF inspection report; see :func:`jiliang.prepackaged.report.report_pdf`."""
    from .report import report_pdf as _report_pdf

    return _report_pdf(doc, result, lang=lang)


__all__ = [
    "QUANTITIES",
    "RULE_SETS",
    "LotError",
    "RuleSet",
    "average_tare",
    "drained_content",
    "evaluate",
    "net_from_average_tare",
    "net_from_tare",
    "parse_measurements",
    "report_pdf",
    "sampling_plan",
    "select_sample",
    "summary_text",
    "tolerable_deficiency",
    "tolerable_deficiency_detail",
    "volume_from_mass",
]
