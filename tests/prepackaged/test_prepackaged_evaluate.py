"""evaluate(): verdicts, figures, net content from gross/tare, errors.

No worked example published with JJF 1070, OIML R 87, 76/211/EEC or HB 133 could be read
during this work; the examples below are hand computations (named as such), not published ones.
"""

import json
import math
import statistics

import pytest

from jiliang.prepackaged import LotError, evaluate, select_sample


def lot(net, rules="JJF1070-2023", nominal=500, unit="g", lot_size=1200, quantity="mass", **kw):
    return {
        "rules": rules,
        "quantity": quantity,
        "nominal": nominal,
        "unit": unit,
        "lot_size": lot_size,
        "net": net,
        **kw,
    }


def test_issue_example_shape_and_json():
    net = [501.0 + (i % 7) * 0.5 for i in range(80)]
    res = evaluate(lot(net))
    for key in (
        "verdict",
        "sample_size",
        "tolerable_deficiency",
        "t1_errors",
        "t2_errors",
        "mean",
        "std",
        "correction",
        "mean_limit",
        "reasons",
    ):
        assert key in res
    assert res["verdict"] == "pass" and res["sample_size"] == 80
    assert res["tolerable_deficiency"] == 15.0 and res["correction"] == 0.295
    assert res["reasons"][0]["code"] == "all_criteria_met"
    json.dumps(res, ensure_ascii=False)


def test_hand_worked_example_lot_30():
    """Hand computation (not a published example): N = 30 -> n = 10, λ = 1.028, T = 15 g."""
    net = [502.0, 498.0, 505.0, 500.0, 497.0, 503.0, 501.0, 499.0, 504.0, 496.0]
    res = evaluate(lot(net, lot_size=30))
    mean = statistics.fmean(net)  # 500.5
    s = statistics.stdev(net)  # 3.02765...
    assert res["mean"] == pytest.approx(500.5)
    assert res["std"] == pytest.approx(s, rel=1e-12)
    assert res["correction_term"] == pytest.approx(1.028 * s, rel=1e-12)
    assert res["mean_limit"] == pytest.approx(500 - 1.028 * s, rel=1e-12)  # 496.8875...
    assert mean >= res["mean_limit"] and res["verdict"] == "pass"
    assert res["t1_limit"] == 485.0 and res["t2_limit"] == 470.0


def test_deficiency_boundaries_t_and_2t():
    # N = 1200: n = 80, T = 15 g, T1 allowed 5, T2 allowed 0.
    base = [503.0] * 80
    res = evaluate(lot([485.0] + base[1:]))  # deficiency exactly T: not an error
    assert (res["t1_errors"], res["t2_errors"]) == (0, 0)
    res = evaluate(lot([484.9] + base[1:]))  # just above T
    assert (res["t1_errors"], res["t2_errors"], res["t1_indices"]) == (1, 0, [0])
    res = evaluate(lot([470.0] + base[1:]))  # exactly 2T: still T1
    assert (res["t1_errors"], res["t2_errors"]) == (1, 0)
    res = evaluate(lot([469.9] + base[1:]))  # just beyond 2T: T2, fails
    assert (res["t1_errors"], res["t2_errors"], res["verdict"]) == (0, 1, "fail")
    assert [r["code"] for r in res["reasons"]] == ["t2_exceeded"]


def test_kg_boundaries_exact_in_decimal():
    base = [0.503] * 80
    res = evaluate(lot([0.485] + base[1:], nominal=0.5, unit="kg"))
    assert res["tolerable_deficiency"] == pytest.approx(0.015)
    assert res["t1_errors"] == 0
    res = evaluate(lot([0.4849] + base[1:], nominal=0.5, unit="kg"))
    assert res["t1_errors"] == 1


def test_t1_allowed_count_boundary():
    base = [510.0] * 80
    five = [480.0] * 5 + base[5:]
    six = [480.0] * 6 + base[6:]
    assert evaluate(lot(five))["verdict"] == "pass"
    res = evaluate(lot(six))
    assert res["verdict"] == "fail" and res["t1_errors"] == 6
    assert [r["code"] for r in res["reasons"]] == ["t1_exceeded"]


def test_mean_criterion_fails():
    res = evaluate(lot([499.0] * 80))
    assert res["std"] == 0 and res["mean_limit"] == 500.0
    assert res["verdict"] == "fail"
    assert [r["code"] for r in res["reasons"]] == ["mean_below_limit"]
    assert "q̄" in res["reasons"][0]["message_zh"]


