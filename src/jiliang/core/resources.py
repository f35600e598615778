"""Registry resources: one description per entity drives validation, scoped lists, writes
with audit, the API and the generic list/detail/form pages.

A domain declares a :class:`Resource` (its fields and its :class:`Policy`) in its
``service.py``; everything that reads or writes its table goes through the functions here, so
every write is permission-checked and audited in the same transaction, and every list is
filtered by the caller's scope in the service, never in a template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.errors import Forbidden, NotFound, ValidationFailed
from jiliang.core.i18n import pick
from jiliang.core.security import Principal


class FieldRule(ValueError):
    """Raised by a field check: the rule broken, in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Field:
    name: str
    label: tuple[str, str]
    kind: str = "str"  # str | text | int | float | date | bool | choice | ref | list
    required: bool = False
    choices: dict[str, tuple[str, str]] | None = None
    ref: str | None = None
    list: bool = False
    filter: bool = False
    search: bool = False
    sort: bool = False
    editable: bool = True
    max_len: int | None = None
    min_value: float | None = None
    check: Callable[[Any], Any] | None = None
    help: tuple[str, str] | None = None


class Policy:
    """Who may see and change rows of a resource. Subclasses override what differs."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        """Restrict a query to the rows the principal may read."""
        raise Forbidden()

    def can_write(
        self, principal: Principal | None, values: dict[str, Any], session: Session
    ) -> None:
        """Raise Forbidden unless the principal may write a row with these values."""
        raise Forbidden()


@dataclass
class Resource:
    name: str
    entity: str
    model: type
    label: tuple[str, str]
    fields: list[Field]
    policy: Policy
    default_sort: str = "-id"
    title: Callable[[Any, str], str] = lambda obj, lang: str(obj.id)
    prepare: Callable[[Session, Principal, dict, Any], dict] | None = None
    retire_status: str = "retired"
    extra_filters: dict[str, Callable[[Select, str], Select]] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def list_fields(self) -> list[Field]:
        return [f for f in self.fields if f.list]

    @property
    def form_fields(self) -> list[Field]:
        return [f for f in self.fields if f.editable]


REGISTRY: dict[str, Resource] = {}
# ref name -> (model, label column(s), lang-aware label function)
REF_LABELS: dict[str, tuple[type, Callable[[Any, str], str]]] = {}


def register(resource: Resource) -> Resource:
    REGISTRY[resource.name] = resource
    return resource


def register_ref(name: str, model: type, label: Callable[[Any, str], str]) -> None:
    REF_LABELS[name] = (model, label)


# ---------------------------------------------------------------- validation

_EMPTY = ("", None)
MAX_INT = 2_147_483_647  # the widest integer column on every engine


def _convert(f: Field, raw: Any) -> Any:
    if isinstance(raw, str):
        raw = raw.strip()
    if raw in _EMPTY:
        return None
    if f.kind in ("str", "text"):
        value = str(raw)
        if "\x00" in value:
            raise FieldRule("不能包含空字符", "must not contain NUL characters")
        if f.max_len and len(value) > f.max_len:
            raise FieldRule(f"长度不能超过 {f.max_len} 个字符", f"at most {f.max_len} characters")
        return value
    if f.kind == "ref" and f.ref == "region":
        value = str(raw)
        if not (len(value) == 6 and value.isdigit()):
            raise FieldRule("应为 6 位行政区划代码", "must be a 6-digit region code")
        return value
    if f.kind in ("int", "ref"):
        if isinstance(raw, bool):
            raise FieldRule("应为整数", "must be a whole number")
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise FieldRule("应为整数", "must be a whole number") from None
        if not -MAX_INT <= value <= MAX_INT:
            raise FieldRule("数值超出范围", "is out of range")
        if f.min_value is not None and value < f.min_value:
            raise FieldRule(f"不能小于 {f.min_value:g}", f"must be at least {f.min_value:g}")
        return value
    if f.kind == "float":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise FieldRule("应为数值", "must be a number") from None
        if not math.isfinite(value):
            raise FieldRule("应为有限数值", "must be a finite number")
        if f.min_value is not None and value < f.min_value:
            raise FieldRule(f"不能小于 {f.min_value:g}", f"must be at least {f.min_value:g}")
        return value
    if f.kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise FieldRule("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD") from None
    if f.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in ("1", "true", "yes", "on", "是", "y"):
            return True
        if text in ("0", "false", "no", "off", "否", "n"):
            return False
        raise FieldRule("应为“是”或“否”", "must be yes or no")
    if f.kind == "choice":
        value = str(raw)
        if f.choices and value not in f.choices:
            # accept the Chinese or English label as well (spreadsheets carry labels)
            for key, (zh, en) in f.choices.items():
                if value in (zh, en):
                    return key
            allowed = "、".join(f.choices)
            raise FieldRule(f"取值应为：{allowed}", f"must be one of: {', '.join(f.choices)}")
        return value
    if f.kind == "list":
        if isinstance(raw, str):
            return [p.strip() for p in re.split(r"[,，;；\n]", raw) if p.strip()]
        if isinstance(raw, Iterable):
            return [str(p).strip() for p in raw if str(p).strip()]
        raise FieldRule("应为列表", "must be a list")
    return raw


def clean(resource: Resource, data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Convert and check input values; collect every field's error before raising."""
    errors: dict[str, tuple[str, str]] = {}
    out: dict[str, Any] = {}
    for f in resource.form_fields:
        if f.name not in data:
            if f.required and not partial:
                errors[f.name] = ("必填", "required")
            continue
        try:
            value = _convert(f, data[f.name])
            if value is None and f.required:
                raise FieldRule("必填", "required")
            if value is not None and f.check:
                value = f.check(value)
        except FieldRule as exc:
            errors[f.name] = (f"{f.label[0]}：{exc.zh}", f"{f.label[1]}: {exc.en}")
            continue
        out[f.name] = value
    unknown = set(data) - {f.name for f in resource.form_fields} - {"reason"}
    for name in sorted(unknown):
        errors[name] = ("不允许修改此字段", "this field cannot be set")
    if errors:
        raise ValidationFailed(errors)
    return out


