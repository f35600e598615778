"""Errors raised by the prepackaged-goods kernel."""

from __future__ import annotations

__all__ = ["LotError"]


class LotError(ValueError):
    """An inspection lot document that cannot be evaluated.

    Parameters
    ----------
    field : str
        Path of the offending field in the lot document, e.g. ``"net[3]"``, ``"unit"``,
        ``"tare.average_of"``.
    rule : str
        Rule set id (``"JJF1070-2023"`` …) or the clause that the input violates.
    message_en, message_zh : str
        Human-readable explanation in English and Chinese. ``str(error)`` gives both and
        always names ``field`` and ``rule``.
    code : str
        Stable machine-readable code, e.g. ``"negative_value"``, ``"unit_mismatch"``,
        ``"too_few_measurements"``, ``"unknown_rules"``, ``"wrong_type"``.
    """

    def __init__(
        self,
        field: str,
        rule: str,
        message_en: str,
        message_zh: str = "",
        code: str = "invalid_lot",
    ) -> None:
        self.field = field
        self.rule = rule
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        super().__init__(f"[{rule}] {field}: {message_en} / {self.message_zh}")

    def to_dict(self) -> dict:
        """JSON-serialisable form, for API error bodies."""
        return {
            "code": self.code,
            "field": self.field,
            "rule": self.rule,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
        }
