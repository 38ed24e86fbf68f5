"""Budget files: validate a budget dict (JSON format v1) and evaluate it to a result dict.

The format is documented in ``docs/uncertainty/format.md`` and described by the JSON Schema
returned by :func:`budget_schema`.  Validation here is stricter than the schema (it also
checks the model expression, names and correlations) and every error names the key path.
Infinite degrees of freedom are written as ``null``.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from importlib import resources
from typing import Any

from . import quantities as q
from .errors import BudgetError, ExpressionError
from .gum import DOF_RULES, gum
from .model import Model
from .montecarlo import MAX_TRIALS, monte_carlo, validate
from .reporting import round_result
from .results import GumResult, McResult

__all__ = ["SCHEMA_VERSION", "parse_budget", "evaluate_budget", "budget_schema", "result_schema", "METHODS"]

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
#: Largest number of input quantities of one budget (the correlation matrix and the
#: second-order terms grow with its square; real budgets have tens of inputs).
MAX_INPUTS = 500
METHODS = ("gum", "mcm", "both")
_TOP_KEYS = {"schema_version", "title", "description", "source", "notes", "model", "output", "inputs", "correlations",
             "coverage", "k", "dof_rule", "second_order", "trials", "seed", "adaptive", "validation_digits"}
_COMMON = {"distribution", "value", "dof", "reliability", "unit", "description", "source"}
#: accepted spellings of distribution names
ALIASES = {"gaussian": "normal", "uniform": "rectangular", "u_shaped": "arcsine", "u-shaped": "arcsine",
           "student_t": "t", "student-t": "t", "type-a": "type_a"}
_FIELDS = {
    "normal": {"u", "U", "k"}, "rectangular": {"half_width"}, "triangular": {"half_width"},
    "arcsine": {"half_width"}, "trapezoidal": {"half_width", "beta"}, "t": {"scale", "u"},
    "type_a": {"readings"},
}


def budget_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of budget files, version :data:`SCHEMA_VERSION`.

    :returns: dict
    """
    text = resources.files(__package__).joinpath("schema/budget-v1.json").read_text(encoding="utf-8")
    return json.loads(text)


