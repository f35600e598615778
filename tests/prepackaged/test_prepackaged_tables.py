"""Published tables: every T row boundary on both sides, every sampling-plan row, λ to 3 decimals.

Sources (see src/jiliang/data/prepackaged/README.md):
- JJF 1070-2005 = 《定量包装商品计量监督管理办法》(2005) 附表3 (T) and 附表4 (sampling plans).
- JJF 1070-2023: rows carried over from 2005 and marked unconfirmed in the data.
- 76/211/EEC Annex I/II as transposed by décret 78-166 art. 4 and arrêté du 20 octobre 1978
  art. 10-11 (France), cross-checked with UK SI 2006/659 Sch. 2 para 4.
- OIML R 87:2016 and NIST HB 133 rows: unconfirmed (recalled), tested as shipped.
"""

import math

import pytest
from scipy.stats import t as student_t

from jiliang.prepackaged import (
    RULE_SETS,
    LotError,
    sampling_plan,
    tolerable_deficiency,
    tolerable_deficiency_detail,
)

JJF = ["JJF1070-2023", "JJF1070-2005"]

# (Qn in g, expected T in g): each boundary of the 2005 Measures 附表3, just below, at, just above.
# Rounding: Qn <= 1 kg -> 0.1 g, Qn > 1 kg -> 1 g (half-even, GB/T 8170).
JJF_MASS_T = [
    (1, 0.1),  # 9 % of 1 = 0.09 -> 0.1
    (49, 4.4),  # 4.41
    (50, 4.5),
    (51, 4.5),
    (99, 4.5),
    (100, 4.5),
    (101, 4.5),  # 4.545
    (199, 9.0),  # 8.955
    (200, 9.0),
    (201, 9.0),
    (299, 9.0),
    (300, 9.0),
    (301, 9.0),  # 9.03
    (499, 15.0),  # 14.97
    (500, 15.0),
    (501, 15.0),
    (999, 15.0),
    (1000, 15.0),
    (1001, 15.0),  # 15.015 -> 1 g step
    (9999, 150.0),  # 149.985
    (10000, 150.0),
    (10001, 150.0),
    (14999, 150.0),
    (15000, 150.0),
    (15001, 150.0),  # 150.01
    (49999, 500.0),  # 499.99
    (50000, 500.0),
]


@pytest.mark.parametrize("rules", JJF)
@pytest.mark.parametrize(("qn", "expected"), JJF_MASS_T)
def test_jjf_t_mass_boundaries(rules, qn, expected):
    assert tolerable_deficiency(rules, "mass", qn, "g") == pytest.approx(expected, abs=1e-12)
    assert tolerable_deficiency(rules, "volume", qn, "ml") == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("rules", JJF)
def test_jjf_t_outside_table(rules):
    for qn in (0, -5, 50001):
        with pytest.raises(LotError) as e:
            tolerable_deficiency(rules, "mass", qn, "g")
        assert e.value.field == "nominal" and e.value.rule == rules


def test_jjf_t_rounding_half_even_ties():
    # 1.5 % of 1500 g = 22.5 g -> 22 g (tie to even), 9 % of 45 g = 4.05 g -> 4.0 g.
    assert tolerable_deficiency("JJF1070-2005", "mass", 1500, "g") == 22.0
    assert tolerable_deficiency("JJF1070-2005", "mass", 1700, "g") == 26.0  # 25.5 -> 26
    assert tolerable_deficiency("JJF1070-2005", "mass", 45, "g") == 4.0
    assert tolerable_deficiency("JJF1070-2005", "mass", 35, "g") == 3.2  # 3.15 -> 3.2


def test_t_in_other_units():
    assert tolerable_deficiency("JJF1070-2023", "mass", 0.5, "kg") == pytest.approx(0.015)
    assert tolerable_deficiency("JJF1070-2023", "volume", 1.5, "L") == pytest.approx(0.022)
    assert tolerable_deficiency("JJF1070-2023", "mass", 250, "g") == 9.0


@pytest.mark.parametrize("rules", JJF + ["OIML-R87-2016"])
@pytest.mark.parametrize(
    ("qn", "unit", "expected"),
    [(4.9, "m", 0.0), (5, "m", 0.0), (5.1, "m", 0.102), (500, "cm", 0.0), (600, "cm", 12.0)],
)
def test_t_length(rules, qn, unit, expected):
    assert tolerable_deficiency(rules, "length", qn, unit) == pytest.approx(expected)


