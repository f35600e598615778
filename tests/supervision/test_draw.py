"""The verifiable draw (双随机、一公开): determinism, conflicts, verification, uniformity, CLI."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from jiliang.supervision.cli import draw_app
from jiliang.supervision.draw import (
    ALGORITHM,
    DrawError,
    commit,
    conflicts,
    draw,
    snapshot_hash,
    verify,
)

SEED = bytes(range(32))
OTHER = bytes(range(1, 33))


def population() -> tuple[list[dict], list[dict]]:
    targets = [
        {
            "id": f"T{i:02d}",
            "name": f"加油站 {i}",
            "organisation": f"org-{i % 4}",
            "region": "330102",
        }
        for i in range(12)
    ]
    inspectors = [
        {
            "id": f"I{i:02d}",
            "name": f"检查员 {i}",
            "organisation": f"org-{i % 5}",
            "region": "330102",
            "relations": [f"T{(i * 3) % 12:02d}"],
            "earlier_cases": [f"T{(i * 5 + 1) % 12:02d}"],
        }
        for i in range(10)
    ]
    return targets, inspectors


def honest() -> dict:
    targets, inspectors = population()
    return draw(SEED, targets, inspectors, 4, 2, exclusions=[("I00", "T01")])


# ---------------------------------------------------------------- the kernel


def test_commit_and_snapshot_hash():
    assert commit(SEED) == "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    targets, _ = population()
    assert snapshot_hash(targets) == snapshot_hash(list(reversed(targets)))
    changed = copy.deepcopy(targets)
    changed[3]["name"] += " "
    assert snapshot_hash(changed) != snapshot_hash(targets)


def test_same_inputs_same_draw_and_json_round_trip():
    a, b = honest(), honest()
    assert a == b
    assert json.loads(json.dumps(a, ensure_ascii=False)) == a
    assert a["algorithm"] == ALGORITHM
    assert a["seed"] == SEED.hex() and a["commitment"] == commit(SEED)
    assert a["population_hash"] == snapshot_hash(a["population"])
    assert [s["target"] for s in a["selection"]] and len(a["selection"]) == 4


def test_order_of_rows_does_not_matter():
    targets, inspectors = population()
    shuffled = draw(SEED, targets[::-1], inspectors[::-1], 4, 2, exclusions=[("I00", "T01")])
    assert shuffled == honest()


def test_different_seeds_give_different_draws():
    targets, inspectors = population()
    draws = {
        json.dumps(draw(bytes([i]) * 16, targets, inspectors, 4)["selection"]) for i in range(30)
    }
    assert len(draws) >= 29


def test_explicit_exclusion_and_conflicts():
    target = {"id": "T1", "organisation": "A"}
    assert conflicts({"id": "I1", "organisation": "A"}, target) == ["organisation"]
    assert conflicts({"id": "I1", "relations": ["T1"]}, target) == ["relation"]
    assert conflicts({"id": "I1", "earlier_cases": ["T1"]}, target) == ["earlier_case"]
    assert conflicts({"id": "I1"}, {"id": "T1", "relations": ["I1"]}) == ["relation"]
    assert conflicts({"id": "I1", "organisation": ""}, {"id": "T1", "organisation": ""}) == []
    inspectors = [{"id": f"I{i}"} for i in range(3)]
    doc = draw(SEED, [target], inspectors, 1, 2, exclusions=[("I0", "T1")])
    assert sorted(doc["selection"][0]["inspectors"]) == ["I1", "I2"]


@pytest.mark.parametrize(
    ("kwargs", "field", "rule"),
    [
        ({"n_targets": 0}, "n_targets", "positive"),
        ({"n_targets": -2}, "n_targets", "positive"),
        ({"n_targets": 1.0}, "n_targets", "type"),
        ({"n_targets": True}, "n_targets", "type"),
        ({"n_targets": 13}, "n_targets", "not_enough_targets"),
        ({"inspectors_per_target": 1}, "inspectors_per_target", "min_inspectors"),
        ({"inspectors_per_target": 0}, "inspectors_per_target", "positive"),
        ({"inspectors_per_target": 9}, "inspectors", "not_enough_inspectors"),
        ({"seed": b"short"}, "seed", "seed_length"),
        ({"seed": "00" * 32}, "seed", "type"),
        ({"targets": "T1"}, "targets", "type"),
        ({"targets": [{"id": "T1"}, {"id": "T1"}]}, "targets[1].id", "duplicate_id"),
        ({"inspectors": [{"id": 7}]}, "inspectors[0].id", "missing_id"),
        ({"inspectors": [{"id": "I", "relations": "T1"}]}, "inspectors[0].relations", "type"),
        ({"targets": [{"id": "T1", "x": float("nan")}]}, "population", "not_json"),
        ({"exclusions": [("I1",)]}, "exclusions[0]", "type"),
    ],
)
def test_draw_errors(kwargs, field, rule):
    targets, inspectors = population()
    args = {"seed": SEED, "targets": targets, "inspectors": inspectors, "n_targets": 3}
    args.update(kwargs)
    if "targets" in kwargs and "n_targets" not in kwargs:
        args["n_targets"] = 1
    with pytest.raises(DrawError) as info:
        draw(**args)
    assert (info.value.field, info.value.rule) == (field, rule)
    assert info.value.message("zh") != info.value.message("en")
    assert info.value.message_zh.startswith(field)


# ---------------------------------------------------------------- properties

ids = st.integers(0, 11).map(lambda i: f"T{i:02d}")


@st.composite
def populations(draw_):
    n_t = draw_(st.integers(1, 8))
    targets = [
        {"id": f"T{i:02d}", "organisation": draw_(st.sampled_from(["a", "b", "c", ""]))}
        for i in range(n_t)
    ]
    inspectors = [
        {
            "id": f"I{i:02d}",
            "organisation": draw_(st.sampled_from(["a", "b", "c", "d", ""])),
            "relations": draw_(st.lists(ids, max_size=3, unique=True)),
            "earlier_cases": draw_(st.lists(ids, max_size=3, unique=True)),
        }
        for i in range(draw_(st.integers(0, 12)))
    ]
    return targets, inspectors


@settings(max_examples=150, deadline=None)
@given(
    populations(),
    st.binary(min_size=16, max_size=32),
    st.integers(1, 8),
    st.integers(2, 4),
    st.lists(st.tuples(st.sampled_from(["I00", "I01", "I02"]), ids), max_size=4),
)
def test_no_conflict_is_ever_drawn(pop, seed, n, per, exclusions):
    targets, inspectors = pop
    try:
        doc = draw(seed, targets, inspectors, n, per, exclusions)
    except DrawError as exc:
        assert exc.rule in ("not_enough_targets", "not_enough_inspectors")
        return
    by_id = {r["id"]: r for r in inspectors}
    tgt = {r["id"]: r for r in targets}
    chosen = [s["target"] for s in doc["selection"]]
    assert len(chosen) == n == len(set(chosen))
    for s in doc["selection"]:
        assert len(s["inspectors"]) == per >= 2
        assert len(set(s["inspectors"])) == per
        for i in s["inspectors"]:
            assert conflicts(by_id[i], tgt[s["target"]]) == []
            assert (i, s["target"]) not in set(exclusions)
    assert verify(doc).ok


def test_uniformity_chi_square():
    """Each of 5 targets (drawing 1) and each ordered inspector pair of 4 should be equally likely."""
    targets = [{"id": f"T{i}"} for i in range(5)]
    inspectors = [{"id": f"I{i}"} for i in range(4)]
    rounds = 2400
    t_counts = dict.fromkeys((t["id"] for t in targets), 0)
    pair_counts: dict[tuple[str, ...], int] = {}
    for k in range(rounds):
        sel = draw(k.to_bytes(16, "big"), targets, inspectors, 1)["selection"][0]
        t_counts[sel["target"]] += 1
        key = tuple(sel["inspectors"])
        pair_counts[key] = pair_counts.get(key, 0) + 1
    expected = rounds / 5
    chi2_t = sum((c - expected) ** 2 / expected for c in t_counts.values())
    assert chi2_t < 25  # 4 d.o.f.; p ≈ 5e-5
    assert len(pair_counts) == 12
    expected = rounds / 12
    chi2_p = sum((c - expected) ** 2 / expected for c in pair_counts.values())
    assert chi2_p < 40  # 11 d.o.f.; p ≈ 4e-5


# ---------------------------------------------------------------- verification


def test_verify_accepts_honest_document():
    result = verify(honest())
    assert result.ok and result.reasons == [] and bool(result)


def _reasons(doc: dict) -> str:
    result = verify(doc)
    assert not result.ok
    return " | ".join(result.reasons)


def test_verify_rejects_changed_seed():
    doc = honest()
    doc["seed"] = OTHER.hex()
    assert "seed: does not match the commitment" in _reasons(doc)


def test_verify_rejects_changed_commitment():
    doc = honest()
    doc["commitment"] = commit(OTHER)
    assert "seed: does not match the commitment" in _reasons(doc)


def test_verify_rejects_seed_and_commitment_both_replaced():
    """A regulator who re-seeds after the fact gets a different selection."""
    doc = honest()
    doc["seed"], doc["commitment"] = OTHER.hex(), commit(OTHER)
    assert "selection[" in _reasons(doc)


def test_verify_rejects_target_added_or_removed():
    doc = honest()
    doc["population"]["targets"].append({"id": "T99", "name": "x"})
    assert "population: the snapshot does not match population_hash" in _reasons(doc)
    doc = honest()
    doc["population"]["targets"].pop(0)
    assert "population: the snapshot does not match population_hash" in _reasons(doc)
    # even with the hash recomputed, the selection no longer re-runs the same
    doc = honest()
    doc["population"]["targets"].pop(0)
    doc["population_hash"] = snapshot_hash(doc["population"])
    assert "selection[" in _reasons(doc)


def test_verify_rejects_swapped_inspector():
    doc = honest()
    sel = doc["selection"][1]
    free = [i["id"] for i in doc["population"]["inspectors"] if i["id"] not in sel["inspectors"]]
    sel["inspectors"][0] = free[0]
    assert "selection[1].inspectors" in _reasons(doc)
    doc = honest()
    doc["selection"][0], doc["selection"][1] = doc["selection"][1], doc["selection"][0]
    assert "selection[0].target" in _reasons(doc)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["parameters"].update(n_targets=3), "selection"),
        (lambda d: d["population"].update(exclusions=[]), "population_hash"),
        (lambda d: d["population"].update(exclusions=[["I00", "T01"]] * 2), "not sorted unique"),
        (lambda d: d["parameters"].update(n_targets=4.0), "parameters"),
        (lambda d: d["population"]["inspectors"][0].update(name="x"), "population"),
        (lambda d: d.update(algorithm="other/2"), "algorithm"),
        (lambda d: d.update(format="x"), "format"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.pop("selection"), "selection: missing"),
        (lambda d: d.update(seed="zz"), "seed: not hex"),
        (lambda d: d.update(seed=d["seed"].upper()), "seed: not lowercase"),
        (lambda d: d.update(population=[]), "population"),
        (lambda d: d.update(parameters=None), "parameters"),
        (lambda d: d.update(selection={}), "selection"),
        (lambda d: d["selection"].append({"target": "T00"}), "selection"),
        (lambda d: d["population"]["targets"].reverse(), "population.targets: not sorted"),
    ],
)
def test_verify_rejects_any_change(change, field):
    doc = honest()
    change(doc)
    assert field in _reasons(doc)


def test_verify_rejects_non_object():
    assert verify([]).reasons == ["document: not a JSON object"]


def test_every_byte_matters():
    """Flipping any single character of the published JSON (that still parses) fails verification."""
    text = json.dumps(honest(), ensure_ascii=False, sort_keys=True)
    rejected = 0
    for pos, ch in enumerate(text):
        swapped = text[:pos] + ("1" if ch != "1" else "2") + text[pos + 1 :]
        try:
            doc = json.loads(swapped)
        except json.JSONDecodeError:
            continue
        assert not verify(doc).ok, f"change at {pos} accepted: {text[pos - 20 : pos + 20]!r}"
        rejected += 1
    assert rejected > 1000


# ---------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_round_trip(tmp_path):
    targets, inspectors = population()
    pop = tmp_path / "population.json"
    pop.write_text(
        json.dumps({"targets": targets, "inspectors": inspectors, "exclusions": [["I00", "T01"]]}),
        encoding="utf-8",
    )
    out = tmp_path / "draw.json"
    r = runner.invoke(
        draw_app,
        [
            "run",
            str(pop),
            "--targets",
            "4",
            "--per-target",
            "2",
            "--seed-hex",
            SEED.hex(),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8")) == honest()

    r = runner.invoke(draw_app, ["verify", str(out)])
    assert r.exit_code == 0 and r.output.strip() == "valid"
    r = runner.invoke(draw_app, ["verify", str(out), "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == {"valid": True, "reasons": []}

    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["seed"] = OTHER.hex()
    out.write_text(json.dumps(doc), encoding="utf-8")
    r = runner.invoke(draw_app, ["verify", str(out)])
    assert r.exit_code == 1 and r.output.startswith("invalid") and "seed" in r.output
    r = runner.invoke(draw_app, ["verify", str(out), "--json"])
    assert r.exit_code == 1 and json.loads(r.output)["valid"] is False

    r = runner.invoke(draw_app, ["run", str(pop), "--targets", "4", "--seed-hex", SEED.hex()])
    assert r.exit_code == 0 and json.loads(r.output) == honest()


def test_cli_errors(tmp_path):
    r = runner.invoke(draw_app, ["verify", str(tmp_path / "missing.json")])
    assert r.exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = runner.invoke(draw_app, ["verify", str(bad)])
    assert r.exit_code == 2
    pop = tmp_path / "population.json"
    pop.write_text(json.dumps({"targets": [{"id": "T1"}], "inspectors": []}), encoding="utf-8")
    for args in (["--seed-hex", "zz"], ["--seed-hex", SEED.hex()], ["--seed-hex", "00"]):
        r = runner.invoke(draw_app, ["run", str(pop), "--targets", "1", *args])
        assert r.exit_code == 2, args
    r = runner.invoke(draw_app, ["run", str(bad), "--targets", "1", "--seed-hex", SEED.hex()])
    assert r.exit_code == 2
    pop.write_text("[]", encoding="utf-8")
    r = runner.invoke(draw_app, ["run", str(pop), "--targets", "1", "--seed-hex", SEED.hex()])
    assert r.exit_code == 2