def check_refs(session: Session, resource: Resource, values: dict[str, Any]) -> None:
    errors = {}
    for f in resource.fields:
        if f.kind == "ref" and values.get(f.name) is not None and f.ref in REF_LABELS:
            model = REF_LABELS[f.ref][0]
            if session.get(model, values[f.name]) is None:
                errors[f.name] = (f"{f.label[0]}：不存在", f"{f.label[1]}: does not exist")
    if errors:
        raise ValidationFailed(errors)


# ---------------------------------------------------------------- reading


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


MAX_PER_PAGE = 200


def _order(resource: Resource, sort: str | None):
    sort = sort or resource.default_sort
    desc = sort.startswith("-")
    name = sort.lstrip("-")
    sortable = {f.name for f in resource.fields if f.sort} | {"id"}
    if name not in sortable:
        raise ValidationFailed.one("sort", f"不能按 {name} 排序", f"cannot sort by {name}")
    col = getattr(resource.model, name)
    id_col = resource.model.id
    if desc:
        return [col.desc().nulls_last(), id_col.desc()]
    return [col.asc().nulls_last(), id_col.asc()]


def query(
    session: Session,
    principal: Principal | None,
    resource: Resource,
    q: str | None = None,
    filters: dict[str, str] | None = None,
    sort: str | None = None,
) -> Select:
    """The scoped, filtered, searched and sorted statement behind a list or an export."""
    model = resource.model
    stmt = resource.policy.scope(principal, select(model))
    for key, raw in (filters or {}).items():
        if raw in (None, ""):
            continue
        raw = raw.replace("\x00", "") if isinstance(raw, str) else raw
        if key in resource.extra_filters:
            stmt = resource.extra_filters[key](stmt, raw)
            continue
        try:
            f = resource.field(key)
        except KeyError:
            raise ValidationFailed.one(key, "不支持的筛选条件", "unknown filter") from None
        if not f.filter:
            raise ValidationFailed.one(key, "不支持的筛选条件", "unknown filter")
        try:
            value = _convert(f, raw)
        except FieldRule as exc:
            raise ValidationFailed.one(key, exc.zh, exc.en) from None
        stmt = stmt.where(getattr(model, key) == value)
    q = (q or "").replace("\x00", "")
    if q:
        terms = [getattr(model, f.name).ilike(f"%{q.strip()}%") for f in resource.fields if f.search]
        if terms:
            stmt = stmt.where(or_(*terms))
    return stmt.order_by(*_order(resource, sort))


def list_page(
    session: Session,
    principal: Principal | None,
    resource: Resource,
    q: str | None = None,
    filters: dict[str, str] | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), MAX_PER_PAGE)
    stmt = query(session, principal, resource, q, filters, sort)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total or 0, page=page, per_page=per_page)


