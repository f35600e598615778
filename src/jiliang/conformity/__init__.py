"""Conformity kernel: decision rules (ILAC-G8:09/2019) and risk (JCGM 106:2012).

Pure functions on numbers and documents; imports no database or web code.
"""

from .errors import RiskError
from .risk import (
    GUARD_BAND_METHODS,
    acceptance_factor_for_pfa,
    acceptance_factor_formula,
    conformance_probability,
    conformance_probability_samples,
    dobbert_m2,
    evaluate_risk,
    global_risk,
    global_risk_many,
    global_risk_pdf,
    sigma_process,
)
from .rules import RULE_KINDS, VERDICTS, Decision, DecisionRule, decide

__all__ = [
    "GUARD_BAND_METHODS",
    "RULE_KINDS",
    "VERDICTS",
    "Decision",
    "DecisionRule",
    "RiskError",
    "acceptance_factor_for_pfa",
    "acceptance_factor_formula",
    "conformance_probability",
    "conformance_probability_samples",
    "decide",
    "dobbert_m2",
    "evaluate_risk",
    "global_risk",
    "global_risk_many",
    "global_risk_pdf",
    "sigma_process",
]
