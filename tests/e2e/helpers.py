"""Small helpers for the browser tests: README screenshots, overflow checks, database look-ups.

Imported by the e2e test modules as ``helpers`` (``tests/e2e`` is on ``sys.path`` under pytest's
default ``prepend`` import mode).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def screenshots_wanted() -> bool:
    return os.environ.get("JILIANG_SCREENSHOTS") == "1"


def screenshot(page: Page, name: str, viewport: dict[str, int] | None = None) -> Path | None:
    """Save ``docs/screenshots/NAME.png`` for the README, only when ``JILIANG_SCREENSHOTS=1``.

    The page is shown at ``viewport`` (1280×800 unless told) for the shot; only the visible
    part is kept (``full_page=False``) so each PNG stays small.
    """
    if not screenshots_wanted():
        return None
    page.set_viewport_size(viewport or DESKTOP)
    page.evaluate("() => document.fonts ? document.fonts.ready.then(() => true) : true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, type="png", animations="disabled")
    return path


def horizontal_overflow(page: Page) -> dict[str, object]:
    """Width of the scrolling element against the window, and the elements that stick out."""
    return page.evaluate(
        """() => {
            const se = document.scrollingElement || document.documentElement;
            const limit = window.innerWidth + 1;
            const wide = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.right > limit && r.width > 0) {
                    const id = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
                    wide.push(id + ' right=' + Math.round(r.right));
                    if (wide.length >= 8) break;
                }
            }
            return {scrollWidth: se.scrollWidth, innerWidth: window.innerWidth, wide: wide};
        }"""
    )


def assert_no_horizontal_overflow(page: Page) -> None:
    info = horizontal_overflow(page)
    assert info["scrollWidth"] <= info["innerWidth"] + 1, (
        f"{page.url} overflows horizontally: {info}"
    )


def misaligned_columns(table) -> list[str]:
    """Columns whose header cell does not sit over the first body row's cell (desktop tables).

    ``table`` is a Playwright locator of a ``<table>``; an empty list means the columns line up
    and the table is laid out as a table (not, say, as a flex box).
    """
    return table.evaluate(
        """(t) => {
            const out = [];
            const display = getComputedStyle(t).display;
            if (display !== 'table') out.push('table display is ' + display);
            const ths = t.querySelectorAll('thead th');
            const row = t.querySelector('tbody tr');
            if (!row) return out;
            const tds = row.querySelectorAll('td');
            ths.forEach((th, i) => {
                const a = th.getBoundingClientRect(), b = tds[i] && tds[i].getBoundingClientRect();
                if (!b || Math.abs(a.left - b.left) > 2 || Math.abs(a.width - b.width) > 2) {
                    out.push(th.textContent.trim() + ': header ' + Math.round(a.left) + '+' + Math.round(a.width)
                        + ', cell ' + (b ? Math.round(b.left) + '+' + Math.round(b.width) : 'missing'));
                }
            });
            return out;
        }"""
    )


def instrument_where(*conditions, **where):
    """The first instrument (by serial number) matching the conditions and column == value filters.

    Looked up in the session's test database at call time (other tests may have changed it);
    returned detached, with its columns loaded.
    """
    from sqlalchemy import select

    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument

    with session_scope() as session:
        stmt = select(Instrument).where(*conditions)
        for column, value in where.items():
            stmt = stmt.where(getattr(Instrument, column) == value)
        inst = session.scalars(stmt.order_by(Instrument.serial_no)).first()
        if inst is not None:
            session.expunge(inst)
        return inst