def test_small_lot_package_by_package():
    res = evaluate(lot([495.0] * 8, lot_size=8))  # mean below Qn, but no package beyond T
    assert res["package_by_package"] and res["mean_limit"] is None
    assert res["verdict"] == "pass"
    res = evaluate(lot([495.0] * 7 + [484.0], lot_size=8))
    assert res["verdict"] == "fail" and res["t1_errors"] == 1


def test_gross_with_per_package_tare():
    gross = [530.0 + i * 0.1 for i in range(10)]
    tare = [25.0] * 10
    doc = lot(None, lot_size=30)
    del doc["net"]
    doc |= {"gross": gross, "tare": {"per_package": tare}}
    res = evaluate(doc)
    assert res["net"] == pytest.approx([g - 25.0 for g in gross])
    assert res["tare"]["method"] == "per_package"


def test_gross_with_average_tare_permitted_and_refused():
    doc = lot(None, lot_size=30)
    del doc["net"]
    gross = [525.0 + (i % 3) for i in range(10)]
    doc |= {"gross": gross, "tare": {"average_of": [24.0, 25.0, 26.0] * 3 + [25.0]}}
    res = evaluate(doc)
    assert res["tare"]["method"] == "average" and res["tare"]["criterion"] == "mean_tare_le_10pct"
    assert res["net"][0] == pytest.approx(500.0)
    # heavy, variable tare (> 10 % of Qn, s_tare > 0.25 s_gross): refused, names Annex B
    doc["gross"] = [600.0 + (i % 2) * 0.2 for i in range(10)]
    doc["tare"] = {"average_of": [80.0, 120.0] * 5}
    with pytest.raises(LotError) as e:
        evaluate(doc)
    assert e.value.field == "tare.average_of" and "Annex B" in e.value.rule


def test_volume_from_mass_and_density():
    doc = lot(None, quantity="volume", unit="ml", nominal=500, lot_size=30)
    del doc["net"]
    doc |= {"net": [510.0] * 10, "measured_unit": "g", "density": {"value": 1.02, "unit": "g/ml"}}
    res = evaluate(doc)
    assert res["net"] == pytest.approx([500.0] * 10)
    assert res["conversion"]["volume_from_mass"] is True
    doc.pop("density")
    with pytest.raises(LotError) as e:
        evaluate(doc)
    assert e.value.field == "density"


def test_drained_content():
    doc = lot(None, nominal=300, lot_size=20)
    del doc["net"]
    doc |= {"gross": [450.0] * 10, "drained": {"sieve_mass": 148.0}}
    res = evaluate(doc)
    assert res["net"] == pytest.approx([302.0] * 10) and res["verdict"] == "pass"


def test_seed_records_reproducible_sample():
    res1 = evaluate(lot([501.0] * 80, seed=20241012))
    res2 = evaluate(lot([501.0] * 80, seed=20241012))
    assert res1["sample_selection"]["seed"] == 20241012
    assert res1["sample_selection"]["indices"] == res2["sample_selection"]["indices"]
    sel = select_sample(1200, 80, 20241012)
    assert sel["indices"] == res1["sample_selection"]["indices"]
    assert len(set(sel["indices"])) == 80 and all(1 <= i <= 1200 for i in sel["indices"])
    assert select_sample(1200, 80)["seed"] is not None


class TestEUReferenceTest:
    def test_stage_one_accept(self):
        net = [500.0] * 29 + [484.0]  # one defective (T = 15 g), ac1 = 1
        res = evaluate(lot(net, rules="EU-76/211/EEC", lot_size=300))
        assert res["double_sampling_stage"] == 1 and res["verdict"] == "pass"

    def test_stage_one_reject(self):
        net = [505.0] * 27 + [484.0] * 3  # 3 defectives >= re1 = 3
        res = evaluate(lot(net, rules="EU-76/211/EEC", lot_size=300))
        assert res["double_sampling_stage"] == 1 and res["verdict"] == "fail"
        assert "defectives_rejected" in [r["code"] for r in res["reasons"]]

    def test_second_sample_needed_then_decides(self):
        net = [505.0] * 28 + [484.0] * 2  # 2 defectives: between ac1 = 1 and re1 = 3
        with pytest.raises(LotError) as e:
            evaluate(lot(net, rules="EU-76/211/EEC", lot_size=300))
        assert e.value.code == "second_sample_required" and e.value.field == "net"
        res = evaluate(lot(net + [505.0] * 28 + [484.0] * 2, rules="EU-76/211/EEC", lot_size=300))
        assert res["double_sampling_stage"] == 2 and res["verdict"] == "pass"  # 4 <= ac2 = 4
        res = evaluate(lot(net + [505.0] * 27 + [484.0] * 3, rules="EU-76/211/EEC", lot_size=300))
        assert res["verdict"] == "fail"  # 5 >= re2 = 5

    def test_mean_uses_0_503_for_lots_up_to_500(self):
        res = evaluate(lot([500.0, 501.0] * 15, rules="EU-76/211/EEC", lot_size=300))
        s = statistics.stdev([500.0, 501.0] * 15)
        assert res["mean_limit"] == pytest.approx(500 - 0.503 * s)

    def test_small_lot(self):
        res = evaluate(lot([499.0] * 40, rules="EU-76/211/EEC", lot_size=40))
        assert res["verdict"] == "fail" and res["mean_limit"] == 500.0