@pytest.mark.parametrize("rules", JJF + ["OIML-R87-2016"])
def test_t_area(rules):
    assert tolerable_deficiency(rules, "area", 2, "m2") == pytest.approx(0.06)
    assert tolerable_deficiency(rules, "area", 100, "dm2") == pytest.approx(3.0)


@pytest.mark.parametrize("rules", JJF + ["OIML-R87-2016"])
@pytest.mark.parametrize(
    ("qn", "expected"), [(1, 0), (50, 0), (51, 1), (100, 1), (101, 2), (150, 2), (200, 2)]
)
def test_t_count_rounded_up(rules, qn, expected):
    assert tolerable_deficiency(rules, "count", qn, "count") == expected


# 76/211/EEC Annex I (décret 78-166 art. 4): 5 g ... 10 kg, percentages rounded up to 0.1 g.
EU_T = [
    (5, 0.5),  # 0.45 -> 0.5
    (49, 4.5),  # 4.41 -> 4.5
    (50, 4.5),
    (51, 4.5),
    (100, 4.5),
    (101, 4.6),  # 4.545 -> 4.6
    (199, 9.0),
    (200, 9.0),
    (201, 9.0),
    (300, 9.0),
    (301, 9.1),  # 9.03 -> 9.1
    (499, 15.0),
    (500, 15.0),
    (501, 15.0),
    (1000, 15.0),
    (1001, 15.1),  # 15.015 -> 15.1
    (1500, 22.5),
    (9999, 150.0),
    (10000, 150.0),
]


@pytest.mark.parametrize(("qn", "expected"), EU_T)
def test_eu_t_boundaries(qn, expected):
    assert tolerable_deficiency("EU-76/211/EEC", "mass", qn, "g") == pytest.approx(expected)


@pytest.mark.parametrize("qn", [4.9, 10001])
def test_eu_t_outside_scope(qn):
    with pytest.raises(LotError) as e:
        tolerable_deficiency("EU-76/211/EEC", "mass", qn, "g")
    assert e.value.field == "nominal"


def test_oiml_rounds_up():
    assert tolerable_deficiency("OIML-R87-2016", "mass", 101, "g") == pytest.approx(4.6)
    assert tolerable_deficiency("OIML-R87-2016", "mass", 1001, "g") == pytest.approx(15.1)
    assert tolerable_deficiency("OIML-R87-2016", "mass", 50000, "g") == pytest.approx(500)


@pytest.mark.parametrize(
    ("qn", "expected"),
    [(10, 1.0), (36, 3.6), (37, 3.6), (54, 3.6), (55, 5.4), (500, 21.7), (1034, 34.4)],
)
def test_nist_mav_rows_as_shipped(qn, expected):
    assert tolerable_deficiency("NIST-HB133", "mass", qn, "g") == pytest.approx(expected)


def test_nist_mav_outside_shipped_rows():
    with pytest.raises(LotError) as e:
        tolerable_deficiency("NIST-HB133", "mass", 1035, "g")
    assert e.value.field == "nominal"
    with pytest.raises(LotError) as e:
        tolerable_deficiency("NIST-HB133", "volume", 500, "ml")
    assert e.value.field == "quantity"


def test_detail_names_source_and_confirmation():
    d = tolerable_deficiency_detail("JJF1070-2005", "mass", 500, "g")
    assert d["confirmed"] is True and "附表3" in d["source"]["document"]
    d = tolerable_deficiency_detail("JJF1070-2023", "mass", 500, "g")
    assert d["confirmed"] is False and d["notes"]


# 2005 Measures 附表4 (= JJF 1070-2005 sampling plans): (N, n, λ, T1 allowed, mean check)
JJF_PLAN = [
    (1, 1, None, 0, False),
    (10, 10, None, 0, False),
    (11, 10, 1.028, 0, True),
    (50, 10, 1.028, 0, True),
    (51, 13, 0.848, 1, True),
    (99, 13, 0.848, 1, True),
    (100, 50, 0.379, 3, True),
    (500, 50, 0.379, 3, True),
    (501, 80, 0.295, 5, True),
    (3200, 80, 0.295, 5, True),
    (3201, 125, 0.234, 7, True),
    (1_000_000, 125, 0.234, 7, True),
]


