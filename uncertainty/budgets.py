"""Uncertainty budgets for the institute's instrument types, as data plus a model.

Each ``*_budget(params)`` turns a flat mapping of measured values and specifications into a
budget dict in the JSON format of :mod:`uncertainty.serialization` (so it can be stored,
shown and re-evaluated), and :func:`evaluate_instrument` evaluates it and adds a printable
budget table.  The models are documented in ``docs/uncertainty/instrument_budgets.md``.

* ``scale``: error of indication of a non-automatic weighing instrument at a test load,
  following the structure of EURAMET cg-18 (v4.0) 7.1: ``E = I - m_ref``;
* ``sphygmomanometer``: error of a blood-pressure meter at a static pressure point;
* ``thermometer``: error of a clinical thermometer in a comparison bath.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from .errors import BudgetError
from .reporting import budget_table
from .serialization import evaluate_budget

__all__ = ["scale_budget", "sphygmomanometer_budget", "thermometer_budget", "evaluate_instrument", "BUILDERS"]

log = logging.getLogger(__name__)

SCALE_MODEL = "IL + dIdigL + dIrep + dIecc - I0 - dIdig0 - (mN + dmc + dmB + dmD)"
SPHYG_MODEL = "p_ind + dp_res + dp_rep + dp_hyst - (p_ref + dp_ref + dp_ref_res)"
THERMO_MODEL = "t_ind + dt_res + dt_rep - (t_ref + dt_ref + dt_stab + dt_unif)"


class _Params:
    """Typed access to a parameter mapping; errors name the parameter."""

    def __init__(self, params, allowed):
        if not isinstance(params, Mapping):
            raise BudgetError("params", f"must be an object, got {type(params).__name__}")
        extra = sorted(set(params) - set(allowed))
        if extra:
            raise BudgetError(f"params.{extra[0]}", f"unknown parameter (allowed: {', '.join(sorted(allowed))})")
        self.params = params

    def num(self, key, default=None, *, positive=False, nonneg=False):
        value = self.params.get(key, default)
        if value is None:
            raise BudgetError(f"params.{key}", "is required")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BudgetError(f"params.{key}", f"must be a finite number, got {value!r}")
        if positive and value <= 0:
            raise BudgetError(f"params.{key}", f"must be > 0, got {value!r}")
        if nonneg and value < 0:
            raise BudgetError(f"params.{key}", f"must be >= 0, got {value!r}")
        return float(value)

    def has(self, key):
        return self.params.get(key) is not None

    def unit(self, default):
        unit = self.params.get("unit", default)
        if not isinstance(unit, str) or not unit:
            raise BudgetError("params.unit", f"must be a non-empty string, got {unit!r}")
        return unit

    def repeatability(self):
        s = self.num("repeatability_s", 0.0, nonneg=True)
        spec = {"value": 0.0, "u": s, "description": "重复性 / repeatability (s of repeated readings)"}
        if self.has("repeatability_n"):
            n = self.params["repeatability_n"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                raise BudgetError("params.repeatability_n", f"must be an integer >= 2, got {n!r}")
            spec["dof"] = n - 1
        return spec

    def reference(self, prefix, description):
        """The reference standard's correction: normal from U, k or rectangular from its MPE."""
        if self.has(f"{prefix}_U") and self.has(f"{prefix}_mpe"):
            raise BudgetError(f"params.{prefix}_mpe", f"give either {prefix}_U or {prefix}_mpe, not both")
        if self.has(f"{prefix}_mpe"):
            return {"value": self.num(f"{prefix}_correction", 0.0), "distribution": "rectangular",
                    "half_width": self.num(f"{prefix}_mpe", nonneg=True),
                    "description": description + " (MPE / 最大允许误差)"}
        return {"value": self.num(f"{prefix}_correction", 0.0), "U": self.num(f"{prefix}_U", nonneg=True),
                "k": self.num(f"{prefix}_k", 2.0, positive=True), "description": description + " (U, k)"}


def _rect(half_width, description):
    return {"value": 0.0, "distribution": "rectangular", "half_width": half_width, "description": description}


def _budget(model, unit, name, inputs, coverage):
    if not coverage < 1:
        raise BudgetError("params.coverage", f"must be a probability between 0 and 1, got {coverage!r}")
    return {"schema_version": 1, "model": model, "output": {"name": name, "unit": unit},
            "inputs": inputs, "coverage": coverage}


