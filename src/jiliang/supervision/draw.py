"""The verifiable draw of "double random, one public" (双随机、一公开).

A pure kernel: no database, no web. The regulator publishes ``commit(seed)`` before the draw,
runs :func:`draw` on a population snapshot (targets and inspectors), then publishes the document,
which reveals the seed. Anyone can re-run it with :func:`verify` (``jiliang draw verify DRAW.json``).

Randomness comes from the seed only: HMAC-SHA256(seed, label || 0x00 || counter) gives a stream of
64-bit integers; an integer below ``n`` is drawn by rejection sampling (no modulo bias), and a
partial Fisher–Yates shuffle over the rows sorted by id picks the sample. Python's ``random`` is
never used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALGORITHM = "jiliang-draw/1 (hmac-sha256 stream, rejection sampling, partial fisher-yates)"
FORMAT = "jiliang-draw"
MIN_SEED_BYTES = 16
MIN_INSPECTORS_PER_TARGET = 2
LIST_FIELDS = ("relations", "earlier_cases")
_TOP_KEYS = {
    "format",
    "algorithm",
    "commitment",
    "seed",
    "population_hash",
    "parameters",
    "population",
    "selection",
}

_POPULATION_KEYS = {"targets", "inspectors", "exclusions"}
_RULES: dict[str, tuple[str, str]] = {
    "type": ("must be {expected}", "应为{expected_zh}"),
    "positive": ("must be a positive integer, got {value}", "应为正整数，实际为 {value}"),
    "min_inspectors": (
        "must be at least {minimum} (two inspectors per target)",
        "不得少于 {minimum}（每个对象至少两名执法检查人员）",
    ),
    "seed_length": ("must be at least {minimum} bytes", "长度不得少于 {minimum} 字节"),
    "duplicate_id": ("id {value!r} appears more than once", "编号 {value!r} 重复"),
    "missing_id": ("row {index} has no non-empty string id", "第 {index} 行缺少非空字符串编号"),
    "not_enough_targets": (
        "{requested} targets requested but the population has {available}",
        "需抽取 {requested} 个检查对象，但对象库只有 {available} 个",
    ),
    "not_enough_inspectors": (
        "target {target!r} needs {requested} inspectors but only {available} are free of conflicts",
        "检查对象 {target!r} 需要 {requested} 名执法检查人员，但无利益冲突的只有 {available} 名",
    ),
    "not_json": ("holds a value that is not plain JSON: {value!r}", "含有非 JSON 数据：{value!r}"),
}


class DrawError(ValueError):
    """A draw that cannot be made as asked.

    Parameters
    ----------
    field : str
        The input at fault (``"n_targets"``, ``"inspectors[3].id"``, ``"seed"``...).
    rule : str
        The rule broken, a key of the message table (``"positive"``, ``"duplicate_id"``...).
    **params
        Values quoted in the messages.

    Attributes
    ----------
    message_en, message_zh : str
        The message in English and in Chinese, each prefixed by the field.
    """

    def __init__(self, field: str, rule: str, **params: Any) -> None:
        self.field = field
        self.rule = rule
        self.params = params
        en, zh = _RULES[rule]
        values = {"expected_zh": params.get("expected", ""), **params}
        self.message_en = f"{field}: {en.format(**values)}"
        self.message_zh = f"{field}：{zh.format(**values)}"
        super().__init__(self.message_en)

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.message_zh if lang.startswith("zh") else self.message_en


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`: ``ok`` and, when not, the reasons naming the field."""

    ok: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