@pytest.mark.parametrize("rules", JJF)
@pytest.mark.parametrize(("lot", "n", "lam", "t1", "mean"), JJF_PLAN)
def test_jjf_sampling_plan_rows(rules, lot, n, lam, t1, mean):
    p = sampling_plan(rules, lot)
    assert (p["n"], p["correction"], p["t1_allowed"], p["t2_allowed"]) == (n, lam, t1, 0)
    assert p["mean_check"] is mean
    assert (p["kind"] == "package_by_package") is (not mean)


@pytest.mark.parametrize(("n", "published"), [(10, 1.028), (50, 0.379), (80, 0.295), (125, 0.234)])
def test_jjf_lambda_equals_t_over_sqrt_n(n, published):
    assert round(student_t.ppf(0.995, n - 1) / math.sqrt(n), 3) == published


def test_jjf_lambda_n13_published_differs_from_computed():
    # Documented in the data: the table prints 0.848, t_0.995(12)/sqrt(13) = 0.8472.
    assert round(student_t.ppf(0.995, 12) / math.sqrt(13), 3) == 0.847
    assert sampling_plan("JJF1070-2005", 60)["correction"] == 0.848


@pytest.mark.parametrize(
    ("lot", "n", "lam", "t1"),
    [
        (100, 50, 0.379, 3),
        (500, 50, 0.379, 3),
        (501, 80, 0.295, 5),
        (3200, 80, 0.295, 5),
        (3201, 125, 0.234, 7),
        (50_000, 125, 0.234, 7),
    ],
)
def test_oiml_sampling_plan_rows(lot, n, lam, t1):
    p = sampling_plan("OIML-R87-2016", lot)
    assert (p["n"], p["correction"], p["t1_allowed"], p["t2_allowed"]) == (n, lam, t1, 0)


def test_oiml_small_lot_not_shipped():
    with pytest.raises(LotError) as e:
        sampling_plan("OIML-R87-2016", 99)
    assert e.value.field == "lot_size" and e.value.rule == "OIML-R87-2016"


# Arrêté du 20 octobre 1978 art. 10 (mean) and 11 (defectives, double plan).
EU_PLAN = [
    (100, 30, 0.503, (30, 1, 3, 30, 4, 5)),
    (500, 30, 0.503, (30, 1, 3, 30, 4, 5)),
    (501, 50, 0.379, (50, 2, 5, 50, 6, 7)),
    (3200, 50, 0.379, (50, 2, 5, 50, 6, 7)),
    (3201, 50, 0.379, (80, 3, 7, 80, 8, 9)),
    (10_000, 50, 0.379, (80, 3, 7, 80, 8, 9)),
]


@pytest.mark.parametrize(("lot", "mean_n", "lam", "double"), EU_PLAN)
def test_eu_reference_test_rows(lot, mean_n, lam, double):
    p = sampling_plan("EU-76/211/EEC", lot)
    assert p["kind"] == "double"
    assert (p["mean_n"], p["correction"]) == (mean_n, lam)
    assert (p["n1"], p["ac1"], p["re1"], p["n2"], p["ac2"], p["re2"]) == double
    assert p["n"] == max(double[0], mean_n)


def test_eu_destructive_and_small_lots():
    p = sampling_plan("EU-76/211/EEC", 1000, destructive=True)
    assert (p["n"], p["correction"], p["t1_allowed"]) == (20, 0.640, 1)
    p = sampling_plan("EU-76/211/EEC", 99)
    assert (p["kind"], p["n"], p["correction"], p["t1_allowed"]) == (
        "package_by_package",
        99,
        0.0,
        None,
    )


@pytest.mark.parametrize(("n", "published"), [(30, 0.503), (50, 0.379), (20, 0.640)])
def test_eu_lambda_equals_t_over_sqrt_n(n, published):
    assert round(student_t.ppf(0.995, n - 1) / math.sqrt(n), 3) == published


