"""The main menu: grouped by task, the longest matching entry marked, groups of one shown flat."""

from __future__ import annotations

from jiliang.core.security import Principal
from jiliang.web.views import nav_menu


def _who(role: str) -> Principal:
    return Principal(user_id=1, username="u", role=role, scope_region="610000" if role == "regulator" else None)


def _paths(menu):
    out = []
    for e in menu:
        out += [i["path"] for i in e["children"]] if "children" in e else [e["path"]]
    return out


def test_regulator_menu_is_grouped_and_marks_the_longest_match(app):

    menu = nav_menu(_who("regulator"), "/trace/reverse/cases/3")
    groups = {e["group"]: e for e in menu if "children" in e}
    assert {"registers", "lab", "supervision"} <= set(groups)
    on = [p for e in menu for p in ([i for i in e.get("children", [])] or [e]) if p["on"]]
    assert [p["path"] for p in on] == ["/trace/reverse"]
    assert groups["lab"]["on"] and not groups["registers"]["on"]
    assert len(_paths(menu)) == len(set(_paths(menu)))  # each entry once
    assert len(menu) <= 6  # a menu that fits one line on a laptop


def test_roles_see_only_their_entries(app):

    assert "/users" not in _paths(nav_menu(_who("regulator"), "/"))
    assert "/users" in _paths(nav_menu(_who("admin"), "/"))
    assert "/calibration" not in _paths(nav_menu(_who("enterprise"), "/"))
    assert nav_menu(None, "/") == []


def test_pages_render_the_grouped_menu_and_keep_the_query_in_the_language_switch(client, auth):
    r = client.get("/instruments?status=overdue", headers=auth("yanta"))
    assert r.status_code == 200
    assert 'data-group="registers"' in r.text and 'class="nav-group on"' in r.text
    assert "status=overdue" in r.text.split('data-testid="lang-switch"')[0].rsplit("href=", 1)[1]


def test_inbox_entry_shows_the_unread_count(client, auth, db):
    from sqlalchemy import select

    from jiliang.people.models import User
    from jiliang.people.service import principal_for
    from jiliang.supervision.inbox import unread_count

    user = db.scalar(select(User).where(User.username == "enterprise"))
    n = unread_count(db, principal_for(db, user))
    page = client.get("/instruments", headers=auth("enterprise")).text
    if n:
        assert f'data-testid="nav-badge">{n}</span>' in page
    else:
        assert 'data-testid="nav-badge"' not in page


def test_enterprise_reaches_its_reverse_trace_items_from_the_menu(app):
    assert "/trace/reverse" in _paths(nav_menu(_who("enterprise"), "/"))
