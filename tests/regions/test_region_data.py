"""Shipped Shaanxi region list (GB/T 2260) and the map shapes drawn from it."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from jiliang.regions.data import (
    PLATFORM_LOCAL_CODES,
    PROVINCE_CODE,
    YANGLING_DISTRICT_CODE,
    YANGLING_ZONE_CODE,
    children_of,
    load_regions,
    regions_by_code,
)
from jiliang.regions.geo import choropleth_svg, colour_for, shapes_for, viewbox

SVG = "{http://www.w3.org/2000/svg}"
CITIES = {
    "610100": "西安市",
    "610200": "铜川市",
    "610300": "宝鸡市",
    "610400": "咸阳市",
    "610500": "渭南市",
    "610600": "延安市",
    "610700": "汉中市",
    "610800": "榆林市",
    "610900": "安康市",
    "611000": "商洛市",
}
# County-level divisions in the source list (MCA, as at 2023-12-31 and 2025-12-31).
SOURCE_COUNTY_COUNT = 107


@pytest.fixture(scope="module")
def regions() -> list[dict]:
    return load_regions()


def test_one_province(regions):
    provinces = [r for r in regions if r["level"] == "province"]
    assert provinces == [
        {
            "code": PROVINCE_CODE,
            "name_zh": "陕西省",
            "name_en": "Shaanxi",
            "level": "province",
            "parent_code": None,
        }
    ]


def test_ten_cities_and_the_yangling_node(regions):
    cities = {r["code"]: r["name_zh"] for r in regions if r["level"] == "city"}
    assert cities == {**CITIES, YANGLING_ZONE_CODE: "杨凌示范区"}
    assert all(r["parent_code"] == PROVINCE_CODE for r in regions if r["level"] == "city")
    assert PLATFORM_LOCAL_CODES == {YANGLING_ZONE_CODE}


def test_yangling_district_sits_under_the_zone(regions):
    by_code = regions_by_code()
    district = by_code[YANGLING_DISTRICT_CODE]
    assert district["name_zh"] == "杨陵区"
    assert district["level"] == "county"
    assert district["parent_code"] == YANGLING_ZONE_CODE
    assert [r["code"] for r in children_of(YANGLING_ZONE_CODE)] == [YANGLING_DISTRICT_CODE]
    assert YANGLING_DISTRICT_CODE not in {r["code"] for r in children_of("610400")}
    assert len(children_of("610400")) == 13


def test_every_county_has_a_city_parent(regions):
    by_code = regions_by_code()
    counties = [r for r in regions if r["level"] == "county"]
    assert len(counties) == SOURCE_COUNTY_COUNT
    for r in counties:
        assert by_code[r["parent_code"]]["level"] == "city", r
        if r["code"] != YANGLING_DISTRICT_CODE:
            assert r["parent_code"] == r["code"][:4] + "00", r


def test_codes_unique_six_digits_and_tree_ordered(regions):
    codes = [r["code"] for r in regions]
    assert len(codes) == len(set(codes)) == 1 + 11 + SOURCE_COUNTY_COUNT
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert all(c.startswith("61") for c in codes)
    seen: set[str] = set()
    for r in regions:
        assert r["parent_code"] is None or r["parent_code"] in seen
        seen.add(r["code"])


def test_names_and_levels_are_filled(regions):
    for r in regions:
        assert r["level"] in {"province", "city", "county"}
        assert r["name_zh"] and r["name_en"]
        assert re.fullmatch(r"[A-Za-z' ]+", r["name_en"]), r
        if r["level"] == "county":
            assert r["name_en"].endswith((" District", " County", " City")), r


@pytest.mark.parametrize(
    ("code", "name_zh", "name_en", "parent"),
    [
        ("610102", "新城区", "Xincheng District", "610100"),
        ("610103", "碑林区", "Beilin District", "610100"),
        ("610113", "雁塔区", "Yanta District", "610100"),
        ("610116", "长安区", "Chang'an District", "610100"),
        ("610117", "高陵区", "Gaoling District", "610100"),
        ("610118", "鄠邑区", "Huyi District", "610100"),
        ("610122", "蓝田县", "Lantian County", "610100"),
        ("610305", "凤翔区", "Fengxiang District", "610300"),
        ("610482", "彬州市", "Binzhou City", "610400"),
        ("610582", "华阴市", "Huayin City", "610500"),
        ("610681", "子长市", "Zichang City", "610600"),
        ("610881", "神木市", "Shenmu City", "610800"),
        ("610981", "旬阳市", "Xunyang City", "610900"),
        ("611026", "柞水县", "Zhashui County", "611000"),
    ],
)
def test_known_codes(code, name_zh, name_en, parent):
    r = regions_by_code()[code]
    assert (r["name_zh"], r["name_en"], r["level"], r["parent_code"]) == (
        name_zh,
        name_en,
        "county",
        parent,
    )


@pytest.mark.parametrize("old", ["610125", "610322", "610427", "610623", "610928", "610821"])
def test_retired_codes_absent(old):
    assert old not in regions_by_code()


def test_load_regions_returns_fresh_dicts():
    a = load_regions()
    a[0]["name_zh"] = "changed"
    assert load_regions()[0]["name_zh"] == "陕西省"


# --- shapes ---------------------------------------------------------------------------


def test_shapes_cover_every_city_and_county(regions):
    codes = [r["code"] for r in regions]
    shapes = shapes_for(codes)
    assert set(shapes) == set(codes)
    _, _, w, h = (float(x) for x in viewbox().split())
    for code, s in shapes.items():
        assert s["d"].startswith("M") and s["d"].endswith("z"), code
        minx, miny, maxx, maxy = s["b"]
        assert 0 <= minx < maxx <= w and 0 <= miny < maxy <= h, code
        cx, cy = s["c"]
        assert minx <= cx <= maxx and miny <= cy <= maxy, code


def test_shapes_for_skips_unknown_codes():
    assert shapes_for(["610113", "999999"]).keys() == {"610113"}


def test_colour_scale():
    assert colour_for(None) == colour_for(float("nan")) == "#d4d4d4"
    assert colour_for(-1) == colour_for(0)
    assert colour_for(2) == colour_for(1)

    def lum(hexcol: str) -> float:
        return sum(int(hexcol[i : i + 2], 16) for i in (1, 3, 5))

    steps = [lum(colour_for(i / 10)) for i in range(11)]
    assert steps == sorted(steps, reverse=True)  # pale to deep
    assert not math.isclose(steps[0], steps[-1])


def test_choropleth_is_well_formed_and_accessible():
    counties = children_of("610100")
    values = {r["code"]: i / len(counties) for i, r in enumerate(counties)}
    values["610122"] = None
    labels = {r["code"]: f'{r["name_zh"]} <&> "x"' for r in counties}
    svg = choropleth_svg(
        values,
        labels,
        link=lambda c: f"/regions/{c}?a=1&b=2",
        title="西安市 <instruments> & status",
        names={r["code"]: r["name_zh"] for r in counties},
    )
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    title = root.find(SVG + "title")
    assert title is not None and title.text == "西安市 <instruments> & status"
    assert root.get("aria-labelledby") == title.get("id")
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == len(counties)
    by_code = {p.get("data-code"): p for p in paths}
    assert by_code["610122"].get("fill") == "#d4d4d4"
    assert by_code["610113"].find(SVG + "title").text == '雁塔区 <&> "x"'
    links = root.findall(f".//{SVG}a")
    assert len(links) == len(counties)
    assert {a.get("href") for a in links} == {f"/regions/{c}?a=1&b=2" for c in values}
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None and len(legend.findall(SVG + "rect")) == 6


def test_choropleth_without_links_or_data():
    svg = choropleth_svg({c: None for c in CITIES}, {}, None, "")
    root = ET.fromstring(svg)
    assert not root.findall(f".//{SVG}a")
    assert len(root.findall(f".//{SVG}path")) == 10
    assert ET.fromstring(choropleth_svg({}, {}, None, "empty")).tag == SVG + "svg"
