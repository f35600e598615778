"""Reproducible random selection of the sample from a lot (with the seed recorded)."""

from __future__ import annotations

import random
import secrets
from typing import Any

from .errors import LotError

__all__ = ["select_sample"]

_METHOD = (
    "Python random.Random(seed).sample(range(1, N + 1), n): Mersenne Twister, sampling "
    "without replacement; indices are 1-based package positions in the lot, in draw order"
)


def select_sample(lot_size: int, n: int, seed: int | None = None) -> dict:
    """Draw ``n`` package positions at random from a lot of ``lot_size``, reproducibly.

    JJF 1070 requires the sample to be drawn at random (GB/T 10111 random numbers). Recording
    the seed lets anyone redraw the same sample to audit the inspection.

    Parameters
    ----------
    lot_size : int
        Number of packages N.
    n : int
        Sample size (``n <= N``).
    seed : int, optional
        Seed; when omitted a fresh 63-bit seed is drawn from :mod:`secrets` and returned.

    Returns
    -------
    dict
        ``seed``, ``lot_size``, ``n``, ``indices`` (1-based, in draw order), ``sorted_indices``
        and ``method``.
    """
    for name, v in (("lot_size", lot_size), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise LotError(
                name,
                "sample selection",
                f"{name} must be a positive whole number, got {v!r}",
                f"{name} 必须为正整数，实际为 {v!r}",
                code="wrong_type",
            )
    if n > lot_size:
        raise LotError(
            "n",
            "sample selection",
            f"sample size {n} exceeds lot size {lot_size}",
            f"样本量 {n} 大于批量 {lot_size}",
            code="sample_larger_than_lot",
        )
    if seed is None:
        seed = secrets.randbits(63)
    elif isinstance(seed, bool) or not isinstance(seed, int):
        raise LotError(
            "seed",
            "sample selection",
            f"seed must be an integer, got {seed!r}",
            f"随机种子必须为整数，实际为 {seed!r}",
            code="wrong_type",
        )
    rng = random.Random(seed)
    idx: list[Any] = rng.sample(range(1, lot_size + 1), n)
    return {
        "seed": seed,
        "lot_size": lot_size,
        "n": n,
        "indices": idx,
        "sorted_indices": sorted(idx),
        "method": _METHOD,
    }