def scale_budget(params: Mapping[str, Any]) -> dict[str, Any]:
    """Budget of the error of indication E of a weighing instrument at one test load.

    Parameters (one mass unit throughout, ``unit`` default ``"g"``): ``load`` (nominal value
    of the weights, required), ``indication`` (required; with the flash-point method the
    pre-rounding indication ``I + 0.5 e - dL``), ``d`` (resolution at the load, required; the
    smallest added weight with the flash-point method), ``zero_indication`` (0), ``d_zero``
    (= ``d``), ``repeatability_s`` (0), ``repeatability_n``, ``eccentricity_max`` (largest
    eccentricity deviation found, 0) with ``eccentricity_load``, ``weights_correction`` (0),
    ``weights_U`` with ``weights_k`` (2) or ``weights_mpe`` (OIML R 111 class MPE),
    ``drift`` (half-width, 0), ``buoyancy`` (half-width; default ``weights_mpe/4``, the bound
    OIML R 111-1 10.2 sets on air-buoyancy effects, else 0), ``coverage`` (0.9545).

    :param params: mapping of the parameters above
    :returns: budget dict (JSON format v1) with 10 inputs
    :raises BudgetError: naming the parameter

    >>> b = scale_budget({"load": 1000, "indication": 1000.5, "d": 0.5, "weights_mpe": 0.05})
    >>> b["model"].split(" + ")[0], len(b["inputs"])
    ('IL', 10)
    """
    p = _Params(params, {"load", "indication", "d", "zero_indication", "d_zero", "repeatability_s",
                         "repeatability_n", "eccentricity_max", "eccentricity_load", "weights_correction",
                         "weights_U", "weights_k", "weights_mpe", "drift", "buoyancy", "unit", "coverage"})
    load = p.num("load", positive=True)
    d = p.num("d", positive=True)
    ecc = p.num("eccentricity_max", 0.0, nonneg=True)
    ecc_half = 0.0
    if ecc > 0:
        ecc_half = load * ecc / (2.0 * p.num("eccentricity_load", positive=True))
    if not p.has("weights_U") and not p.has("weights_mpe"):
        raise BudgetError("params.weights_U", "give the weights' expanded uncertainty (weights_U) or class MPE")
    default_buoyancy = p.num("weights_mpe") / 4.0 if p.has("weights_mpe") else 0.0
    inputs = {
        "IL": {"value": p.num("indication"), "u": 0.0, "description": "加载示值 / indication at the test load"},
        "dIdigL": _rect(d / 2.0, "加载示值的舍入 / rounding of the indication at load (d/2)"),
        "dIrep": p.repeatability(),
        "dIecc": _rect(ecc_half, "偏载 / eccentric loading (EURAMET cg-18: L*|dI_ecc|max/(2 L_ecc))"),
        "I0": {"value": p.num("zero_indication", 0.0), "u": 0.0, "description": "空载示值 / indication at no load"},
        "dIdig0": _rect(p.num("d_zero", d, positive=True) / 2.0, "空载示值的舍入 / rounding of the no-load indication"),
        "mN": {"value": load, "u": 0.0, "description": "标准砝码标称值 / nominal value of the reference weights"},
        "dmc": p.reference("weights", "标准砝码修正 / correction of the reference weights"),
        "dmB": _rect(p.num("buoyancy", default_buoyancy, nonneg=True), "空气浮力 / air buoyancy"),
        "dmD": _rect(p.num("drift", 0.0, nonneg=True), "砝码漂移 / drift of the weights since calibration"),
    }
    return _budget(SCALE_MODEL, p.unit("g"), "E", inputs, p.num("coverage", 0.9545, positive=True))


def sphygmomanometer_budget(params: Mapping[str, Any]) -> dict[str, Any]:
    """Budget of the error of a sphygmomanometer at one static pressure point.

    Parameters (``unit`` default ``"mmHg"``): ``indication`` (mean indication, required),
    ``reference`` (reading of the reference manometer, required), ``d`` (resolution of the
    instrument, required), ``reference_U`` with ``reference_k`` (2) or ``reference_mpe``,
    ``reference_d`` (resolution of the reference, 0), ``repeatability_s``, ``repeatability_n``,
    ``hysteresis`` (difference between rising and falling readings, 0; half of it is taken as
    the half-width of a rectangular PDF), ``coverage`` (0.9545).

    :param params: mapping of the parameters above
    :returns: budget dict (JSON format v1)
    :raises BudgetError: naming the parameter
    """
    p = _Params(params, {"indication", "reference", "d", "reference_U", "reference_k", "reference_mpe",
                         "reference_d", "repeatability_s", "repeatability_n", "hysteresis", "unit", "coverage"})
    if not p.has("reference_U") and not p.has("reference_mpe"):
        raise BudgetError("params.reference_U", "give the reference's expanded uncertainty or its MPE")
    inputs = {
        "p_ind": {"value": p.num("indication"), "u": 0.0, "description": "被检仪器示值 / indication of the instrument"},
        "dp_res": _rect(p.num("d", positive=True) / 2.0, "被检仪器分辨力 / resolution of the instrument (d/2)"),
        "dp_rep": p.repeatability(),
        "dp_hyst": _rect(p.num("hysteresis", 0.0, nonneg=True) / 2.0, "回差 / hysteresis (half the difference)"),
        "p_ref": {"value": p.num("reference"), "u": 0.0,
                  "description": "标准压力计读数 / reading of the reference manometer"},
        "dp_ref": p.reference("reference", "标准压力计修正 / correction of the reference manometer"),
        "dp_ref_res": _rect(p.num("reference_d", 0.0, nonneg=True) / 2.0, "标准器分辨力 / resolution of the reference"),
    }
    return _budget(SPHYG_MODEL, p.unit("mmHg"), "E", inputs, p.num("coverage", 0.9545, positive=True))


