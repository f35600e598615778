"""The measurement model: document validation, units, compiled trees and derivatives.

:func:`compile_model` turns a model document into a :class:`Model`:

* equations are parsed with the allow-list parser of :mod:`.expr`; an output may be used by
  later equations and is inlined there, so every output is a function of the inputs only;
* inputs become :class:`~.distributions.InputQuantity` objects; correlations and
  simultaneous observations (GUM H.2, JCGM 100 5.2.3 and C.3.6) give the covariance matrix;
* units (optional, via pint) are checked term by term; inside the kernel every value is a
  float in SI base units, converted back to the stated units for reporting;
* exact first derivatives (and, on request, the second and third derivatives needed by the
  GUM 5.1.2 note) are built symbolically.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import expr as ex
from .distributions import InputQuantity, _num, make_input
from .errors import ModelError, UnitError

MAX_EQUATIONS = 100
MAX_INPUTS = 200
MAX_NODES = 200_000


_REGISTRY: Any = None
_REGISTRY_LOCK = threading.Lock()


def unit_registry() -> Any:
    """The one shared pint registry (created on first use, ~0.3 s; thread-safe).

    Quantities from two registries cannot be combined, so concurrent first calls (e.g. two
    web requests) must not each build one: creation is guarded by a lock.
    """
    global _REGISTRY
    if _REGISTRY is None:
        with _REGISTRY_LOCK:
            if _REGISTRY is None:
                import pint

                _REGISTRY = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    return _REGISTRY


def _parse_unit(text: str, fld: str) -> Any:
    ureg = unit_registry()
    try:
        q = ureg.Quantity(1.0, text)
    except Exception:  # pint raises many kinds; all mean "not a unit"
        raise ModelError(
            f"'{text}' is not a known unit", code="unit_syntax", field=fld, token=text
        ) from None
    u = q.units
    if not q._is_multiplicative:
        # temperatures are treated as differences (e.g. degC -> delta_degC)
        try:
            u = ureg.Unit("delta_" + str(u))
        except Exception:
            raise ModelError(
                f"offset unit '{text}' is not supported", code="unit_syntax", field=fld, token=text
            ) from None
    return u


def _factor(unit: Any) -> float:
    return float(unit_registry().Quantity(1.0, unit).to_base_units().magnitude)


@dataclass
class Model:
    """A compiled measurement model (see :func:`compile_model`)."""

    outputs: list[str]
    trees: dict[str, ex.Node]  # output -> tree over inputs (base units)
    inputs: list[InputQuantity]
    input_factor: np.ndarray  # value in base units = value in stated unit * factor
    output_unit: dict[str, str | None]
    output_factor: dict[str, float]
    correlation: np.ndarray  # correlation matrix of the inputs
    simultaneous: list[list[int]]  # groups of input indices observed together
    coverage: float = 0.95
    methods: tuple[str, ...] = ("gum", "mcm")
    second_order: bool = False
    mcm: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _d1: dict[str, dict[str, ex.Node]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [q.name for q in self.inputs]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def estimates(self) -> np.ndarray:
        """Input estimates in base units."""
        return np.array([q.estimate for q in self.inputs]) * self.input_factor

    def stds(self) -> np.ndarray:
        """Input standard uncertainties in base units."""
        return np.array([q.std for q in self.inputs]) * self.input_factor

    def dofs(self) -> np.ndarray:
        return np.array([q.dof for q in self.inputs], dtype=float)

    def covariance(self) -> np.ndarray:
        """Covariance matrix U_x of the inputs in base units (JCGM 100 5.2.2)."""
        s = self.stds()
        return self.correlation * np.outer(s, s)

    def first_derivatives(self, out: str) -> dict[str, ex.Node]:
        """Exact partial derivatives d out / d x_i as trees (JCGM 100 5.1.3)."""
        if out not in self._d1:
            memo: dict[str, dict[int, ex.Node]] = {}
            tree = self.trees[out]
            used = ex.free_names(tree)
            d: dict[str, ex.Node] = {}
            for q in self.inputs:
                if q.name in used:
                    d[q.name] = ex.diff(tree, q.name, memo.setdefault(q.name, {}))
                else:
                    d[q.name] = ex.ZERO
            self._d1[out] = d
        return self._d1[out]


def _as_list(value: Any, fld: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise ModelError("expected a list", code="type", field=fld)
    return list(value)


def compile_model(doc: Any) -> Model:
    """Validate a model document and compile it.

    Raises
    ------
    ModelError
        For every problem with the document, naming the field (and the column and token
        inside an equation).
    """
    try:
        return _compile(doc)
    except RecursionError:
        raise ModelError("model nested too deeply", code="limit") from None


def _compile(doc: Any) -> Model:
    if not isinstance(doc, dict):
        raise ModelError("the model document must be a JSON object", code="type", field="model")
    known = {
        "equations",
        "constants",
        "inputs",
        "correlations",
        "simultaneous",
        "coverage",
        "methods",
        "mcm",
        "second_order",
        "outputs",
        "output_units",
        "title",
        "description",
        "name",
        "validation",
    }
    for key in doc:
        if key not in known:
            raise ModelError(f"unknown field '{key}'", code="value", field=str(key), token=str(key))
    if "equations" not in doc:
        raise ModelError("'equations' is required", code="missing", field="equations")
    equations = _as_list(doc["equations"], "equations")
    if not equations:
        raise ModelError("at least one equation is required", code="missing", field="equations")
    if len(equations) > MAX_EQUATIONS:
        raise ModelError(f"more than {MAX_EQUATIONS} equations", code="limit", field="equations")

    # ---- constants
    constants_doc = doc.get("constants") or {}
    if not isinstance(constants_doc, dict):
        raise ModelError("'constants' must be an object", code="type", field="constants")
    const_val: dict[str, float] = {}
    const_unit: dict[str, str | None] = {}
    for cname, cval in constants_doc.items():
        fld = f"constants.{cname}"
        if not isinstance(cname, str) or not cname.isidentifier():
            raise ModelError(
                f"'{cname}' is not a valid name", code="value", field=fld, token=str(cname)
            )
        if isinstance(cval, dict):
            const_val[cname] = _num(cval.get("value"), f"{fld}.value")
            u = cval.get("unit")
            if u is not None and not isinstance(u, str):
                raise ModelError("'unit' must be a string", code="type", field=f"{fld}.unit")
            const_unit[cname] = u
        else:
            const_val[cname] = _num(cval, fld)
            const_unit[cname] = None

    # ---- inputs
    inputs_doc = doc.get("inputs")
    if not isinstance(inputs_doc, dict) or not inputs_doc:
        raise ModelError(
            "'inputs' must be a non-empty object",
            code="missing" if inputs_doc is None else "type",
            field="inputs",
        )
    if len(inputs_doc) > MAX_INPUTS:
        raise ModelError(f"more than {MAX_INPUTS} inputs", code="limit", field="inputs")
    inputs: list[InputQuantity] = []
    for iname, spec in inputs_doc.items():
        fld = f"inputs.{iname}"
        if (
            not isinstance(iname, str)
            or not iname.isidentifier()
            or iname in ex.FUNCTIONS
            or iname in ex.CONSTANTS
        ):
            raise ModelError(
                f"'{iname}' is not a valid input name", code="value", field=fld, token=str(iname)
            )
        if iname in const_val:
            raise ModelError(
                f"'{iname}' is both a constant and an input",
                code="duplicate",
                field=fld,
                token=iname,
            )
        inputs.append(make_input(iname, spec, fld))
    names = [q.name for q in inputs]
    index = {n: i for i, n in enumerate(names)}

    # ---- equations
    parsed: list[tuple[str, ex.Node, dict[str, int]]] = []
    defined: set[str] = set()
    for i, text in enumerate(equations):
        fld = f"equations[{i}]"
        positions: dict[str, int] = {}
        out, tree = ex.parse_equation(text, fld, positions)
        if out in index or out in const_val or out in defined:
            raise ModelError(f"'{out}' is defined twice", code="duplicate", field=fld, token=out)
        for nm, col in sorted(positions.items(), key=lambda kv: kv[1]):
            if (
                nm not in index
                and nm not in const_val
                and nm not in defined
                and nm not in ex.CONSTANTS
            ):
                hint = (
                    " (outputs can only be used by later equations)"
                    if any(nm == p[0] for p in _peek_outputs(equations[i + 1 :]))
                    else ""
                )
                raise ModelError(
                    f"unknown name '{nm}'{hint}",
                    code="unknown_name",
                    field=fld,
                    position=col,
                    token=nm,
                )
        parsed.append((out, tree, positions))
        defined.add(out)

    # ---- units
    any_unit = (
        any(q.unit for q in inputs) or any(const_unit.values()) or bool(doc.get("output_units"))
    )
    input_factor = np.ones(len(inputs))
    const_factor = {c: 1.0 for c in const_val}
    output_unit: dict[str, str | None] = {o: None for o, _, _ in parsed}
    output_factor: dict[str, float] = {o: 1.0 for o, _, _ in parsed}
    if any_unit:
        _check_units(
            doc,
            inputs,
            const_val,
            const_unit,
            parsed,
            input_factor,
            const_factor,
            output_unit,
            output_factor,
        )

    # ---- inline constants and earlier outputs
    env: dict[str, ex.Node] = {c: ex.Num(v * const_factor[c]) for c, v in const_val.items()}
    env.update({k: ex.Num(v) for k, v in ex.CONSTANTS.items()})
    trees: dict[str, ex.Node] = {}
    for out, tree, _ in parsed:
        full = ex.substitute(tree, env)
        if ex.count_nodes(full) > MAX_NODES:
            raise ModelError("model too large after inlining", code="limit", field=out)
        trees[out] = full
        env[out] = full

    # ---- which outputs to report
    outputs = [o for o, _, _ in parsed]
    if doc.get("outputs") is not None:
        sel = _as_list(doc["outputs"], "outputs")
        for j, o in enumerate(sel):
            if not isinstance(o, str) or o not in trees:
                raise ModelError(
                    f"'{o}' is not an equation output",
                    code="unknown_name",
                    field=f"outputs[{j}]",
                    token=str(o),
                )
        outputs = list(dict.fromkeys(sel))

    used: set[str] = set()
    for o in outputs:
        ex.free_names(trees[o], used)
    warnings = [f"input '{n}' is not used by any reported output" for n in names if n not in used]
    for q in inputs:
        if q.kind in ("t", "observations") and q.params["nu"] <= 2:
            warnings.append(
                f"input '{q.name}': a t distribution with {q.params['nu']:g} degrees of "
                "freedom has no finite variance (JCGM 101 6.4.9); the MCM standard "
                "uncertainty will not settle"
            )

    # ---- correlations and simultaneous observations
    corr = np.eye(len(inputs))
    groups: list[list[int]] = []
    in_group: set[int] = set()
    sim = doc.get("simultaneous") or []
    for g, group in enumerate(_as_list(sim, "simultaneous")):
        fld = f"simultaneous[{g}]"
        grp = _as_list(group, fld)
        if len(grp) < 2:
            raise ModelError(
                "a simultaneous group needs at least two inputs", code="observations", field=fld
            )
        idx = []
        for nm in grp:
            if not isinstance(nm, str) or nm not in index:
                raise ModelError(
                    f"unknown input '{nm}'", code="unknown_name", field=fld, token=str(nm)
                )
            q = inputs[index[nm]]
            if q.kind != "observations":
                raise ModelError(
                    f"input '{nm}' has no observations", code="observations", field=fld, token=nm
                )
            if index[nm] in in_group:
                raise ModelError(
                    f"input '{nm}' is in two groups", code="observations", field=fld, token=nm
                )
            idx.append(index[nm])
        lengths = {len(inputs[i].observations) for i in idx}  # type: ignore[arg-type]
        if len(lengths) != 1:
            raise ModelError(
                "observations of a simultaneous group must have equal length",
                code="observations",
                field=fld,
            )
        data = np.vstack([inputs[i].observations for i in idx])  # type: ignore[misc]
        with np.errstate(all="ignore"):
            r = np.corrcoef(data)
        r = np.nan_to_num(r, nan=0.0)
        np.fill_diagonal(r, 1.0)
        for a, ia in enumerate(idx):
            for b, ib in enumerate(idx):
                corr[ia, ib] = r[a, b]
        groups.append(idx)
        in_group.update(idx)

    for c, item in enumerate(_as_list(doc.get("correlations") or [], "correlations")):
        fld = f"correlations[{c}]"
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise ModelError("a correlation is [name1, name2, r]", code="correlation", field=fld)
        a, b, r = item
        for nm in (a, b):
            if not isinstance(nm, str) or nm not in index:
                raise ModelError(
                    f"unknown input '{nm}'", code="unknown_name", field=fld, token=str(nm)
                )
        rv = _num(r, f"{fld}[2]")
        if not -1 <= rv <= 1:
            raise ModelError(f"r = {rv:g} is outside [-1, 1]", code="correlation", field=fld)
        if a == b:
            raise ModelError(
                "an input cannot be correlated with itself", code="correlation", field=fld, token=a
            )
        ia, ib = index[a], index[b]
        if ia in in_group or ib in in_group:
            raise ModelError(
                "inputs of a simultaneous group take their correlations from the data",
                code="correlation",
                field=fld,
            )
        corr[ia, ib] = corr[ib, ia] = rv
        if rv and (inputs[ia].kind != "normal" or inputs[ib].kind != "normal"):
            warnings.append(
                f"'{a}' and '{b}' are not both normal: MCM links them by a Gaussian copula "
                f"with parameter {rv:g} (JCGM 101 6.4.8 covers the normal case), so their "
                "MCM correlation differs somewhat from the GUM's"
            )
    if len(inputs) > 1 and not np.allclose(corr, np.eye(len(inputs))):
        w = np.linalg.eigvalsh(corr)
        if w.min() < -1e-10:
            raise ModelError(
                "the correlation matrix is not positive semi-definite",
                code="correlation",
                field="correlations",
            )

    # ---- options
    coverage = _num(doc.get("coverage", 0.95), "coverage")
    if not 0 < coverage < 1:
        raise ModelError(
            "coverage must lie strictly between 0 and 1", code="value", field="coverage"
        )
    methods = tuple(_as_list(doc.get("methods", ["gum", "mcm"]), "methods"))
    if not methods:
        raise ModelError("name at least one method", code="method", field="methods")
    for j, m in enumerate(methods):
        if m not in ("gum", "mcm"):
            raise ModelError(
                f"unknown method '{m}'; use 'gum' and/or 'mcm'",
                code="method",
                field=f"methods[{j}]",
                token=str(m),
            )
    second = doc.get("second_order", False)
    if not isinstance(second, bool):
        raise ModelError("'second_order' must be true or false", code="type", field="second_order")
    mcm = _mcm_options(doc.get("mcm") or {}, coverage)

    return Model(
        outputs,
        trees,
        inputs,
        input_factor,
        output_unit,
        output_factor,
        corr,
        groups,
        coverage,
        methods,
        second,
        mcm,
        warnings,
    )


def _peek_outputs(rest: list[Any]) -> list[tuple[str, None]]:
    out = []
    for t in rest:
        if isinstance(t, str) and t.count("=") == 1:
            out.append((t.split("=")[0].strip(), None))
    return out


def _mcm_options(opts: Any, coverage: float) -> dict[str, Any]:
    if not isinstance(opts, dict):
        raise ModelError("'mcm' must be an object", code="type", field="mcm")
    for key in opts:
        if key not in ("trials", "ndig", "seed", "max_trials", "histogram_bins", "threads"):
            raise ModelError(
                f"unknown field '{key}'", code="value", field=f"mcm.{key}", token=str(key)
            )
    trials = opts.get("trials", 1_000_000)
    if trials != "adaptive":
        if isinstance(trials, float) and trials.is_integer():
            trials = int(trials)
        if isinstance(trials, bool) or not isinstance(trials, int):
            raise ModelError(
                "'trials' must be an integer or \"adaptive\"",
                code="type",
                field="mcm.trials",
                token=str(trials),
            )
        need = math.ceil(1 / (1 - coverage))
        if trials < max(1000, 10 * need) or trials > 100_000_000:
            raise ModelError(
                f"trials must lie in [{max(1000, 10 * need)}, 10^8] (JCGM 101 7.2)",
                code="limit",
                field="mcm.trials",
            )
    ndig = opts.get("ndig", 2)
    if isinstance(ndig, bool) or not isinstance(ndig, int) or not 1 <= ndig <= 4:
        raise ModelError("'ndig' must be an integer from 1 to 4", code="value", field="mcm.ndig")
    seed = opts.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ModelError("'seed' must be a non-negative integer", code="value", field="mcm.seed")
    max_trials = opts.get("max_trials", 20_000_000)
    if (
        isinstance(max_trials, bool)
        or not isinstance(max_trials, int)
        or not 10_000 <= max_trials <= 50_000_000  # adaptive keeps two copies: < 1 GiB
    ):
        raise ModelError(
            "'max_trials' must be an integer in [10^4, 5 x 10^7]",
            code="limit",
            field="mcm.max_trials",
        )
    bins = opts.get("histogram_bins", 80)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 0 <= bins <= 1000:
        raise ModelError(
            "'histogram_bins' must be an integer in [0, 1000]",
            code="value",
            field="mcm.histogram_bins",
        )
    threads = opts.get("threads", "auto")
    if threads != "auto" and (
        isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 16
    ):
        raise ModelError(
            "'threads' must be \"auto\" or an integer in [1, 16]",
            code="value",
            field="mcm.threads",
        )
    return {
        "trials": trials,
        "ndig": ndig,
        "seed": seed,
        "max_trials": max_trials,
        "histogram_bins": bins,
        "threads": threads,
    }


# ------------------------------------------------------------------------ units
def _check_units(
    doc: dict[str, Any],
    inputs: list[InputQuantity],
    const_val: dict[str, float],
    const_unit: dict[str, str | None],
    parsed: list[tuple[str, ex.Node, Any]],
    input_factor: np.ndarray,
    const_factor: dict[str, float],
    output_unit: dict[str, str | None],
    output_factor: dict[str, float],
) -> None:
    """Dimension check, term by term, with pint quantities at the estimates."""
    ureg = unit_registry()
    qenv: dict[str, Any] = {}
    for i, q in enumerate(inputs):
        u = _parse_unit(q.unit, f"inputs.{q.name}.unit") if q.unit else ureg.dimensionless
        input_factor[i] = _factor(u)
        qenv[q.name] = ureg.Quantity(q.estimate, u)
    for c, v in const_val.items():
        cu = const_unit[c]
        u = _parse_unit(cu, f"constants.{c}.unit") if cu else ureg.dimensionless
        const_factor[c] = _factor(u)
        qenv[c] = ureg.Quantity(v, u)
    for k, v in ex.CONSTANTS.items():
        qenv[k] = ureg.Quantity(v, ureg.dimensionless)
    wanted = doc.get("output_units") or {}
    if not isinstance(wanted, dict):
        raise ModelError("'output_units' must be an object", code="type", field="output_units")
    for i, (out, tree, _) in enumerate(parsed):
        q = _pint_eval(tree, qenv, f"equations[{i}]")
        unit = q.units
        if out in wanted:
            wu = _parse_unit(str(wanted[out]), f"output_units.{out}")
            if wu.dimensionality != unit.dimensionality:
                raise UnitError(
                    f"output '{out}' has dimension {unit.dimensionality}, not that of "
                    f"'{wanted[out]}'",
                    field=f"output_units.{out}",
                    token=str(wanted[out]),
                )
            unit = wu
        qenv[out] = q.to(unit) if unit != q.units else q
        output_factor[out] = _factor(unit)
        output_unit[out] = f"{unit:~}" if str(unit) != "dimensionless" else ""


def _pint_eval(node: ex.Node, env: dict[str, Any], fld: str) -> Any:
    ureg = unit_registry()
    if isinstance(node, ex.Num):
        return ureg.Quantity(node.value, ureg.dimensionless)
    if isinstance(node, ex.Var):
        return env[node.name]
    assert isinstance(node, ex.Op)
    args = [_pint_eval(a, env, fld) for a in node.args]
    op = node.op
    try:
        with np.errstate(all="ignore"):
            if op in ("+", "-"):
                a, b = args
                if a.dimensionality != b.dimensionality:
                    raise UnitError(
                        f"in '{ex.to_text(node)}' the term '{ex.to_text(node.args[0])}' "
                        f"is in {a.units:~P} ({a.dimensionality}) but "
                        f"'{ex.to_text(node.args[1])}' is in {b.units:~P} "
                        f"({b.dimensionality})",
                        field=fld,
                        token=ex.to_text(node.args[1]),
                    )
                return a + b if op == "+" else a - b
            if op == "*":
                return args[0] * args[1]
            if op == "/":
                b = args[1]
                if b.magnitude == 0:
                    b = ureg.Quantity(1.0, b.units)
                return args[0] / b
            if op == "**":
                a, b = args
                if not b.dimensionless:
                    raise UnitError(
                        f"the exponent '{ex.to_text(node.args[1])}' must be dimensionless",
                        field=fld,
                        token=ex.to_text(node.args[1]),
                    )
                if a.dimensionless:
                    return ureg.Quantity(1.0, ureg.dimensionless)
                if not isinstance(node.args[1], ex.Num):
                    raise UnitError(
                        f"'{ex.to_text(node.args[0])}' has units, so its exponent must be a number",
                        field=fld,
                        token=ex.to_text(node.args[1]),
                    )
                return ureg.Quantity(1.0, a.units) ** float(b.magnitude)
            if op == "neg":
                return -args[0]
            if op == "sqrt":
                return ureg.Quantity(1.0, args[0].units) ** 0.5
            if op == "abs":
                return abs(args[0])
            if op == "atan2":
                a, b = args
                if a.dimensionality != b.dimensionality:
                    raise UnitError(
                        f"the arguments of '{ex.to_text(node)}' must have the same dimension",
                        field=fld,
                        token=ex.to_text(node),
                    )
                return ureg.Quantity(1.0, ureg.radian)
            # transcendental functions need dimensionless (or angle) arguments
            a = args[0]
            if (
                op in ("sin", "cos", "tan")
                and a.check("[]") is False
                and a.units != ureg.radian
                and a.dimensionality != ureg.radian.dimensionality
            ):
                pass
            if not a.dimensionless and not (
                op in ("sin", "cos", "tan") and a.dimensionality == ureg.degree.dimensionality
            ):
                raise UnitError(
                    f"the argument of '{op}' in '{ex.to_text(node)}' must be "
                    f"dimensionless, not {a.units:~P}",
                    field=fld,
                    token=ex.to_text(node.args[0]),
                )
            return ureg.Quantity(
                1.0, ureg.radian if op.startswith("a") and op != "abs" else ureg.dimensionless
            )
    except ModelError:
        raise
    except Exception as exc:  # pint DimensionalityError, OffsetUnitCalculusError, ...
        raise UnitError(
            f"in '{ex.to_text(node)}': {exc}", field=fld, token=ex.to_text(node)
        ) from None
