"""Reusable permission policies: role plus scope (an organisation, or a region and below)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select, true
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.errors import Forbidden, Unauthorized
from jiliang.core.resources import Policy
from jiliang.core.security import Principal


def region_clause(principal: Principal, county_col, city_col):
    """SQL condition: a place (county and city columns) lies inside a regulator's region."""
    if principal.scope_level == "province":
        return true()
    if principal.scope_level == "city":
        return city_col == principal.scope_region
    if principal.scope_level == "county":
        return county_col == principal.scope_region
    return false()


def require(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


def orgs_in_scope(principal: Principal) -> Select:
    from jiliang.orgs.models import Organisation

    return select(Organisation.id).where(
        region_clause(principal, Organisation.region_code, Organisation.city_code)
    )


class OwnedPolicy(Policy):
    """Rows that belong to one organisation (``org_attr``).

    Read: admin everything; a regulator the rows of organisations in their region (or, when the
    row carries its own place in ``region_attrs``, the rows located there); members of the
    organisation its own rows. Write: admin, and the ``write_roles`` of the owning organisation.
    """

    def __init__(
        self,
        model: type,
        org_attr: str,
        write_roles: frozenset[str],
        region_attrs: tuple[str, str] | None = None,
    ) -> None:
        self.model, self.org_attr, self.write_roles = model, org_attr, write_roles
        self.region_attrs = region_attrs

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        org_col = getattr(self.model, self.org_attr)
        if p.is_regulator:
            if self.region_attrs:
                county, city = (getattr(self.model, a) for a in self.region_attrs)
                return stmt.where(region_clause(p, county, city))
            return stmt.where(org_col.in_(orgs_in_scope(p)))
        if p.is_org_member and p.org_id is not None:
            return stmt.where(org_col == p.org_id)
        raise Forbidden()

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        p = require(principal)
        if p.is_admin:
            return
        if p.role in self.write_roles and p.org_id is not None and values.get(self.org_attr) == p.org_id:
            return
        raise Forbidden()


class CatalogPolicy(Policy):
    """Shared reference tables: every signed-in user reads; only administrators write."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        require(principal)
        return stmt

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        if not require(principal).is_admin:
            raise Forbidden()


class ChildPolicy(Policy):
    """Rows that belong to a parent row (a standard's devices, a material's values)."""

    def __init__(self, model: type, fk_attr: str, parent_model: type, parent_policy: Policy):
        self.model, self.fk_attr = model, fk_attr
        self.parent_model, self.parent_policy = parent_model, parent_policy

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        parents = self.parent_policy.scope(principal, select(self.parent_model.id))
        return stmt.where(getattr(self.model, self.fk_attr).in_(parents))

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        parent = session.get(self.parent_model, values.get(self.fk_attr))
        if parent is None:
            raise Forbidden()
        self.parent_policy.can_write(principal, audit.snapshot(parent), session)
