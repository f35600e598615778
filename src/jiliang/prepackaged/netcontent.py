"""Net content from gross and tare, volume from mass and density, drained content.

All functions take and return plain floats in the units stated; they validate their inputs
and raise :class:`~jiliang.prepackaged.errors.LotError` naming the field.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from numbers import Real
from typing import Any

from .errors import LotError

__all__ = [
    "DENSITY_UNITS",
    "average_tare",
    "drained_content",
    "net_from_average_tare",
    "net_from_tare",
    "volume_from_mass",
]

# density unit -> factor to g/ml
DENSITY_UNITS = {
    "g/ml": 1.0,
    "g/mL": 1.0,
    "g/cm3": 1.0,
    "kg/l": 1.0,
    "kg/L": 1.0,
    "kg/dm3": 1.0,
    "kg/m3": 0.001,
    "g/l": 0.001,
    "g/L": 0.001,
}

_R87_ANNEX_B = "OIML R 87:2016 Annex B"


def _numbers(values: Any, field: str, rule: str, allow_zero: bool = True) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise LotError(
            field,
            rule,
            f"{field} must be a list of numbers",
            f"{field} 必须为数值列表",
            code="wrong_type",
        )
    out: list[float] = []
    for i, v in enumerate(values):
        name = f"{field}[{i}]"
        if isinstance(v, bool) or not isinstance(v, Real):
            raise LotError(
                name,
                rule,
                f"{name} must be a number, got {v!r}",
                f"{name} 必须为数值，实际为 {v!r}",
                code="wrong_type",
            )
        if not math.isfinite(v):
            raise LotError(
                name, rule, f"{name} must be finite", f"{name} 必须为有限数值", code="not_finite"
            )
        if v < 0 or (v == 0 and not allow_zero):
            raise LotError(
                name,
                rule,
                f"{name} must not be negative, got {v}",
                f"{name} 不能为负值，实际为 {v}",
                code="negative_value",
            )
        out.append(float(v))
    return out


def net_from_tare(
    gross: Sequence[float], tare: Sequence[float], rule: str = "per-package tare"
) -> list[float]:
    """Net content of each package, ``q_i = gross_i − tare_i`` (per-package tare).

    Parameters
    ----------
    gross, tare : sequence of float
        Gross and tare of the same packages, same order and unit.
    rule : str, optional
        Rule named in errors.

    Raises
    ------
    LotError
        Lengths differ, a value is negative, or a net content would be negative.
    """
    g = _numbers(gross, "gross", rule)
    t = _numbers(tare, "tare.per_package", rule)
    if len(g) != len(t):
        raise LotError(
            "tare.per_package",
            rule,
            f"{len(t)} tare values for {len(g)} gross values; per-package tare needs one each",
            f"逐件皮重 {len(t)} 个与毛重 {len(g)} 个数目不一致",
            code="length_mismatch",
        )
    net = [gi - ti for gi, ti in zip(g, t, strict=True)]
    for i, q in enumerate(net):
        if q < 0:
            raise LotError(
                f"tare.per_package[{i}]",
                rule,
                f"tare {t[i]} exceeds gross {g[i]} for package {i}",
                f"第 {i} 件皮重 {t[i]} 大于毛重 {g[i]}",
                code="negative_net",
            )
    return net


def average_tare(
    tare: Sequence[float],
    nominal: float,
    gross: Sequence[float] | None = None,
    *,
    max_fraction_of_nominal: float = 0.10,
    max_std_ratio: float = 0.25,
    min_tare_sample: int = 10,
) -> dict:
    """Average tare and whether OIML R 87 Annex B lets it replace per-package tare.

    Annex B (as implemented; the figures are marked unconfirmed in the data file): the average
    tare of a tare sample may be used when the mean tare is at most 10 % of the nominal
    quantity, or when the standard deviation of the tare sample is at most 0.25 times the
    standard deviation of the gross values of the sample; otherwise each package is tared.

    Parameters
    ----------
    tare : sequence of float
        Tare of each package of the tare sample (same unit as ``nominal``).
    nominal : float
        Nominal quantity Qn.
    gross : sequence of float, optional
        Gross values of the sample, for the standard-deviation criterion.

    Returns
    -------
    dict
        ``mean_tare``, ``std_tare`` (``None`` for one value), ``std_gross``, ``tare_count``,
        ``permitted`` (bool), ``criterion`` (``"mean_tare_le_10pct"``, ``"std_ratio_le_0.25"`` or
        ``None``), ``warnings`` and ``rule``.
    """
    t = _numbers(tare, "tare.average_of", _R87_ANNEX_B)
    if not t:
        raise LotError(
            "tare.average_of",
            _R87_ANNEX_B,
            "tare sample is empty",
            "皮重样本为空",
            code="too_few_measurements",
        )
    mean_t = statistics.fmean(t)
    std_t = statistics.stdev(t) if len(t) >= 2 else None
    std_g = None
    if gross is not None and len(gross) >= 2:
        std_g = statistics.stdev([float(x) for x in gross])
    warnings: list[str] = []
    if len(t) < min_tare_sample:
        warnings.append(
            f"tare sample of {len(t)} is smaller than the {min_tare_sample} packages of Annex B"
        )
    criterion = None
    if mean_t <= max_fraction_of_nominal * nominal:
        criterion = "mean_tare_le_10pct"
    elif std_t is not None and std_g is not None and std_t <= max_std_ratio * std_g:
        criterion = "std_ratio_le_0.25"
    return {
        "rule": _R87_ANNEX_B,
        "mean_tare": mean_t,
        "std_tare": std_t,
        "std_gross": std_g,
        "tare_count": len(t),
        "permitted": criterion is not None,
        "criterion": criterion,
        "warnings": warnings,
    }


def net_from_average_tare(gross: Sequence[float], mean_tare: float) -> list[float]:
    """Net content ``q_i = gross_i − t̄`` with an average tare ``t̄`` (R 87 Annex B)."""
    g = _numbers(gross, "gross", _R87_ANNEX_B)
    net = [gi - mean_tare for gi in g]
    for i, q in enumerate(net):
        if q < 0:
            raise LotError(
                f"gross[{i}]",
                _R87_ANNEX_B,
                f"gross {g[i]} is smaller than the average tare {mean_tare}",
                f"第 {i} 件毛重 {g[i]} 小于平均皮重 {mean_tare}",
                code="negative_net",
            )
    return net


def volume_from_mass(mass_g: float, density: float, density_unit: str = "g/ml") -> float:
    """Volume in ml of a mass in g: ``V = m / ρ``.

    OIML R 87 and JJF 1070 allow the volume of liquids to be found by weighing and a density
    measured at the reference temperature (20 °C); the density conversion is the caller's
    responsibility to state.

    Parameters
    ----------
    mass_g : float
        Net mass in g.
    density : float
        Density in ``density_unit`` (default g/ml).
    density_unit : str
        One of :data:`DENSITY_UNITS`.
    """
    if density_unit not in DENSITY_UNITS:
        raise LotError(
            "density.unit",
            "volume from mass",
            f"unknown density unit {density_unit!r}",
            f"未知的密度单位 {density_unit!r}",
            code="unknown_unit",
        )
    if isinstance(density, bool) or not isinstance(density, Real) or not density > 0:
        raise LotError(
            "density",
            "volume from mass",
            f"density must be a positive number, got {density!r}",
            f"密度必须为正数，实际为 {density!r}",
            code="wrong_type",
        )
    if mass_g < 0:
        raise LotError(
            "net",
            "volume from mass",
            "mass must not be negative",
            "质量不能为负值",
            code="negative_value",
        )
    return mass_g / (density * DENSITY_UNITS[density_unit])


def drained_content(gross_with_sieve: Sequence[float], sieve_mass: float) -> list[float]:
    """Drained content: mass of the drained solids, ``m_i = (sieve + solids)_i − m_sieve``.

    OIML R 87 Annex C: the product is poured on a sieve of known mass, left to drain for the
    stated time, and sieve and solids are weighed together.
    """
    g = _numbers(gross_with_sieve, "gross", "drained content")
    s = _numbers([sieve_mass], "drained.sieve_mass", "drained content")[0]
    out = [gi - s for gi in g]
    for i, q in enumerate(out):
        if q < 0:
            raise LotError(
                f"gross[{i}]",
                "drained content",
                f"weighed value {g[i]} is below the sieve mass {s}",
                f"第 {i} 件称量值 {g[i]} 小于筛网质量 {s}",
                code="negative_net",
            )
    return out
