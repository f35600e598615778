"""Passwords (argon2), API bearer tokens and the principal a request acts as."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "regulator": ("监管人员", "Regulator"),
    "lab_manager": ("实验室负责人", "Lab manager"),
    "metrologist": ("检定员", "Metrologist"),
    "reviewer": ("核验员", "Reviewer"),
    "approver": ("批准人", "Approver"),
    "enterprise": ("企业用户", "Enterprise user"),
}
LAB_ROLES = frozenset({"lab_manager", "metrologist", "reviewer", "approver"})
ORG_ROLES = LAB_ROLES | {"enterprise"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """A bearer token and the SHA-256 digest stored in place of it."""
    token = "jl_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: role plus scope (an organisation, or a region and below)."""

    user_id: int
    username: str
    role: str
    org_id: int | None = None
    scope_region: str | None = None  # region code for regulators
    scope_level: str | None = None  # province | city | county
    display_name: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_regulator(self) -> bool:
        return self.role == "regulator"

    @property
    def is_lab(self) -> bool:
        return self.role in LAB_ROLES

    @property
    def is_org_member(self) -> bool:
        return self.role in ORG_ROLES

    def covers_region(self, county_code: str | None, city_code: str | None) -> bool:
        """Whether a place (given by its county and city codes) is inside a regulator's scope."""
        if self.scope_level == "province":
            return True
        if self.scope_level == "city":
            return city_code == self.scope_region
        if self.scope_level == "county":
            return county_code == self.scope_region
        return False


SYSTEM = Principal(user_id=0, username="system", role="admin")
