"""Net-content helpers and sample selection."""

import pytest

from jiliang.prepackaged import (
    LotError,
    average_tare,
    drained_content,
    net_from_average_tare,
    net_from_tare,
    select_sample,
    volume_from_mass,
)


def test_net_from_tare():
    assert net_from_tare([510.0, 512.5], [10.0, 12.0]) == pytest.approx([500.0, 500.5])
    with pytest.raises(LotError) as e:
        net_from_tare([510.0], [10.0, 12.0])
    assert e.value.field == "tare.per_package" and e.value.code == "length_mismatch"


def test_average_tare_criteria():
    light = average_tare([20.0, 21.0, 19.0] * 4, 500.0)
    assert light["permitted"] and light["criterion"] == "mean_tare_le_10pct"
    assert light["mean_tare"] == pytest.approx(20.0) and not light["warnings"]
    # heavy tare (> 10 % of Qn) but steady compared with the gross values
    gross = [600.0, 610.0, 590.0, 605.0, 595.0] * 2
    heavy = average_tare([100.0, 100.5, 99.5, 100.0, 100.0] * 2, 500.0, gross)
    assert heavy["permitted"] and heavy["criterion"] == "std_ratio_le_0.25"
    refused = average_tare([80.0, 120.0] * 5, 500.0, gross)
    assert not refused["permitted"] and refused["criterion"] is None
    few = average_tare([20.0, 21.0], 500.0)
    assert few["warnings"] and "Annex B" in few["rule"]
    assert net_from_average_tare([520.0, 521.0], 20.0) == pytest.approx([500.0, 501.0])


def test_volume_from_mass_units():
    assert volume_from_mass(1020.0, 1.02) == pytest.approx(1000.0)
    assert volume_from_mass(1020.0, 1020.0, "kg/m3") == pytest.approx(1000.0)
    with pytest.raises(LotError) as e:
        volume_from_mass(100.0, 0.0)
    assert e.value.field == "density"
    with pytest.raises(LotError) as e:
        volume_from_mass(100.0, 1.0, "lb/gal")
    assert e.value.field == "density.unit"


def test_drained_content():
    assert drained_content([350.0, 352.0], 50.0) == pytest.approx([300.0, 302.0])
    with pytest.raises(LotError) as e:
        drained_content([40.0], 50.0)
    assert e.value.code == "negative_net"


def test_select_sample_reproducible_and_validated():
    a = select_sample(5000, 125, seed=1)
    b = select_sample(5000, 125, seed=1)
    assert a == b and a["seed"] == 1 and len(set(a["indices"])) == 125
    assert a["sorted_indices"] == sorted(a["indices"])
    assert select_sample(5000, 125, seed=2)["indices"] != a["indices"]
    assert select_sample(10, 10, seed=3)["sorted_indices"] == list(range(1, 11))
    with pytest.raises(LotError) as e:
        select_sample(10, 11, seed=1)
    assert e.value.field == "n"
    with pytest.raises(LotError) as e:
        select_sample(10, 5, seed="x")
    assert e.value.field == "seed"