# ---------------------------------------------------------------- hashing


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; NaN and infinities are refused."""
    try:
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise DrawError("population", "not_json", value=str(exc)) from exc


def commit(seed: bytes) -> str:
    """The commitment published before the draw: SHA-256 of the seed, lowercase hex.

    Parameters
    ----------
    seed : bytes
        The secret seed, at least ``MIN_SEED_BYTES`` long.

    Returns
    -------
    str
        64 hex digits.
    """
    _check_seed(seed)
    return hashlib.sha256(seed).hexdigest()


def _sorted_rows(rows: Sequence[Mapping[str, Any]], name: str) -> list[dict[str, Any]]:
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise DrawError(name, "type", expected="a list of objects", expected_zh="对象列表")
    seen: set[str] = set()
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise DrawError(f"{name}[{i}]", "type", expected="an object", expected_zh="对象")
        rid = row.get("id")
        if not isinstance(rid, str) or not rid:
            raise DrawError(f"{name}[{i}].id", "missing_id", index=i)
        if rid in seen:
            raise DrawError(f"{name}[{i}].id", "duplicate_id", value=rid)
        seen.add(rid)
        for key in LIST_FIELDS:
            ids = row.get(key, [])
            if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
                raise DrawError(
                    f"{name}[{i}].{key}", "type", expected="a list of ids", expected_zh="编号列表"
                )
        out.append(dict(row))
    return sorted(out, key=lambda r: r["id"])


def snapshot_hash(population: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a population snapshot.

    Parameters
    ----------
    population : list of dict, or dict of lists
        Rows each with a unique string ``id`` (and ``name``, ``organisation``, ``region``,
        ``relations``, ``earlier_cases``...), or a mapping such as
        ``{"targets": [...], "inspectors": [...], "exclusions": [[inspector, target], ...]}`` of
        such lists (``exclusions`` as pairs). Rows are sorted by id and pairs sorted before
        hashing, so the order given does not matter; every other byte does.

    Returns
    -------
    str
        64 hex digits.
    """
    if isinstance(population, Mapping):
        value: Any = {
            str(k): _exclusion_pairs(v) if k == "exclusions" else _sorted_rows(v, str(k))
            for k, v in population.items()
        }
    else:
        value = _sorted_rows(population, "population")
    return hashlib.sha256(canonical_json(value)).hexdigest()


# ---------------------------------------------------------------- randomness


class _Stream:
    """64-bit integers from HMAC-SHA256(seed, label || 0x00 || counter)."""

    def __init__(self, seed: bytes, label: str) -> None:
        self._key = seed
        self._label = label.encode("utf-8") + b"\x00"
        self._counter = 0

    def next_u64(self) -> int:
        msg = self._label + self._counter.to_bytes(8, "big")
        self._counter += 1
        return int.from_bytes(hmac.new(self._key, msg, hashlib.sha256).digest()[:8], "big")

    def below(self, n: int) -> int:
        """Uniform integer in ``[0, n)`` by rejection sampling."""
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next_u64()
            if x < limit:
                return x % n


