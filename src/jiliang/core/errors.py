"""Domain errors: each failure a user can cause has a class and an HTTP status.

Messages carry both languages; the web and API layers pick one by the request's language.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message_zh: str, message_en: str | None = None, **extra) -> None:
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.extra = extra

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self, lang: str) -> dict:
        return {"error": self.code, "message": self.message(lang), **self.extra}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self, entity: str = "", ident: object = "") -> None:
        super().__init__("未找到该记录，或您无权查看", "Record not found, or not yours to see", entity=entity)


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message_zh: str = "没有权限执行此操作", message_en: str = "Not allowed") -> None:
        super().__init__(message_zh, message_en)


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("请先登录", "Sign-in required")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """Field-level validation errors: ``{field: (message_zh, message_en)}``."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        self.errors = errors
        zh = "；".join(f"{f}: {m[0]}" for f, m in errors.items())
        en = "; ".join(f"{f}: {m[1]}" for f, m in errors.items())
        super().__init__(zh, en)

    def to_dict(self, lang: str) -> dict:
        idx = 1 if lang == "en" else 0
        return {
            "error": self.code,
            "message": self.message(lang),
            "fields": {f: m[idx] for f, m in self.errors.items()},
        }

    @classmethod
    def one(cls, field: str, zh: str, en: str) -> ValidationFailed:
        return cls({field: (zh, en)})