def get(session: Session, principal: Principal | None, resource: Resource, ident: Any) -> Any:
    """One row, or NotFound when it does not exist or lies outside the caller's scope."""
    model = resource.model
    try:
        key = int(ident)
    except (TypeError, ValueError):
        raise NotFound(resource.entity, ident) from None
    if not 0 < key <= MAX_INT:
        raise NotFound(resource.entity, ident)
    stmt = resource.policy.scope(principal, select(model).where(model.id == key))
    obj = session.scalars(stmt).first()
    if obj is None:
        raise NotFound(resource.entity, ident)
    return obj


def ref_labels(
    session: Session, resource: Resource, items: list[Any], lang: str
) -> dict[str, dict[Any, str]]:
    """Names for the referenced rows of a page of items, one query per reference."""
    out: dict[str, dict[Any, str]] = {}
    for f in resource.fields:
        if f.kind != "ref" or f.ref not in REF_LABELS:
            continue
        ids = {getattr(i, f.name) for i in items} - {None}
        if not ids:
            out[f.name] = {}
            continue
        model, label = REF_LABELS[f.ref]
        pk = model.__mapper__.primary_key[0]
        rows = session.scalars(select(model).where(pk.in_(ids)))
        out[f.name] = {getattr(r, pk.key): label(r, lang) for r in rows}
    return out


def display(f: Field, value: Any, lang: str, refs: dict[str, dict[Any, str]] | None = None) -> str:
    if value is None:
        return ""
    if f.kind == "choice" and f.choices:
        return pick(f.choices.get(value), lang) or str(value)
    if f.kind == "bool":
        return ("Yes" if value else "No") if lang == "en" else ("是" if value else "否")
    if f.kind == "ref":
        return (refs or {}).get(f.name, {}).get(value, str(value))
    if f.kind == "list":
        return "、".join(value) if lang != "en" else ", ".join(value)
    if f.kind == "date":
        return value.isoformat()
    if f.kind == "float":
        return f"{value:g}"
    return str(value)


def to_dict(resource: Resource, obj: Any) -> dict[str, Any]:
    out = {"id": obj.id}
    for f in resource.fields:
        if not hasattr(obj, f.name):
            continue  # write-only inputs such as a password
        value = getattr(obj, f.name)
        out[f.name] = value.isoformat() if isinstance(value, date) else value
    if hasattr(obj, "status"):
        out["status"] = obj.status
    return out


# ---------------------------------------------------------------- writing


def create(
    session: Session, principal: Principal, resource: Resource, data: dict[str, Any]
) -> Any:
    values = clean(resource, data)
    if resource.prepare:
        values = resource.prepare(session, principal, values, None)
    check_refs(session, resource, values)
    resource.policy.can_write(principal, values, session)
    obj = resource.model(**values)
    session.add(obj)
    session.flush()
    audit.record(session, principal, "create", resource.entity, obj.id, after=audit.snapshot(obj))
    return obj


def update(
    session: Session,
    principal: Principal,
    resource: Resource,
    ident: Any,
    data: dict[str, Any],
    reason: str | None = None,
) -> Any:
    obj = get(session, principal, resource, ident)
    if getattr(obj, "status", None) in ("retired", "scrapped"):
        raise Forbidden("已注销的记录不能修改", "A retired record cannot be changed")
    before = audit.snapshot(obj)
    resource.policy.can_write(principal, before, session)
    values = clean(resource, data, partial=True)
    if resource.prepare:
        values = resource.prepare(session, principal, values, obj)
    check_refs(session, resource, values)
    resource.policy.can_write(principal, {**before, **values}, session)
    for key, value in values.items():
        setattr(obj, key, value)
    session.flush()
    audit.record(
        session, principal, "update", resource.entity, obj.id, before, audit.snapshot(obj), reason
    )
    return obj


def retire(
    session: Session, principal: Principal, resource: Resource, ident: Any, reason: str
) -> Any:
    """Nothing is hard-deleted: a record is retired, with a reason, and stays readable."""
    if not reason or not reason.strip():
        raise ValidationFailed.one("reason", "注销须填写原因", "a reason is required")
    obj = get(session, principal, resource, ident)
    before = audit.snapshot(obj)
    resource.policy.can_write(principal, before, session)
    if obj.status == resource.retire_status:
        return obj
    obj.status = resource.retire_status
    session.flush()
    audit.record(
        session, principal, "retire", resource.entity, obj.id, before, audit.snapshot(obj), reason
    )
    return obj