@pytest.mark.parametrize(
    ("lot", "n", "scf", "allowed"),
    [
        (1, 1, None, 0),
        (2, 2, 8.985, 0),
        (5, 5, 1.242, 0),
        (11, 11, 0.672, 0),
        (12, 12, 0.635, 0),
        (250, 12, 0.635, 0),
        (251, 24, 0.422, 1),
        (3200, 24, 0.422, 1),
        (3201, 48, 0.290, 2),
    ],
)
def test_nist_category_a_rows_as_shipped(lot, n, scf, allowed):
    p = sampling_plan("NIST-HB133", lot)
    assert (p["n"], p["t1_allowed"], p["t2_allowed"]) == (n, allowed, None)
    assert p["correction"] == scf
    if n >= 2:
        assert round(student_t.ppf(0.975, n - 1) / math.sqrt(n), 3) == scf


def test_rule_set_ids_and_confirmation_flags():
    assert set(RULE_SETS) == {
        "JJF1070-2023",
        "JJF1070-2005",
        "OIML-R87-2016",
        "EU-76/211/EEC",
        "NIST-HB133",
    }
    assert RULE_SETS["JJF1070-2023"].data["in_force"] == "2024-10-12"
    assert RULE_SETS["JJF1070-2023"].confidence == 0.995
    assert RULE_SETS["JJF1070-2005"].confirmed is True
    for rid in ("JJF1070-2023", "OIML-R87-2016", "NIST-HB133"):
        assert RULE_SETS[rid].confirmed is False


def test_every_row_names_confirmation_and_unconfirmed_rows_have_a_note():
    for rs in RULE_SETS.values():
        td = rs.data["tolerable_deficiency"]
        sp = rs.data["sampling_plan"]
        assert td["source"] and sp["source"]
        rows = [
            r
            for k in ("mass_volume", "length", "area", "count")
            for r in td.get(k, {}).get("rows", [])
        ]
        rows += [r for k in ("rows", "mean_rows", "defective_rows") for r in sp.get(k, [])]
        for r in rows:
            assert "confirmed" in r
            if not r["confirmed"]:
                assert r.get("note") or sp.get("note") or rs.data["source"].get("note")


OIML_T = [
    (1, 0.1),
    (49, 4.5),
    (50, 4.5),
    (51, 4.5),
    (99, 4.5),
    (100, 4.5),
    (101, 4.6),
    (199, 9.0),
    (200, 9.0),
    (201, 9.0),
    (299, 9.0),
    (300, 9.0),
    (301, 9.1),
    (499, 15.0),
    (500, 15.0),
    (501, 15.0),
    (999, 15.0),
    (1000, 15.0),
    (1001, 15.1),
    (9999, 150.0),
    (10000, 150.0),
    (10001, 150.0),
    (14999, 150.0),
    (15000, 150.0),
    (15001, 150.1),
    (50000, 500.0),
]


@pytest.mark.parametrize(("qn", "expected"), OIML_T)
def test_oiml_t_boundaries_as_shipped(qn, expected):
    assert tolerable_deficiency("OIML-R87-2016", "mass", qn, "g") == pytest.approx(expected)
    assert tolerable_deficiency("OIML-R87-2016", "volume", qn, "ml") == pytest.approx(expected)


def test_oiml_t_outside_table():
    with pytest.raises(LotError) as e:
        tolerable_deficiency("OIML-R87-2016", "mass", 50001, "g")
    assert e.value.field == "nominal"


# HB 133 MAV rows as shipped (unconfirmed): at each upper bound and just above it.
NIST_MAV_BOUNDS = [
    (36, 3.6, 3.6),
    (54, 3.6, 5.4),
    (81, 5.4, 7.2),
    (117, 7.2, 9.0),
    (154, 9.0, 10.8),
    (208, 10.8, 12.7),
    (263, 12.7, 14.5),
    (317, 14.5, 16.3),
    (381, 16.3, 18.1),
    (426, 18.1, 19.9),
    (489, 19.9, 21.7),
    (571, 21.7, 23.5),
    (635, 23.5, 25.4),
    (698, 25.4, 27.2),
    (771, 27.2, 29.0),
    (852, 29.0, 30.8),
    (906, 30.8, 32.6),
    (970, 32.6, 34.4),
]


@pytest.mark.parametrize(("bound", "at", "above"), NIST_MAV_BOUNDS)
def test_nist_mav_row_boundaries_as_shipped(bound, at, above):
    assert tolerable_deficiency("NIST-HB133", "mass", bound, "g") == pytest.approx(at)
    assert tolerable_deficiency("NIST-HB133", "mass", bound + 0.5, "g") == pytest.approx(above)
