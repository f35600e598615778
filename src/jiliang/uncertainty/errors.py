"""Errors raised by the uncertainty kernel.

Every problem a user can cause with a model document raises :class:`ModelError` (or a
subclass), never another exception type.  The message is English; ``code`` selects a
Chinese translation in :data:`MESSAGES_ZH` (see :meth:`ModelError.message_zh`).
"""

from __future__ import annotations

from typing import Any

#: Chinese message templates keyed by error code.  ``{field}``, ``{token}`` and
#: ``{detail}`` are filled from the error's attributes.
MESSAGES_ZH: dict[str, str] = {
    "syntax": "表达式语法错误（{field}，位置 {position}）：{detail}",
    "token": "不允许的记号“{token}”（{field}，位置 {position}）",
    "unknown_name": "未知名称“{token}”（{field}，位置 {position}）",
    "unknown_function": "不支持的函数“{token}”（{field}，位置 {position}）",
    "arity": "函数“{token}”的参数个数不对（{field}，位置 {position}）",
    "equation": "方程格式错误（{field}）：{detail}",
    "duplicate": "名称“{token}”重复定义（{field}）",
    "type": "类型错误（{field}）：{detail}",
    "missing": "缺少字段（{field}）：{detail}",
    "value": "数值不合法（{field}）：{detail}",
    "distribution": "不支持的分布“{token}”（{field}）",
    "negative_std": "标准不确定度不能为负（{field}）",
    "bounds": "下限必须小于上限（{field}）",
    "observations": "观测值不合法（{field}）：{detail}",
    "correlation": "相关系数不合法（{field}）：{detail}",
    "units": "单位不一致（{field}）：{detail}",
    "unit_syntax": "无法识别的单位“{token}”（{field}）",
    "domain": "在估计值处模型无定义（{field}）：{detail}",
    "division_by_zero": "除数在估计值处为零（{field}）：{detail}",
    "mcm_nonfinite": "蒙特卡洛试验中模型取值无定义（{field}）：{detail}",
    "limit": "超出限制（{field}）：{detail}",
    "method": "不支持的方法“{token}”（{field}）",
}


class ModelError(ValueError):
    """A measurement-model document is invalid.

    Attributes
    ----------
    code : str
        Machine-readable kind of error (a key of :data:`MESSAGES_ZH`).
    field : str or None
        Where in the document, e.g. ``"equations[0]"`` or ``"inputs.rho_a.low"``.
    position : int or None
        1-based column of the offending token inside an equation, when known.
    token : str or None
        The offending token or name.
    detail : str
        The rule that was broken, in English.
    """

    def __init__(
        self,
        detail: str,
        *,
        code: str = "value",
        field: str | None = None,
        position: int | None = None,
        token: str | None = None,
    ) -> None:
        self.code = code
        self.field = field
        self.position = position
        self.token = token
        self.detail = detail
        where = field or "model"
        if position is not None:
            where += f", column {position}"
        msg = f"{where}: {detail}"
        if token is not None and f"'{token}'" not in detail:
            msg += f" (token '{token}')"
        super().__init__(msg)

    def message_zh(self) -> str:
        """The message in Chinese (falls back to English if no template exists)."""
        template = MESSAGES_ZH.get(self.code)
        if template is None:
            return str(self)
        return template.format(
            field=self.field or "模型",
            position=self.position if self.position is not None else "-",
            token=self.token or "",
            detail=self.detail,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, for the API layer."""
        return {
            "code": self.code,
            "field": self.field,
            "position": self.position,
            "token": self.token,
            "message": str(self),
            "message_zh": self.message_zh(),
        }


class ExpressionError(ModelError):
    """An equation could not be parsed or uses something not allowed."""


class UnitError(ModelError):
    """Dimensions of the terms of an equation are inconsistent."""

    def __init__(self, detail: str, **kw: Any) -> None:
        kw.setdefault("code", "units")
        super().__init__(detail, **kw)