def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of result dicts, version :data:`SCHEMA_VERSION`.

    :returns: dict
    """
    text = resources.files(__package__).joinpath("schema/result-v1.json").read_text(encoding="utf-8")
    return json.loads(text)


def _require_mapping(key, value):
    if not isinstance(value, Mapping):
        raise BudgetError(key, f"must be an object, got {type(value).__name__}")
    return value


def _unknown(key, data, allowed):
    extra = sorted(set(data) - allowed)
    if extra:
        raise BudgetError(f"{key}.{extra[0]}" if key else extra[0],
                          f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _input(name, spec):
    key = f"inputs.{name}"
    spec = _require_mapping(key, spec)
    kind = spec.get("distribution", "normal")
    if not isinstance(kind, str):
        raise BudgetError(f"{key}.distribution", f"must be a string, got {kind!r}")
    kind = ALIASES.get(kind.lower(), kind.lower())
    if kind not in _FIELDS:
        raise BudgetError(f"{key}.distribution", f"must be one of {', '.join(q.DISTRIBUTIONS)}, got {kind!r}")
    _unknown(key, spec, _COMMON | _FIELDS[kind])
    if kind == "type_a":
        if "value" in spec or "dof" in spec:
            raise BudgetError(f"{key}.{'value' if 'value' in spec else 'dof'}",
                              "is computed from 'readings' for type_a; remove it")
        if "readings" not in spec:
            raise BudgetError(f"{key}.readings", "is required for type_a")
        return _named(key, q.type_a, name, spec["readings"])
    if "value" not in spec:
        raise BudgetError(f"{key}.value", "is required")
    value, dof = spec["value"], _reliability_dof(key, spec)
    if kind == "normal":
        return _named(key, q.normal, name, value, spec.get("u"), U=spec.get("U"), k=spec.get("k"), dof=dof)
    if kind == "t":
        if dof is None:
            raise BudgetError(f"{key}.dof", "is required for the t distribution")
        return _named(key, q.student_t, name, value, dof, scale=spec.get("scale"), u=spec.get("u"))
    if "half_width" not in spec:
        raise BudgetError(f"{key}.half_width", f"is required for {kind}")
    if kind == "trapezoidal":
        if "beta" not in spec:
            raise BudgetError(f"{key}.beta", "is required for trapezoidal")
        return _named(key, q.trapezoidal, name, value, spec["half_width"], spec["beta"], dof=dof)
    return _named(key, getattr(q, kind), name, value, spec["half_width"], dof=dof)


def _reliability_dof(key, spec):
    """``dof`` as given, or from ``reliability`` = relative uncertainty of u (GUM G.4.2, eq. G.3)."""
    if "reliability" not in spec:
        return spec.get("dof")
    if "dof" in spec:
        raise BudgetError(f"{key}.reliability", "give either 'dof' or 'reliability', not both")
    r = spec["reliability"]
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r < 10:
        raise BudgetError(f"{key}.reliability", f"must be a relative uncertainty of u in (0, 10), got {r!r}")
    return 0.5 / r**2


def _named(key, factory, name, *args, **kwargs):
    """Call a quantity constructor, re-keying its errors to the budget path."""
    try:
        return factory(name, *args, **kwargs)
    except BudgetError as exc:
        field = exc.key.split(".", 1)[1] if "." in exc.key else exc.key
        raise BudgetError(f"{key}.{field}", exc.problem) from None


def _option(data, key, default, check, problem):
    value = data.get(key, default)
    if value is not default and not check(value):
        raise BudgetError(key, f"{problem}, got {value!r}")
    return value


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def parse_budget(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a budget dict and build the model, inputs and options.

    :param data: the decoded JSON budget
    :returns: dict with ``model`` (:class:`~uncertainty.model.Model`), ``inputs``, ``correlations``,
        ``output`` and the evaluation options
    :raises BudgetError: naming the key path and the problem
    """
    data = _require_mapping("budget", data)
    _unknown("", data, _TOP_KEYS)
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise BudgetError("schema_version", f"unsupported version {version!r} (this engine reads {SCHEMA_VERSION})")
    if "model" not in data:
        raise BudgetError("model", "is required")
    if not isinstance(data["model"], str):
        raise BudgetError("model", f"must be an expression string, got {type(data['model']).__name__}")
    inputs_spec = _require_mapping("inputs", data.get("inputs"))
    if not inputs_spec:
        raise BudgetError("inputs", "needs at least one input quantity")
    if len(inputs_spec) > MAX_INPUTS:
        raise BudgetError("inputs", f"has {len(inputs_spec)} input quantities, at most {MAX_INPUTS} are accepted")
    inputs = [_input(name, spec) for name, spec in inputs_spec.items()]
    output = _require_mapping("output", data.get("output", {"name": "y"}))
    _unknown("output", output, {"name", "unit", "description"})
    out_name = output.get("name", "y")
    if not isinstance(out_name, str) or not out_name.strip():
        raise BudgetError("output.name", f"must be a non-empty string, got {out_name!r}")
    try:
        model = Model(data["model"], [i.name for i in inputs], outputs=(out_name,))
    except ExpressionError as exc:
        raise BudgetError("model", str(exc)) from None
    correlations = data.get("correlations", [])
    if not isinstance(correlations, list):
        raise BudgetError("correlations", "must be a list of [name_a, name_b, r]")
    return {
        "model": model, "inputs": inputs, "correlations": correlations, "output": dict(output),
        "coverage": _option(data, "coverage", 0.95, lambda v: isinstance(v, float) and 0 < v < 1,
                            "must be a probability between 0 and 1"),
        "k": _option(data, "k", None, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                     and 0 < v < 100, "must be a positive number"),
        "dof_rule": _option(data, "dof_rule", "floor", lambda v: v in DOF_RULES, f"must be one of {DOF_RULES}"),
        "second_order": _option(data, "second_order", False, lambda v: isinstance(v, bool), "must be true or false"),
        "trials": _option(data, "trials", 10**6, lambda v: _is_int(v) and 2 <= v <= MAX_TRIALS,
                          f"must be an integer between 2 and {MAX_TRIALS}"),
        "seed": _option(data, "seed", None, lambda v: _is_int(v) and v >= 0, "must be a non-negative integer"),
        "adaptive": _option(data, "adaptive", None, lambda v: _is_int(v) and 1 <= v <= 6,
                            "must be an integer number of significant digits 1..6"),
        "validation_digits": _option(data, "validation_digits", 2, lambda v: _is_int(v) and 1 <= v <= 6,
                                     "must be an integer 1..6"),
    }