def test_nist_mav_allowed_and_sel():
    net = [505.0] * 24
    net[0] = 470.0  # MAV at 500 g is 21.7 g (unconfirmed row): one unreasonable minus error
    res = evaluate(lot(net, rules="NIST-HB133", lot_size=1000))
    assert res["t1_errors"] == 1 and res["t1_allowed"] == 1 and res["t2_errors"] is None
    assert res["verdict"] == "pass" and res["correction"] == 0.422
    net[1] = 470.0
    assert evaluate(lot(net, rules="NIST-HB133", lot_size=1000))["verdict"] == "fail"
    assert res["confirmed"] is False and res["unconfirmed"]


def test_unconfirmed_notes_surface_in_result():
    res = evaluate(lot([501.0] * 80))
    assert res["confirmed"] is False and any("2023" in n for n in res["unconfirmed"])
    res = evaluate(lot([501.0] * 80, rules="JJF1070-2005"))
    assert res["unconfirmed"] == [] or all("rounding" in n for n in res["unconfirmed"])


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda d: d["net"].__setitem__(2, -1.0), "net[2]", "negative_value"),
        (lambda d: d.__setitem__("unit", "ml"), "unit", "unit_mismatch"),
        (lambda d: d.__setitem__("net", d["net"][:79]), "net", "too_few_measurements"),
        (lambda d: d.__setitem__("net", d["net"] + [500.0]), "net", "too_many_measurements"),
        (lambda d: d.__setitem__("rules", "JJF1070-1999"), "rules", "unknown_rules"),
        (lambda d: d.__setitem__("rules", 1070), "rules", "wrong_type"),
        (lambda d: d.__setitem__("nominal", "500"), "nominal", "wrong_type"),
        (lambda d: d.__setitem__("nominal", -500), "nominal", "negative_value"),
        (lambda d: d.__setitem__("lot_size", 12.5), "lot_size", "wrong_type"),
        (lambda d: d.__setitem__("lot_size", 0), "lot_size", "zero_value"),
        (lambda d: d.__setitem__("net", "500,501"), "net", "wrong_type"),
        (lambda d: d["net"].__setitem__(5, "501"), "net[5]", "wrong_type"),
        (lambda d: d["net"].__setitem__(5, math.nan), "net[5]", "not_finite"),
        (lambda d: d.__setitem__("quantity", "weight"), "quantity", "unknown_quantity"),
        (lambda d: d.pop("lot_size"), "lot_size", "missing_field"),
        (lambda d: d.__setitem__("gross", [510.0] * 80), "net", "ambiguous_measurements"),
    ],
)
def test_invalid_input_raises_named_error(mutate, field, code):
    doc = lot([501.0] * 80)
    mutate(doc)
    with pytest.raises(LotError) as e:
        evaluate(doc)
    err = e.value
    assert isinstance(err, ValueError)
    assert (err.field, err.code) == (field, code)
    assert field in str(err) and err.rule in str(err)
    assert err.message_zh and err.message_en
    json.dumps(err.to_dict(), ensure_ascii=False)


def test_negative_tare_and_tare_above_gross():
    doc = lot(None, lot_size=30)
    del doc["net"]
    doc |= {"gross": [520.0] * 10, "tare": {"per_package": [20.0] * 9 + [-1.0]}}
    with pytest.raises(LotError) as e:
        evaluate(doc)
    assert e.value.field == "tare.per_package[9]"
    doc["tare"] = {"per_package": [20.0] * 9 + [600.0]}
    with pytest.raises(LotError) as e:
        evaluate(doc)
    assert e.value.code == "negative_net"
    doc["tare"] = {"bogus": 1}
    with pytest.raises(LotError) as e:
        evaluate(doc)
    assert e.value.field == "tare"


def test_numpy_numbers_accepted():
    np = pytest.importorskip("numpy")
    doc = lot(list(np.full(10, 500.0)), nominal=np.float64(500), lot_size=np.int64(30))
    res = evaluate(doc)
    assert res["verdict"] == "pass" and res["lot_size"] == 30 and res["defectives"] == 0
    json.dumps(res)