def _sample(stream: _Stream, items: list[Any], k: int) -> list[Any]:
    """The first ``k`` items of a partial Fisher–Yates shuffle of ``items``."""
    pool = list(items)
    for i in range(k):
        j = i + stream.below(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


# ---------------------------------------------------------------- the draw


def _check_seed(seed: Any) -> None:
    if not isinstance(seed, (bytes, bytearray)):
        raise DrawError("seed", "type", expected="bytes", expected_zh="字节串")
    if len(seed) < MIN_SEED_BYTES:
        raise DrawError("seed", "seed_length", minimum=MIN_SEED_BYTES)


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DrawError(name, "type", expected="an integer", expected_zh="整数")
    if value <= 0:
        raise DrawError(name, "positive", value=value)
    return value


def _exclusion_pairs(exclusions: Any) -> list[list[str]]:
    if exclusions is None:
        return []
    if isinstance(exclusions, (str, bytes, Mapping)) or not isinstance(exclusions, Iterable):
        raise DrawError(
            "exclusions",
            "type",
            expected="pairs (inspector id, target id)",
            expected_zh="（人员编号, 对象编号）对",
        )
    pairs = set()
    for i, pair in enumerate(exclusions):
        if (
            isinstance(pair, (str, bytes))
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise DrawError(
                f"exclusions[{i}]",
                "type",
                expected="a pair (inspector id, target id)",
                expected_zh="（人员编号, 对象编号）对",
            )
        pairs.add((pair[0], pair[1]))
    return [list(p) for p in sorted(pairs)]


def conflicts(inspector: Mapping[str, Any], target: Mapping[str, Any]) -> list[str]:
    """The conflicts of interest between an inspector and a target (empty when none).

    Parameters
    ----------
    inspector, target : dict
        Population rows. An inspector is in conflict with a target of the same (non-empty)
        ``organisation``, one whose id the inspector lists in ``relations`` (declared relations)
        or ``earlier_cases`` (the inspector's own earlier case), or one that lists the inspector's
        id in its own ``relations``.

    Returns
    -------
    list of str
        ``"organisation"``, ``"relation"``, ``"earlier_case"``.
    """
    found = []
    org = inspector.get("organisation")
    if org and org == target.get("organisation"):
        found.append("organisation")
    if target["id"] in inspector.get("relations", []) or inspector["id"] in target.get(
        "relations", []
    ):
        found.append("relation")
    if target["id"] in inspector.get("earlier_cases", []):
        found.append("earlier_case")
    return found


def draw(
    seed: bytes,
    targets: list[dict],
    inspectors: list[dict],
    n_targets: int,
    inspectors_per_target: int = MIN_INSPECTORS_PER_TARGET,
    exclusions: Iterable[Sequence[str]] | None = (),
) -> dict[str, Any]:
    """Draw targets and, for each, inspectors free of conflicts of interest.

    Parameters
    ----------
    seed : bytes
        The secret seed whose SHA-256 was published before the draw (at least 16 bytes).
    targets, inspectors : list of dict
        The population snapshot; each row has a unique string ``id``. Inspectors may list target
        ids in ``relations`` and ``earlier_cases``; see :func:`conflicts`.
    n_targets : int
        How many targets to draw (positive, at most ``len(targets)``).
    inspectors_per_target : int, default 2
        Distinct inspectors per target, at least 2.
    exclusions : iterable of (inspector id, target id), optional
        Further pairs that must not be drawn together (e.g. recusals recorded elsewhere).

    Returns
    -------
    dict
        A JSON-serialisable document: ``format``, ``algorithm``, ``commitment``, ``seed`` (hex),
        ``population_hash``, ``parameters``, ``population`` (the snapshot: targets and inspectors
        sorted by id, exclusions as sorted pairs, all covered by ``population_hash``) and
        ``selection`` (``[{"target": id, "inspectors": [id, ...]}, ...]`` in draw order).

    Raises
    ------
    DrawError
        Wrong types, non-positive counts, fewer than two inspectors per target, duplicate ids,
        or not enough targets or conflict-free inspectors.

    Notes
    -----
    Targets are a partial Fisher–Yates sample of the targets sorted by id, on the stream labelled
    ``"targets"``; each target's inspectors a sample of its eligible inspectors (sorted by id) on
    the stream ``"inspectors:" + target id``. An inspector may serve several targets.
    """
    seed = bytes(seed) if isinstance(seed, bytearray) else seed
    _check_seed(seed)
    n_targets = _check_count("n_targets", n_targets)
    per = _check_count("inspectors_per_target", inspectors_per_target)
    if per < MIN_INSPECTORS_PER_TARGET:
        raise DrawError(
            "inspectors_per_target", "min_inspectors", minimum=MIN_INSPECTORS_PER_TARGET
        )
    target_rows = _sorted_rows(targets, "targets")
    inspector_rows = _sorted_rows(inspectors, "inspectors")
    pairs = _exclusion_pairs(exclusions)
    excluded = {tuple(p) for p in pairs}
    if n_targets > len(target_rows):
        raise DrawError(
            "n_targets", "not_enough_targets", requested=n_targets, available=len(target_rows)
        )
    population = {"targets": target_rows, "inspectors": inspector_rows, "exclusions": pairs}
    population_hash = hashlib.sha256(canonical_json(population)).hexdigest()

    chosen = _sample(_Stream(seed, "targets"), target_rows, n_targets)
    selection = []
    for target in chosen:
        eligible = [
            r["id"]
            for r in inspector_rows
            if not conflicts(r, target) and (r["id"], target["id"]) not in excluded
        ]
        if len(eligible) < per:
            raise DrawError(
                "inspectors",
                "not_enough_inspectors",
                target=target["id"],
                requested=per,
                available=len(eligible),
            )
        picked = _sample(_Stream(seed, "inspectors:" + target["id"]), eligible, per)
        selection.append({"target": target["id"], "inspectors": picked})

    return {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "commitment": hashlib.sha256(seed).hexdigest(),
        "seed": seed.hex(),
        "population_hash": population_hash,
        "parameters": {
            "n_targets": n_targets,
            "inspectors_per_target": per,
        },
        "population": population,
        "selection": selection,
    }


# ---------------------------------------------------------------- verification


def _diff_selection(expected: list[dict], got: Any) -> list[str]:
    if not isinstance(got, list):
        return ["selection: not a list"]
    reasons = []
    if len(got) != len(expected):
        reasons.append(f"selection: {len(got)} targets, the re-run draws {len(expected)}")
    for i, (want, have) in enumerate(zip(expected, got, strict=False)):
        if not isinstance(have, dict) or set(have) != {"target", "inspectors"}:
            reasons.append(f"selection[{i}]: not an object with target and inspectors")
            continue
        if have["target"] != want["target"]:
            reasons.append(
                f"selection[{i}].target: {have['target']!r}, the re-run draws {want['target']!r}"
            )
        if have["inspectors"] != want["inspectors"]:
            reasons.append(
                f"selection[{i}].inspectors: {have['inspectors']!r}, "
                f"the re-run draws {want['inspectors']!r}"
            )
    return reasons


def verify(document: Mapping[str, Any]) -> VerifyResult:
    """Re-run a published draw and check every part of it.

    Parameters
    ----------
    document : dict
        A document made by :func:`draw` (after the seed is revealed), e.g. read from DRAW.json.

    Returns
    -------
    VerifyResult
        ``ok`` is true when the seed matches the commitment, the embedded snapshot matches
        ``population_hash``, and the re-run from seed and snapshot gives exactly the recorded
        parameters and selection; otherwise ``reasons`` names each field that fails.
    """
    if not isinstance(document, Mapping):
        return VerifyResult(False, ["document: not a JSON object"])
    reasons: list[str] = []
    missing = _TOP_KEYS - set(document)
    extra = set(document) - _TOP_KEYS
    if missing:
        return VerifyResult(False, [f"{k}: missing" for k in sorted(missing)])
    if extra:
        reasons += [f"{k}: unknown field" for k in sorted(extra)]
    if document["format"] != FORMAT:
        reasons.append(f"format: {document['format']!r}, expected {FORMAT!r}")
    if document["algorithm"] != ALGORITHM:
        reasons.append(f"algorithm: {document['algorithm']!r} is not {ALGORITHM!r}")

    seed_hex = document["seed"]
    seed: bytes | None = None
    if not isinstance(seed_hex, str) or seed_hex != seed_hex.lower():
        reasons.append("seed: not lowercase hex")
    else:
        try:
            seed = bytes.fromhex(seed_hex)
        except ValueError:
            reasons.append("seed: not hex")
    if seed is not None:
        if len(seed) < MIN_SEED_BYTES:
            reasons.append(f"seed: shorter than {MIN_SEED_BYTES} bytes")
            seed = None
        elif hashlib.sha256(seed).hexdigest() != document["commitment"]:
            reasons.append("seed: does not match the commitment (SHA-256 of the seed)")

    population = document["population"]
    if not isinstance(population, Mapping) or set(population) != _POPULATION_KEYS:
        reasons.append("population: not an object with targets, inspectors and exclusions")
        population = None
    else:
        try:
            if snapshot_hash(population) != document["population_hash"]:
                reasons.append("population: the snapshot does not match population_hash")
            for name in ("targets", "inspectors"):
                if list(population[name]) != _sorted_rows(population[name], name):
                    reasons.append(f"population.{name}: not sorted by id")
            if population["exclusions"] != _exclusion_pairs(population["exclusions"]):
                reasons.append("population.exclusions: not sorted unique pairs")
        except DrawError as exc:
            reasons.append(f"population: {exc.message_en}")
            population = None

    params = document["parameters"]
    if not isinstance(params, Mapping) or set(params) != {"n_targets", "inspectors_per_target"}:
        reasons.append("parameters: not an object with n_targets and inspectors_per_target")
        params = None

    if seed is not None and population is not None and params is not None:
        try:
            rerun = draw(
                seed,
                list(population["targets"]),
                list(population["inspectors"]),
                params["n_targets"],
                params["inspectors_per_target"],
                population["exclusions"],
            )
        except DrawError as exc:
            where = "parameters." if exc.field in params else ""
            reasons.append(f"re-run: {where}{exc.message_en}")
        else:
            if rerun["parameters"] != params:
                reasons.append("parameters: not the integers the draw records")
            reasons += _diff_selection(rerun["selection"], document["selection"])
    elif not reasons:  # pragma: no cover - every None above adds a reason
        reasons.append("document: cannot be re-run")
    return VerifyResult(not reasons, reasons)
