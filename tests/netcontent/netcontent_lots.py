"""Lots for the net-content tests (imported as ``netcontent_lots``)."""

from __future__ import annotations


def lot_values(
    nominal: float = 500.0, n: int = 50, t1: int = 0, t2: int = 0, t: float = 15.0
) -> list[float]:
    """``n`` packages a little over nominal; ``t1`` of them short by 1.5 T, ``t2`` by 2.5 T."""
    values = [round(nominal + 0.4 + (i % 7) * 0.3, 1) for i in range(n)]
    for i in range(t1):
        values[i] = nominal - 1.5 * t
    for i in range(t1, t1 + t2):
        values[i] = nominal - 2.5 * t
    return values


def lot_body(org_id: int, **over) -> dict:
    body = {
        "producer_org_id": org_id,
        "product_name": "东北大米",
        "category": "food",
        "brand": "稻花香",
        "quantity": "mass",
        "nominal": 500,
        "unit": "g",
        "rules": "JJF1070-2023",
        "lot_size": 500,
        "net": lot_values(),
    }
    body.update(over)
    return body
