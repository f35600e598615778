"""C-mark self-declarations (C 标志自我声明): producers declare, the public reads.

A producer declares its own net-content capability for some product categories; an
administrator may enter one for it. Active public declarations form a register open to
everyone without sign-in. A declaration is withdrawn with a reason, never deleted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from jiliang.core import resources
from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.policies import OwnedPolicy, require
from jiliang.core.resources import Field, FieldRule, Resource
from jiliang.core.security import Principal
from jiliang.netcontent.models import CATEGORIES, DECLARATION_STATUS, CapabilityDeclaration
from jiliang.netcontent.service import PRODUCER_KINDS, _no_nul, _plain
from jiliang.orgs.models import Organisation


def _check_categories(value: list[str]) -> list[str]:
    out = []
    for item in value:
        key = item
        if key not in CATEGORIES:
            key = next((k for k, (zh, en) in CATEGORIES.items() if item in (zh, en)), "")
        if not key:
            raise FieldRule(
                f"未知类别 {item}", f"unknown category {item}; one of: {', '.join(CATEGORIES)}"
            )
        if key not in out:
            out.append(key)
    if not out:
        raise FieldRule("至少选择一个类别", "choose at least one category")
    return out


def _prepare_declaration(session: Session, principal: Principal, values: dict, obj: Any) -> dict:
    if obj is None:
        if values.get("org_id") is None:
            if principal.org_id is None:
                raise ValidationFailed.one("org_id", "必填", "required")
            values["org_id"] = principal.org_id
        org = session.get(Organisation, values["org_id"])
        if org is None or org.kind not in PRODUCER_KINDS:
            raise ValidationFailed.one(
                "org_id", "声明单位应为企业或个体工商户", "must be an enterprise"
            )
        values.update(
            org_name=org.name,
            org_uscc=org.uscc,
            region_code=org.region_code,
            city_code=org.city_code,
            status="active",
        )
        if values.get("declared_on") is None:
            values["declared_on"] = date.today()
        if values.get("public") is None:
            values["public"] = True
    elif "org_id" in values and values["org_id"] != obj.org_id:
        raise Forbidden("声明单位不能变更", "The declaring organisation cannot be changed")
    return values


DECLARATIONS = Resource(
    name="c-mark",
    entity="capability_declaration",
    model=CapabilityDeclaration,
    label=("C 标志自我声明", "C-mark self-declarations"),
    policy=OwnedPolicy(
        CapabilityDeclaration, "org_id", frozenset({"enterprise"}), ("region_code", "city_code")
    ),
    default_sort="-declared_on",
    title=lambda o, lang: o.org_name,
    prepare=_prepare_declaration,
    retire_status="withdrawn",
    fields=[
        Field("org_id", ("声明单位", "Organisation"), "ref", ref="org"),
        Field(
            "categories",
            ("商品类别", "Product categories"),
            "list",
            required=True,
            check=_check_categories,
        ),
        Field(
            "products",
            ("商品范围说明", "Products"),
            "text",
            search=True,
            max_len=2000,
            check=_no_nul,
        ),
        Field("declared_on", ("声明日期", "Declared on"), "date", sort=True),
        Field("public", ("公开", "Public"), "bool"),
        Field("org_name", ("单位名称", "Name"), search=True, sort=True, editable=False),
        Field("org_uscc", ("统一社会信用代码", "USCC"), search=True, editable=False),
        Field(
            "status",
            ("状态", "Status"),
            "choice",
            choices=DECLARATION_STATUS,
            filter=True,
            editable=False,
        ),
    ],
)


def declare(
    session: Session, principal: Principal | None, data: dict[str, Any]
) -> CapabilityDeclaration:
    """A producer declares its own capability (an administrator may enter one for it)."""
    p = require(principal)
    if not (p.is_admin or p.role == "enterprise"):
        raise Forbidden("只有生产企业可以作出自我声明", "Only a producer declares its capability")
    return resources.create(session, p, DECLARATIONS, data)


def withdraw(session: Session, principal: Principal | None, ident: Any, reason: str | None):
    return resources.retire(session, require(principal), DECLARATIONS, ident, reason or "")


def list_declarations(
    session: Session,
    principal: Principal | None,
    q: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> resources.Page:
    filters = {"status": status} if status else None
    return resources.list_page(
        session, principal, DECLARATIONS, _plain(q), filters, None, page, per_page
    )


def public_declarations(
    session: Session,
    q: str | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> resources.Page:
    """The public register: active, public declarations; no sign-in, no scope."""
    m = CapabilityDeclaration
    q = _plain(q)
    stmt = select(m).where(m.public.is_(True), m.status == "active")
    if q and q.strip():
        term = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(m.org_name.ilike(term), m.org_uscc.ilike(term), m.products.ilike(term))
        )
    if category:
        if category not in CATEGORIES:
            raise ValidationFailed.one("category", "未知类别", "unknown category")
        # the JSON list as text on both engines: '["food", "beverage"]'
        stmt = stmt.where(cast(m.categories, String).like(f'%"{category}"%'))
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), resources.MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(m.declared_on.desc(), m.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return resources.Page(items=items, total=total, page=page, per_page=per_page)


def declaration_dict(obj: CapabilityDeclaration, public: bool = False) -> dict[str, Any]:
    out = {
        "id": obj.id,
        "org_name": obj.org_name,
        "org_uscc": obj.org_uscc,
        "region_code": obj.region_code,
        "categories": list(obj.categories or []),
        "products": obj.products,
        "declared_on": obj.declared_on.isoformat() if obj.declared_on else None,
    }
    if not public:
        out.update(org_id=obj.org_id, public=obj.public, status=obj.status, city_code=obj.city_code)
    return out
