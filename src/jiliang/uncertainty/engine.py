"""Top-level evaluation of a model document: GUM, MCM, validation (JCGM 101 8), JSON."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ModelError
from .gum import gum
from .mcm import mcm, tolerance
from .model import compile_model


def _clean(obj: Any) -> Any:
    """JSON-ready copy: NumPy scalars and arrays become Python objects; NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    return obj


def _correlation(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(all="ignore"):
        r = cov / np.outer(d, d)
    r = np.where(np.outer(d, d) > 0, r, 0.0)
    np.fill_diagonal(r, 1.0)
    return np.clip(r, -1.0, 1.0)


def validate_guf(
    y: float,
    U: float,
    u: float,
    interval: list[float],
    ndig: int,
    symmetric: list[float] | None = None,
) -> dict[str, Any]:
    """Validation of the GUM uncertainty framework by MCM (JCGM 101 8.1).

    d_low = |y - U_p - y_low|, d_high = |y + U_p - y_high|; the GUF is validated when both
    are at most the numerical tolerance delta of u(y) to ``ndig`` significant digits
    (7.9.2).  ``interval`` is the MCM shortest interval (as in the tables of JCGM 101
    clause 9).  For a symmetric output PDF the position of the shortest interval is poorly
    determined, so the same comparison with the probabilistically symmetric interval is
    reported too (``*_symmetric``).
    """
    delta = tolerance(u, ndig)
    d_low = abs(y - U - interval[0])
    d_high = abs(y + U - interval[1])
    out = {
        "delta": delta,
        "d_low": d_low,
        "d_high": d_high,
        "passed": bool(d_low <= delta and d_high <= delta),
        "ndig": ndig,
        "interval": "shortest",
    }
    if symmetric is not None:
        ds_low = abs(y - U - symmetric[0])
        ds_high = abs(y + U - symmetric[1])
        out.update(
            {
                "d_low_symmetric": ds_low,
                "d_high_symmetric": ds_high,
                "passed_symmetric": bool(ds_low <= delta and ds_high <= delta),
            }
        )
    return out


def evaluate(doc: dict[str, Any]) -> dict[str, Any]:
    """Evaluate a measurement model document by the GUM (JCGM 100) and/or MCM (JCGM 101).

    Parameters
    ----------
    doc : dict
        The model document (``equations``, ``constants``, ``inputs``, ``correlations``,
        ``simultaneous``, ``coverage``, ``methods``, ``mcm``, ``second_order``,
        ``outputs``, ``output_units``); see the package docstring.

    Returns
    -------
    dict
        JSON-serialisable: ``outputs.<name>.{unit, gum, mcm, validation}``, ``covariance``
        and ``correlation`` (``{"names", "gum", "mcm"}``), ``inputs``, ``warnings``.
        Infinite degrees of freedom and any non-finite number are ``null``.

    Raises
    ------
    ModelError
        For every invalid document.
    """
    try:
        model = compile_model(doc)
        result: dict[str, Any] = {
            "outputs": {o: {"unit": model.output_unit[o]} for o in model.outputs}
        }
        warnings = list(model.warnings)
        names = model.outputs
        cov: dict[str, Any] = {"names": names}
        corr: dict[str, Any] = {"names": names}
        g = m = None
        if "gum" in model.methods:
            g = gum(model)
            for o in names:
                result["outputs"][o]["gum"] = g["outputs"][o]
            cov["gum"] = g["covariance"]
            corr["gum"] = _correlation(g["covariance"])
        if "mcm" in model.methods:
            m = mcm(model)
            for o in names:
                result["outputs"][o]["mcm"] = m["outputs"][o]
                ad = m["outputs"][o].get("adaptive")
                if ad and not ad["converged"]:
                    warnings.append(
                        f"adaptive MCM for '{o}' stopped at max_trials before "
                        "reaching the requested tolerance"
                    )
            cov["mcm"] = m["covariance"]
            corr["mcm"] = _correlation(m["covariance"])
        if g is not None and m is not None:
            ndig = model.mcm["ndig"]
            for o in names:
                go, mo = g["outputs"][o], m["outputs"][o]
                result["outputs"][o]["validation"] = validate_guf(
                    go["value"],
                    go["expanded_uncertainty"],
                    go["std_uncertainty"],
                    mo["interval_shortest"],
                    ndig,
                    mo["interval_symmetric"],
                )
        result["covariance"] = cov
        result["correlation"] = corr
        result["inputs"] = [q.describe() for q in model.inputs]
        result["coverage"] = model.coverage
        result["methods"] = list(model.methods)
        result["warnings"] = warnings
        return _clean(result)
    except ModelError:
        raise
    except RecursionError:
        raise ModelError("model nested too deeply", code="limit") from None
    except MemoryError:
        raise ModelError(
            "not enough memory for this model; reduce trials", code="limit", field="mcm.trials"
        ) from None
    except (
        ArithmeticError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        np.linalg.LinAlgError,
    ) as exc:  # defensive: a kernel bug must still be named
        raise ModelError(
            f"cannot evaluate the model: {type(exc).__name__}: {exc}", code="value"
        ) from None
