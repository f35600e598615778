"""Shipped reference data: the administrative divisions of Shaanxi (GB/T 2260).

The CSV ``jiliang/data/regions/shaanxi.csv`` has the columns
``code,name_zh,name_en,level,parent_code``; its source, date and licence are named in
``jiliang/data/regions/SOURCE.md`` beside it.

One node is not a GB/T 2260 code: the Yangling Agricultural High-tech Industries
Demonstration Zone (杨凌示范区) is run by the province as a city-level unit, but GB/T 2260
has no code for it (its territory is 杨陵区 610403, listed under 咸阳市 610400). The
platform adds a city-level node with the platform-local code :data:`YANGLING_ZONE_CODE`
(``619900``) and places 杨陵区 610403 under it. Hence a county's parent is *not* always
``code[:4] + "00"``: always use ``parent_code``.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib.resources import files

PROVINCE_CODE = "610000"
YANGLING_ZONE_CODE = "619900"
YANGLING_DISTRICT_CODE = "610403"
#: Codes used by the platform that are not in GB/T 2260.
PLATFORM_LOCAL_CODES = frozenset({YANGLING_ZONE_CODE})
LEVELS = ("province", "city", "county")

_COLUMNS = ("code", "name_zh", "name_en", "level", "parent_code")


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, ...], ...]:
    text = files("jiliang").joinpath("data/regions/shaanxi.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"shaanxi.csv: unexpected header {reader.fieldnames!r}")
    return tuple(tuple(row[c] for c in _COLUMNS) for row in reader)


def load_regions() -> list[dict]:
    """Return every region of the shipped list, parents before their children.

    Each item is a new dict with the keys ``code``, ``name_zh``, ``name_en``, ``level``
    (``province`` | ``city`` | ``county``) and ``parent_code`` (``None`` for the province).
    """
    out = []
    for row in _rows():
        item = dict(zip(_COLUMNS, row, strict=True))
        item["parent_code"] = item["parent_code"] or None
        out.append(item)
    return out


def regions_by_code() -> dict[str, dict]:
    """Return ``{code: region}`` for the shipped list."""
    return {r["code"]: r for r in load_regions()}


def children_of(code: str) -> list[dict]:
    """Return the regions whose parent is ``code``, in code order."""
    return sorted((r for r in load_regions() if r["parent_code"] == code), key=lambda r: r["code"])