def thermometer_budget(params: Mapping[str, Any]) -> dict[str, Any]:
    """Budget of the error of a clinical thermometer compared in a bath.

    Parameters (``unit`` default ``"°C"``): ``indication`` (required), ``reference`` (reading
    of the reference thermometer, required), ``d`` (resolution, required; 0.1 °C for digital,
    the estimated reading resolution for glass), ``reference_U`` with ``reference_k`` (2) or
    ``reference_mpe``, ``stability`` (half-width of the bath's temperature fluctuation, 0),
    ``uniformity`` (half-width of the bath's non-uniformity, 0), ``repeatability_s``,
    ``repeatability_n``, ``coverage`` (0.9545).

    :param params: mapping of the parameters above
    :returns: budget dict (JSON format v1)
    :raises BudgetError: naming the parameter
    """
    p = _Params(params, {"indication", "reference", "d", "reference_U", "reference_k", "reference_mpe",
                         "stability", "uniformity", "repeatability_s", "repeatability_n", "unit", "coverage"})
    if not p.has("reference_U") and not p.has("reference_mpe"):
        raise BudgetError("params.reference_U", "give the reference's expanded uncertainty or its MPE")
    inputs = {
        "t_ind": {"value": p.num("indication"), "u": 0.0, "description": "体温计示值 / indication of the thermometer"},
        "dt_res": _rect(p.num("d", positive=True) / 2.0, "分辨力 / resolution (d/2)"),
        "dt_rep": p.repeatability(),
        "t_ref": {"value": p.num("reference"), "u": 0.0,
                  "description": "标准温度计读数 / reading of the reference thermometer"},
        "dt_ref": p.reference("reference", "标准温度计修正 / correction of the reference thermometer"),
        "dt_stab": _rect(p.num("stability", 0.0, nonneg=True), "恒温槽波动性 / bath stability"),
        "dt_unif": _rect(p.num("uniformity", 0.0, nonneg=True), "恒温槽均匀性 / bath uniformity"),
    }
    return _budget(THERMO_MODEL, p.unit("°C"), "E", inputs, p.num("coverage", 0.9545, positive=True))


BUILDERS = {"scale": scale_budget, "sphygmomanometer": sphygmomanometer_budget, "thermometer": thermometer_budget}


def evaluate_instrument(kind: str, params: Mapping[str, Any], *, method: str = "gum", trials: int | None = None,
                        seed: int | None = None) -> dict[str, Any]:
    """Build and evaluate the budget of one measurement point of an instrument type.

    :param kind: ``"scale"``, ``"sphygmomanometer"`` or ``"thermometer"``
    :param params: the builder's parameters (see :func:`scale_budget` etc.)
    :param method: ``"gum"``, ``"mcm"`` or ``"both"``
    :param trials: Monte Carlo trials
    :param seed: Monte Carlo seed
    :returns: the :func:`~uncertainty.serialization.evaluate_budget` result plus ``"budget"``
        (the budget dict that was evaluated) and ``"table"`` (:func:`~uncertainty.reporting.budget_table`)
    :raises BudgetError: naming the parameter

    >>> r = evaluate_instrument("thermometer", {"indication": 37.02, "reference": 37.00, "d": 0.01,
    ...                                         "reference_U": 0.01, "stability": 0.01, "uniformity": 0.01})
    >>> r["gum"]["rounded"], r["table"]["summary"]["unit"]
    ({'value': '0.020', 'U': '0.020'}, '°C')
    """
    if kind not in BUILDERS:
        raise BudgetError("kind", f"must be one of {', '.join(BUILDERS)}, got {kind!r}")
    budget = BUILDERS[kind](params)
    result = evaluate_budget(budget, method=method, trials=trials, seed=seed)
    result["budget"] = budget
    if "gum" in result:
        descriptions = {name: spec.get("description", "") for name, spec in budget["inputs"].items()}
        result["table"] = budget_table(result["gum"], unit=budget["output"]["unit"], descriptions=descriptions)
    return result
