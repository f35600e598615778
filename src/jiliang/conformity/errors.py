"""Errors of the conformity kernel.

A :class:`RiskError` names the offending field and the rule it broke, in Chinese and English,
so that the CLI and the API can show a message a person can act on.
"""

from __future__ import annotations


class RiskError(ValueError):
    """Bad input to a risk or decision-rule computation.

    Parameters
    ----------
    field : str
        Name of the offending field in the input document (e.g. ``"itp"``, ``"guardband.method"``).
    rule_en, rule_zh : str
        The rule that was broken, in English and Chinese.
    """

    def __init__(self, field: str, rule_en: str, rule_zh: str | None = None) -> None:
        self.field = field
        self.rule = rule_en
        self.message_en = f"{field}: {rule_en}"
        self.message_zh = f"{field}：{rule_zh or rule_en}"
        super().__init__(self.message_en)

    def message(self, lang: str = "en") -> str:
        """Return the message in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self, lang: str = "en") -> dict:
        return {"error": "risk_input", "field": self.field, "message": self.message(lang)}
