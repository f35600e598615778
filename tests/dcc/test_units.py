"""D-SI unit strings: our own check (the schema checks none) and pint → D-SI."""

from __future__ import annotations

import pytest

from jiliang.dcc import DsiUnitError, check_dsi_unit, is_dsi_unit, pint_to_dsi


@pytest.mark.parametrize(
    "unit",
    [
        r"\metre",
        r"\kilogram",
        r"\milli\gram",
        r"\degreecelsius",
        r"\metre\second\tothe{-1}",
        r"\metre\per\second\tothe{2}",
        r"\percent",
        r"\one",
        r"\kilo\pascal",
        r"\micro\metre",
        r"\metre\tothe{3}\hour\tothe{-1}",
        r"\newton\metre",
        r"\ohm",
        r"\hertz\tothe{-0.5}",
        r"\kibi\byte",
        r"\kelvin",
        r"\mmhg",
    ],
)
def test_good_units(unit: str) -> None:
    assert check_dsi_unit(unit) == unit
    assert is_dsi_unit(unit)


@pytest.mark.parametrize(
    ("unit", "token"),
    [
        (r"\Metre", r"\Metre"),
        (r"\meter", r"\meter"),
        ("m", "m"),
        ("°C", "°C"),
        (r"\metre s", " s"),
        (r"\milli\kilogram", r"\kilogram"),
        (r"\milli\milli\metre", r"\milli"),
        (r"\milli", r"\milli"),
        (r"\tothe{2}", r"\tothe{2}"),
        (r"\metre\tothe{x}", r"\tothe{x}"),
        (r"\metre\tothe{0}", r"\tothe{0}"),
        (r"\metre\per", r"\per"),
        (r"\per\metre", r"\per"),
        (r"\one\metre", r"\one"),
        (r"\kibi\metre", r"\metre"),
        (r"\kilo\percent", r"\percent"),
        (r"\metre{2}", r"\metre{2}"),
        ("", ""),
    ],
)
def test_bad_units_name_the_token(unit: str, token: str) -> None:
    with pytest.raises(DsiUnitError) as info:
        check_dsi_unit(unit)
    assert info.value.token == token
    assert repr(token) in str(info.value)
    assert not is_dsi_unit(unit)


@pytest.mark.parametrize(
    ("written", "dsi"),
    [
        ("g", r"\gram"),
        ("mg", r"\milli\gram"),
        ("kg", r"\kilogram"),
        ("m", r"\metre"),
        ("mm", r"\milli\metre"),
        ("µm", r"\micro\metre"),
        ("μm", r"\micro\metre"),
        ("L", r"\litre"),
        ("mL", r"\milli\litre"),
        ("Pa", r"\pascal"),
        ("kPa", r"\kilo\pascal"),
        ("MPa", r"\mega\pascal"),
        ("°C", r"\degreecelsius"),
        ("K", r"\kelvin"),
        ("V", r"\volt"),
        ("A", r"\ampere"),
        ("Ω", r"\ohm"),
        ("W", r"\watt"),
        ("Hz", r"\hertz"),
        ("s", r"\second"),
        ("%", r"\percent"),
        ("N", r"\newton"),
        ("N·m", r"\newton\metre"),
        ("m³/h", r"\metre\tothe{3}\hour\tothe{-1}"),
        ("m/s^2", r"\metre\second\tothe{-2}"),
        ("kg/m^3", r"\kilogram\metre\tothe{-3}"),
        ("mmHg", r"\mmhg"),
        ("kWh", r"\kilo\watt\hour"),
        ("dB", r"\decibel"),
        ("1", r"\one"),
        ("℃", r"\degreecelsius"),
        ("％", r"\percent"),
        ("m3/h", r"\metre\tothe{3}\hour\tothe{-1}"),
        ("N/mm2", r"\newton\milli\metre\tothe{-2}"),
        ("kΩ", r"\kilo\ohm"),
        ("\u2126", r"\ohm"),
        ("hPa", r"\hecto\pascal"),
        ("L/min", r"\litre\minute\tothe{-1}"),
        ("J/(kg·K)", r"\joule\kilogram\tothe{-1}\kelvin\tothe{-1}"),
        (r"\milli\gram", r"\milli\gram"),
    ],
)
def test_pint_to_dsi(written: str, dsi: str) -> None:
    assert pint_to_dsi(written) == dsi
    check_dsi_unit(dsi)


@pytest.mark.parametrize(
    "written", ["rpm", "r/min", "psi", "inch", "°F", "dB(A)", "kgf", "no such unit", r"\Gram", "℃℃"]
)
def test_pint_to_dsi_refuses(written: str) -> None:
    with pytest.raises(DsiUnitError):
        pint_to_dsi(written)