def _dof(value):
    return None if math.isinf(value) else value


def gum_to_dict(res: GumResult) -> dict[str, Any]:
    """Plain-JSON form of a :class:`~uncertainty.results.GumResult`.

    :param res: the GUM result
    :returns: dict (infinite dof as ``None``)
    """
    return {
        "value": res.value, "u": res.u, "dof": _dof(res.dof), "dof_used": _dof(res.dof_used), "k": res.k,
        "U": res.U, "coverage": res.coverage, "interval": list(res.interval), "dof_rule": res.dof_rule,
        "second_order": res.second_order, "second_order_share": res.second_order_share,
        "budget": [{"name": b.name, "value": b.value, "u": b.u, "sensitivity": b.sensitivity,
                    "contribution": b.contribution, "share": b.share, "dof": _dof(b.dof),
                    "distribution": b.distribution} for b in res.budget],
        "rounded": round_result(res.value, res.U),
        "warnings": list(res.warnings),
    }


def mcm_to_dict(res: McResult) -> dict[str, Any]:
    """Plain-JSON form of a :class:`~uncertainty.results.McResult`.

    :param res: the Monte Carlo result
    :returns: dict
    """
    return {"value": res.value, "u": res.u, "coverage": res.coverage, "interval": list(res.interval),
            "shortest_interval": list(res.shortest_interval), "trials": res.trials, "seed": res.seed,
            "adaptive_digits": res.adaptive_digits, "warnings": list(res.warnings)}


def evaluate_budget(data: Mapping[str, Any], *, method: str = "both", trials: int | None = None,
                    seed: int | None = None, adaptive: int | None = None) -> dict[str, Any]:
    """Evaluate a budget dict (JSON format v1) and return the result dict.

    This is the entry point ``lims`` uses for every measurement point.  Arguments other than
    ``data`` override the values in the budget.

    :param data: decoded budget (see ``docs/uncertainty/format.md``)
    :param method: ``"gum"``, ``"mcm"`` or ``"both"`` (both adds the JCGM 101 clause 8 validation)
    :param trials: number of Monte Carlo trials
    :param seed: Monte Carlo seed
    :param adaptive: n_dig for the adaptive procedure (JCGM 101 7.9)
    :returns: ``{"schema_version", "output", "gum"?, "mcm"?, "validation"?}``
    :raises BudgetError: naming the key and the problem

    >>> res = evaluate_budget({"model": "a + b", "inputs": {"a": {"value": 1, "u": 0.3},
    ...                        "b": {"value": 2, "u": 0.4}}}, method="gum")
    >>> res["gum"]["value"], round(res["gum"]["u"], 12), res["gum"]["rounded"]
    (3.0, 0.5, {'value': '3.00', 'U': '0.98'})
    """
    if method not in METHODS:
        raise BudgetError("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    spec = parse_budget(data)
    for key, value in (("trials", trials), ("seed", seed), ("adaptive", adaptive)):
        if value is not None:
            spec[key] = value
    result = {"schema_version": SCHEMA_VERSION, "output": spec["output"]}
    common = (spec["model"], spec["inputs"], spec["correlations"])
    if method in ("gum", "both"):
        try:
            g = gum(*common, coverage=spec["coverage"], k=spec["k"], dof_rule=spec["dof_rule"],
                    second_order=spec["second_order"])
        except ExpressionError as exc:  # only the second-order derivatives can still be refused here
            raise BudgetError("second_order", str(exc)) from None
        result["gum"] = gum_to_dict(g)
    if method in ("mcm", "both"):
        m = monte_carlo(*common, trials=spec["trials"], coverage=spec["coverage"], seed=spec["seed"],
                        adaptive=spec["adaptive"])
        result["mcm"] = mcm_to_dict(m)
    if method == "both":
        result["validation"] = validate(g, m, spec["validation_digits"]).as_dict()
    return result
