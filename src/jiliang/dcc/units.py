"""D-SI unit strings (the ``si:unit`` of a DCC) — our own check, since the schema checks none.

The D-SI metadata model (PTB, schema 2.2.1) writes units in a LaTeX-like backslash form based
on the SI brochure (BIPM, 9th edition, 2019): a unit is a sequence of terms
``[\\prefix]\\unit[\\tothe{n}]``, optionally joined by ``\\per`` (what follows ``\\per`` is in
the denominator).  Examples: ``\\metre``, ``\\milli\\gram``, ``\\degreecelsius``,
``\\metre\\second\\tothe{-1}``, ``\\metre\\per\\second\\tothe{2}``, ``\\percent``, ``\\one``.

:func:`check_dsi_unit` accepts the SI base and coherent derived units with special names
(brochure tables 2 and 4), the units accepted for use with the SI (table 8), the D-SI
additions for dimensionless quantities (``\\one``, ``\\percent``, ``\\ppm``), a few non-SI units
still used in legal metrology (``\\bar``, ``\\mmhg``, ...), and the SI prefixes (table 7, with
ronna/quetta/ronto/quecto of 2022) plus the IEC binary prefixes for ``\\bit`` and ``\\byte``.
:func:`pint_to_dsi` converts the unit strings people type (``mg``, ``kPa``, ``°C``, ``N·m``,
``m³/h``) into that form, through pint.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "DsiUnitError",
    "SI_PREFIXES",
    "BINARY_PREFIXES",
    "DSI_UNITS",
    "check_dsi_unit",
    "is_dsi_unit",
    "pint_to_dsi",
]


class DsiUnitError(ValueError):
    """A unit string is not a D-SI unit; ``token`` is the offending part."""

    def __init__(self, unit: str, token: str, reason: str) -> None:
        self.unit = unit
        self.token = token
        self.reason = reason
        super().__init__(f"invalid D-SI unit {unit!r}: {reason} (at {token!r})")


#: SI prefixes, SI brochure table 7 (+ 2022 additions), with their powers of ten.
SI_PREFIXES: dict[str, int] = {
    "quecto": -30,
    "ronto": -27,
    "yocto": -24,
    "zepto": -21,
    "atto": -18,
    "femto": -15,
    "pico": -12,
    "nano": -9,
    "micro": -6,
    "milli": -3,
    "centi": -2,
    "deci": -1,
    "deca": 1,
    "hecto": 2,
    "kilo": 3,
    "mega": 6,
    "giga": 9,
    "tera": 12,
    "peta": 15,
    "exa": 18,
    "zetta": 21,
    "yotta": 24,
    "ronna": 27,
    "quetta": 30,
}

#: IEC 80000-13 binary prefixes (only with \bit and \byte).
BINARY_PREFIXES = frozenset({"kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"})

_SI_BASE = {"metre", "kilogram", "second", "ampere", "kelvin", "mole", "candela"}
_SI_DERIVED = {
    "radian", "steradian", "hertz", "newton", "pascal", "joule", "watt", "coulomb", "volt",
    "farad", "ohm", "siemens", "weber", "tesla", "henry", "degreecelsius", "lumen", "lux",
    "becquerel", "gray", "sievert", "katal",
}  # fmt: skip
_ACCEPTED = {
    "gram", "minute", "hour", "day", "astronomicalunit", "degree", "arcminute", "arcsecond",
    "hectare", "litre", "tonne", "dalton", "electronvolt", "neper", "bel", "decibel",
}  # fmt: skip
_DIMENSIONLESS = {"one", "percent", "ppm"}
_OTHER = {"bar", "mmhg", "angstrom", "nauticalmile", "barn", "knot", "bit", "byte"}

#: Every unit name accepted after a backslash.
DSI_UNITS = frozenset(_SI_BASE | _SI_DERIVED | _ACCEPTED | _DIMENSIONLESS | _OTHER)

# Units that never take a prefix (the kilogram is prefixed through \gram).
_NO_PREFIX = frozenset(
    {"kilogram", "one", "percent", "ppm", "minute", "hour", "day", "degree", "arcminute",
     "arcsecond", "hectare", "astronomicalunit", "mmhg", "angstrom", "nauticalmile", "knot"}
)  # fmt: skip
# Units that stand alone: \one and \percent are not combined with other units.
_ALONE = frozenset({"one"})

_TOKEN = re.compile(r"\\([A-Za-z]+)(?:\{([^{}\\]*)\})?")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?)")


def check_dsi_unit(unit: str) -> str:
    """Check a D-SI unit string and return it unchanged; raise :class:`DsiUnitError`.

    Rules: every token is ``\\name`` or ``\\tothe{n}`` with no text in between; a prefix is
    followed by a unit that takes prefixes; ``\\tothe{n}`` (n a non-zero integer or decimal)
    follows a unit; ``\\per`` stands between two unit terms; ``\\one`` stands alone.
    """
    if not isinstance(unit, str) or not unit.strip():
        raise DsiUnitError(str(unit), str(unit), "the unit is empty")
    pos = 0
    terms = 0
    pending_prefix: str | None = None
    last: str | None = None  # "unit", "tothe", "per", "prefix"
    units_seen: list[str] = []
    for match in _TOKEN.finditer(unit):
        if match.start() != pos:
            raise DsiUnitError(unit, unit[pos : match.start()], "text outside a \\token")
        pos = match.end()
        name, arg = match.group(1), match.group(2)
        token = match.group(0)
        if name == "tothe":
            if arg is None or not _EXPONENT.fullmatch(arg) or float(arg) == 0:
                raise DsiUnitError(unit, token, "\\tothe needs a non-zero number, e.g. \\tothe{-1}")
            if last != "unit":
                raise DsiUnitError(unit, token, "\\tothe must follow a unit")
            last = "tothe"
            continue
        if arg is not None:
            raise DsiUnitError(unit, token, "only \\tothe takes an argument")
        if name == "per":
            if last not in ("unit", "tothe"):
                raise DsiUnitError(unit, token, "\\per must stand between two units")
            last = "per"
            continue
        if name in SI_PREFIXES or name in BINARY_PREFIXES:
            if last == "prefix":
                raise DsiUnitError(unit, token, "two prefixes in a row")
            pending_prefix, last = name, "prefix"
            continue
        if name not in DSI_UNITS:
            hint = f"; did you mean \\{name.lower()}?" if name.lower() in DSI_UNITS else ""
            raise DsiUnitError(unit, token, f"unknown unit or prefix{hint}")
        if pending_prefix is not None:
            if name in _NO_PREFIX:
                raise DsiUnitError(unit, token, f"\\{name} takes no prefix")
            if pending_prefix in BINARY_PREFIXES and name not in ("bit", "byte"):
                raise DsiUnitError(unit, token, "binary prefixes only go with \\bit or \\byte")
        pending_prefix, last = None, "unit"
        units_seen.append(name)
        terms += 1
    if pos != len(unit):
        raise DsiUnitError(unit, unit[pos:], "text outside a \\token")
    if last == "prefix":
        raise DsiUnitError(unit, f"\\{pending_prefix}", "a prefix must be followed by a unit")
    if last == "per":
        raise DsiUnitError(unit, "\\per", "\\per must be followed by a unit")
    if terms == 0:
        raise DsiUnitError(unit, unit, "no unit")
    if terms > 1 and any(u in _ALONE for u in units_seen):
        raise DsiUnitError(unit, "\\one", "\\one stands alone")
    return unit


def is_dsi_unit(unit: str) -> bool:
    """True when :func:`check_dsi_unit` accepts ``unit``."""
    try:
        check_dsi_unit(unit)
    except DsiUnitError:
        return False
    return True


# ---- pint → D-SI ---------------------------------------------------------------------------

# pint unit name (without prefix) → D-SI name
_PINT_UNITS = {
    "meter": "metre",
    "gram": "gram",
    "second": "second",
    "ampere": "ampere",
    "kelvin": "kelvin",
    "mole": "mole",
    "candela": "candela",
    "radian": "radian",
    "steradian": "steradian",
    "hertz": "hertz",
    "newton": "newton",
    "pascal": "pascal",
    "joule": "joule",
    "watt": "watt",
    "coulomb": "coulomb",
    "volt": "volt",
    "farad": "farad",
    "ohm": "ohm",
    "siemens": "siemens",
    "weber": "weber",
    "tesla": "tesla",
    "henry": "henry",
    "degree_Celsius": "degreecelsius",
    "lumen": "lumen",
    "lux": "lux",
    "becquerel": "becquerel",
    "gray": "gray",
    "sievert": "sievert",
    "katal": "katal",
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "degree": "degree",
    "arcminute": "arcminute",
    "arcsecond": "arcsecond",
    "hectare": "hectare",
    "liter": "litre",
    "metric_ton": "tonne",
    "tonne": "tonne",
    "dalton": "dalton",
    "electron_volt": "electronvolt",
    "neper": "neper",
    "bel": "bel",
    "decibel": "decibel",
    "percent": "percent",
    "ppm": "ppm",
    "dimensionless": "one",
    "bar": "bar",
    "angstrom": "angstrom",
    "nautical_mile": "nauticalmile",
    "barn": "barn",
    "knot": "knot",
    "bit": "bit",
    "byte": "byte",
    "astronomical_unit": "astronomicalunit",
}
# whole pint names that map to several D-SI terms or to a D-SI unit without prefix
_PINT_WHOLE = {
    "millimeter_Hg": r"\mmhg",
    "watt_hour": r"\watt\hour",
    "kilowatt_hour": r"\kilo\watt\hour",
    "ampere_hour": r"\ampere\hour",
    "kilogram": r"\kilogram",
}
_PINT_PREFIX = {name: name for name in SI_PREFIXES} | {"deka": "deca"}
_PINT_PREFIX |= {name: name for name in BINARY_PREFIXES}


# Spellings pint does not read, as typed on Chinese keyboards and in instrument manuals.
_SPELLINGS = {
    "·": "*",
    "⋅": "*",
    "×": "*",
    "℃": "degC",
    "°C": "degC",
    "％": "%",
    "／": "/",
    "\u2126": "ohm",  # OHM SIGN (the Greek capital omega is read by pint)
    "（": "(",
    "）": ")",
}


_ASCII_POWER = re.compile(r"(?<![0-9.*^])([A-Za-zµμ])([2-4])(?=$|[\s/*)·])")


@lru_cache(maxsize=1)
def _registry():  # pragma: no cover - trivial
    import pint

    return pint.UnitRegistry()


def _exponent(exp: float) -> str:
    if float(exp).is_integer():
        return str(int(exp))
    return repr(float(exp))


@lru_cache(maxsize=512)
def pint_to_dsi(unit_str: str) -> str:
    """Convert a unit as people write it (``mg``, ``kPa``, ``°C``, ``N·m``, ``m³/h``, ``%``)
    to a D-SI string (``\\milli\\gram``, ``\\kilo\\pascal``, ``\\degreecelsius``,
    ``\\newton\\metre``, ``\\metre\\tothe{3}\\hour\\tothe{-1}``, ``\\percent``).

    Parsing is pint's; terms keep their written order, numerator before denominator.  The
    result passes :func:`check_dsi_unit`.  Raises :class:`DsiUnitError` for units with no D-SI
    form (e.g. ``rpm``, ``psi``).
    """
    text = unit_str.strip()
    if not text or text in ("1", "one"):
        return r"\one"
    if text.startswith("\\"):
        return check_dsi_unit(text)
    normalised = text
    for written, plain in _SPELLINGS.items():
        normalised = normalised.replace(written, plain)
    normalised = _ASCII_POWER.sub(r"\1**\2", normalised)  # m3/h, mm2 → m**3/h, mm**2
    try:
        parsed = _registry().parse_units(normalised)
    except Exception as exc:  # pint's tokenizer raises many types (even AssertionError)
        raise DsiUnitError(unit_str, unit_str, f"pint cannot read it ({exc!r})") from exc
    items = list(parsed._units.items())
    if not items:
        return r"\one"
    numerator = [(n, e) for n, e in items if e > 0]
    denominator = [(n, e) for n, e in items if e < 0]
    parts = []
    for name, exp in numerator + denominator:
        if name in _PINT_WHOLE:
            term = _PINT_WHOLE[name]
            if exp != 1 and name.endswith("_hour"):  # a product: an exponent would be ambiguous
                raise DsiUnitError(unit_str, name, "write the product out, e.g. kW*h")
        else:
            candidates = _registry().parse_unit_name(name)
            if not candidates:
                raise DsiUnitError(unit_str, name, "no D-SI equivalent")
            prefix, base, _suffix = candidates[0]
            if base not in _PINT_UNITS:
                raise DsiUnitError(unit_str, name, "no D-SI equivalent")
            if prefix and prefix not in _PINT_PREFIX:
                raise DsiUnitError(unit_str, prefix, "no D-SI prefix")
            dsi = _PINT_UNITS[base]
            if dsi == "gram" and prefix == "kilo":
                term = r"\kilogram"
            else:
                term = (f"\\{_PINT_PREFIX[prefix]}" if prefix else "") + f"\\{dsi}"
        if exp != 1:
            term += f"\\tothe{{{_exponent(exp)}}}"
        parts.append(term)
    return check_dsi_unit("".join(parts))
