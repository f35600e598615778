"""Users, sign-in, API tokens and registered metrologists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.policies import OwnedPolicy, require
from jiliang.core.resources import Field, FieldRule, Policy, Resource, register, register_ref
from jiliang.core.security import (
    LAB_ROLES,
    ROLES,
    Principal,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from jiliang.orgs.models import LAB_KINDS, RECORD_STATUS, Organisation
from jiliang.people.models import METROLOGIST_LEVELS, ApiToken, Metrologist, User
from jiliang.regions.models import Region

LANG_CHOICES = {"zh": ("中文", "Chinese"), "en": ("English", "English")}


def _check_password(value: str) -> str:
    if len(value) < 8:
        raise FieldRule("密码至少 8 个字符", "a password has at least 8 characters")
    return value


def _check_username(value: str) -> str:
    if not value.replace("_", "").replace("-", "").replace(".", "").isalnum() or not value.isascii():
        raise FieldRule("只能包含字母、数字和 _ - .", "letters, digits and _ - . only")
    return value.lower()


def principal_for(session: Session, user: User) -> Principal:
    level = None
    if user.scope_region:
        region = session.get(Region, user.scope_region)
        level = region.level if region else None
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        org_id=user.org_id,
        scope_region=user.scope_region,
        scope_level=level,
        display_name=user.display_name,
    )


class UserPolicy(Policy):
    """Administrators manage accounts; everyone else sees only their own."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        return stmt if p.is_admin else stmt.where(User.id == p.user_id)

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        if not require(principal).is_admin:
            raise Forbidden()


def _prepare_user(session: Session, principal: Principal, values: dict, obj: Any) -> dict:
    role = values.get("role", obj.role if obj else None)
    org_id = values.get("org_id", obj.org_id if obj else None)
    scope_region = values.get("scope_region", obj.scope_region if obj else None)
    errors: dict[str, tuple[str, str]] = {}
    if role == "regulator" and not scope_region:
        errors["scope_region"] = ("监管人员须指定管辖地区", "a regulator needs a region scope")
    if role in LAB_ROLES | {"enterprise"} and not org_id:
        errors["org_id"] = ("须指定所属单位", "an organisation is required for this role")
    if role in LAB_ROLES and org_id:
        org = session.get(Organisation, org_id)
        if org is not None and org.kind not in LAB_KINDS:
            errors["org_id"] = ("实验室角色须属于检定或校准机构", "lab roles belong to a laboratory")
    if obj is None and session.scalar(select(User.id).where(User.username == values.get("username"))):
        errors["username"] = ("用户名已存在", "username already taken")
    if obj is None and not values.get("password"):
        errors["password"] = ("新用户须设置密码", "a new user needs a password")
    if errors:
        raise ValidationFailed(errors)
    if "password" in values:
        values["password_hash"] = hash_password(values.pop("password"))
    return values


USERS = register(
    Resource(
        name="users",
        entity="user",
        model=User,
        label=("用户", "Users"),
        policy=UserPolicy(),
        default_sort="username",
        title=lambda u, lang: f"{u.display_name} ({u.username})",
        prepare=_prepare_user,
        fields=[
            Field("username", ("用户名", "Username"), required=True, list=True, search=True, sort=True, max_len=60, check=_check_username),
            Field("display_name", ("姓名", "Name"), required=True, list=True, search=True, max_len=100),
            Field("role", ("角色", "Role"), "choice", required=True, choices=ROLES, list=True, filter=True),
            Field("org_id", ("所属单位", "Organisation"), "ref", ref="org", list=True),
            Field("scope_region", ("管辖地区", "Region scope"), "ref", ref="region", list=True),
            Field("lang", ("界面语言", "Language"), "choice", choices=LANG_CHOICES),
            Field("password", ("密码", "Password"), required=False, check=_check_password, max_len=200),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
register_ref("user", User, lambda u, lang: u.display_name)


def create_user(session: Session, principal: Principal, **data: Any) -> User:
    from jiliang.core import resources

    return resources.create(session, principal, USERS, data)


def authenticate(session: Session, username: str, password: str) -> User | None:
    if "\x00" in (username or ""):
        return None
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or user.status != "active" or not verify_password(user.password_hash, password):
        return None
    return user


def issue_token(session: Session, principal: Principal, name: str) -> str:
    """Create a bearer token for the caller; only its digest is stored."""
    token, digest = new_token()
    row = ApiToken(user_id=principal.user_id, name=name or "api", digest=digest)
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", "api_token", row.id, after={"name": row.name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if "\x00" in token:
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.digest == token_digest(token), ApiToken.revoked.is_(False))
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.status == "active" else None


METROLOGISTS = register(
    Resource(
        name="metrologists",
        entity="metrologist",
        model=Metrologist,
        label=("注册计量师", "Registered metrologists"),
        policy=OwnedPolicy(Metrologist, "org_id", frozenset({"lab_manager"})),
        default_sort="name",
        title=lambda m, lang: m.name,
        fields=[
            Field("name", ("姓名", "Name"), required=True, list=True, search=True, sort=True, max_len=100),
            Field("org_id", ("所属单位", "Organisation"), "ref", ref="org", required=True, list=True),
            Field("user_id", ("平台账号", "Platform account"), "ref", ref="user"),
            Field("certificate_no", ("注册证书编号", "Certificate no."), required=True, list=True, search=True, max_len=40),
            Field("level", ("级别", "Level"), "choice", choices=METROLOGIST_LEVELS, required=True, list=True, filter=True),
            Field("items", ("注册项目", "Qualified items"), "list", list=True),
            Field("valid_until", ("有效期至", "Valid until"), "date", list=True, sort=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
