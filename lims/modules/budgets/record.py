"""Type budgets of a test point built from the record, evaluated by the ``uncertainty`` library.

The procedure file says how (its ``[budget]`` table: which model, GUM or Monte Carlo, how the
reference is used, the drift and buoyancy rules, each with its source); the record says with
what (the standards' calibration values found by :mod:`lims.modules.budgets.references`, the
stored readings, the job's repeatability and eccentricity indications). :func:`build` returns a
budget in the engine's JSON format v1 where every input carries ``source``; :func:`evaluate`
runs it and returns what is stored with the point: the contributions, ν_eff, k, U.

Models (EURAMET cg-18 v4.0 7.1 for scales; the same additive structure for the others), E the
error of indication:

* scale: ``E = IL + dIdigL + dIrep + dIecc − I0 − dIdig0 − (mref + dmB + dmD [+ dmI])``
* sphygmomanometer: ``E = p_ind + dp_res + dp_rep + dp_hyst − (p_ref + dp_ref_res [+ dp_I])``
* thermometer: ``E = t_ind + dt_res + dt_rep − (t_ref + dt_stab + dt_unif [+ dt_I])``

Plain data in and out; no database, no Flask.
"""
import math
import statistics
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lims.modules.budgets.evaluate import run_budget

TYPES = ("scale", "sphygmomanometer", "thermometer")


class BudgetInputError(ValueError):
    """The record does not allow a budget (the message says what is missing)."""


def _f(x):
    return float(x)


def _rect(value, half_width, description, source):
    return {"value": _f(value), "distribution": "rectangular", "half_width": _f(half_width),
            "description": description, "source": source}


def _exact(value, description, source):
    return {"value": _f(value), "u": 0.0, "description": description, "source": source}


def _reference_input(ref, name_zh, spec):
    """The reference value with its standard uncertainty (certificate: normal U/k; class: rectangular MPE)."""
    source = ref.describe()
    if ref.mode == "class":
        return {"value": _f(ref.value), "distribution": "rectangular", "half_width": _f(ref.class_mpe),
                "description": f"{name_zh} (OIML R 111 class MPE, rectangular)",
                "source": f"{source}; {spec.get('class_source', 'OIML R 111-1:2004 Table 1')}"}
    big_u = sum(p.U for p in ref.parts)
    k = ref.parts[0].k if len({p.k for p in ref.parts}) == 1 else None
    if ref.interpolation_half_width is not None:  # between two calibrated points: the larger u of the two
        return {"value": _f(ref.value), "u": _f(ref.u), "source": source,
                "description": f"{name_zh} (interpolated; u = the larger U/k of the two calibrated points)"}
    if k is not None:
        return {"value": _f(ref.value), "U": _f(big_u), "k": _f(k),
                "description": f"{name_zh} (U, k from the calibration certificate"
                               + (", weights summed, U added linearly)" if len(ref.parts) > 1 else ")"),
                "source": source}
    return {"value": _f(ref.value), "u": _f(ref.u), "description": f"{name_zh} (Σ U/k of the certificates)",
            "source": source}


def _repeatability(rep, description):
    """Normal input with u = s of the readings (single reading at the point), ν = n − 1."""
    values = [float(v) for v in rep["values"]]
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    u = s / math.sqrt(len(values)) if rep.get("mean") else s
    out = {"value": 0.0, "u": u, "description": description, "source": rep["source"]}
    if len(values) > 1:
        out["dof"] = len(values) - 1
    return out


def build(kind: str, spec: Mapping[str, Any], ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Budget dict (JSON format v1) of one point.

    :param kind: ``scale``, ``sphygmomanometer`` or ``thermometer`` (the procedure's ``budget.type``)
    :param spec: the procedure's ``[budget]`` table
    :param ctx: the record: ``unit``, ``indication`` (scales: pre-rounding P when ΔL was measured),
        ``reference`` (:class:`~lims.modules.budgets.references.Reference`), ``d``, and per type
        ``zero_error``, ``flash``, ``e``, ``repeatability`` / ``readings`` (``{"values", "source"}``),
        ``eccentricity`` (``{"values", "load", "source"}``), ``hysteresis`` (``{"up", "down", "source"}``),
        ``reference_d``, ``bath`` (``{"stability", "uniformity", "source"}``)
    :raises BudgetInputError: the record lacks something the model needs
    """
    if kind not in TYPES:
        raise BudgetInputError(f"budget.type must be one of {', '.join(TYPES)}")
    return {"scale": _scale, "sphygmomanometer": _sphyg, "thermometer": _thermo}[kind](spec, ctx)


def _common(model, ctx, spec, inputs):
    out = {"schema_version": 1, "model": model, "output": {"name": "E", "unit": ctx["unit"]}, "inputs": inputs,
           "coverage": float(spec.get("coverage", 0.9545)), "source": str(spec.get("source", ""))}
    return out


def _scale(spec, ctx):
    ref, unit, d = ctx["reference"], ctx["unit"], Decimal(ctx["d"])
    res_src = f"d = {d} {unit} (the instrument's declared characteristics); rectangular, u = d/√12"
    step = Decimal(str(spec.get("flash_step", "0.1"))) * Decimal(ctx["e"])
    flash_src = (f"flash-point method: small weights of {step} {unit} (= {spec.get('flash_step', '0.1')} e), "
                 "u = step/√12 (cg-18 7.1.1.1 changeover point)")
    inputs = {
        "IL": _exact(ctx["indication"], "加载示值 / indication at the test load", ctx.get("indication_source", "")),
        "dIdigL": _rect(0, (step if ctx.get("flash") else d) / 2, "加载示值的舍入 / rounding at load",
                        flash_src if ctx.get("flash") else res_src),
    }
    # cg-18 7.1.1.3: s from the repeatability test applies to every load; without it, the point's own readings
    rep = ctx.get("repeatability") or (ctx.get("readings") if ctx.get("readings") and
                                       len(ctx["readings"]["values"]) > 1 else None)
    if rep:
        inputs["dIrep"] = _repeatability(rep, "重复性 / repeatability (s of repeated weighings)")
    ecc = ctx.get("eccentricity")
    if ecc:
        vals = [Decimal(str(v)) for v in ecc["values"]]
        dev = max(abs(v - vals[0]) for v in vals)
        half = Decimal(ctx["nominal"]) * dev / (2 * Decimal(ecc["load"]))
        inputs["dIecc"] = _rect(0, half, "偏载 / eccentric loading, L·|ΔI_ecc|max/(2 L_ecc)",
                                f"{ecc['source']}; |ΔI_ecc|max = {dev} {unit} from the first position "
                                "(cg-18 7.1.1.4)")
    zero = Decimal(ctx.get("zero_error") or 0)
    zero_src = "E0 entered with the point" if ctx.get("zero_error") is not None else "zero set before loading"
    inputs["I0"] = _exact(zero, "空载示值 / indication at no load (E0)", zero_src)
    inputs["dIdig0"] = _rect(0, (step if ctx.get("zero_error") is not None and ctx.get("flash") else d) / 2,
                             "空载示值的舍入 / rounding at no load",
                             flash_src if ctx.get("zero_error") is not None and ctx.get("flash") else res_src)
    inputs["mref"] = _reference_input(ref, "标准砝码 / reference weights", spec)
    buoy = spec.get("buoyancy_fraction_of_class_mpe")
    if buoy is not None:
        if ref.class_mpe is None:
            raise BudgetInputError(f"air buoyancy: the accuracy class of {ref.describe()} has no OIML R 111 MPE; "
                                   "give the weights' class in the register")
        inputs["dmB"] = _rect(0, ref.class_mpe * Decimal(str(buoy)), "空气浮力 / air buoyancy",
                              f"{spec.get('buoyancy_source', '')}; MPE {ref.class_mpe} {unit} × {buoy}")
    if ref.mode == "certificate" and spec.get("drift_factor_of_U") is not None:
        big_u = sum(p.U for p in ref.parts)
        factor = Decimal(str(spec["drift_factor_of_U"]))
        inputs["dmD"] = _rect(0, big_u * factor, "砝码漂移 / drift of the weights since calibration",
                              f"{spec.get('drift_source', '')}; D = {factor} × U = {big_u * factor} {unit}")
    if ref.interpolation_half_width is not None:
        inputs["dmI"] = _rect(0, ref.interpolation_half_width, "内插 / interpolation between calibrated points",
                              ref.describe())
    minus = " - ".join(n for n in ("mref", "dmB", "dmD", "dmI") if n in inputs)
    plus = " + ".join(n for n in ("IL", "dIdigL", "dIrep", "dIecc") if n in inputs)
    return _common(f"{plus} - I0 - dIdig0 - {minus}", ctx, spec, inputs)


def _sphyg(spec, ctx):
    ref, unit, d = ctx["reference"], ctx["unit"], Decimal(ctx["d"])
    inputs = {
        "p_ind": _exact(ctx["indication"], "被检仪器示值 / indication", ctx.get("indication_source", "")),
        "dp_res": _rect(0, d / 2, "被检仪器分辨力 / resolution of the instrument",
                        f"d = {d} {unit} ({ctx.get('d_source', 'declared characteristics')}); u = d/√12"),
    }
    if ctx.get("readings") and len(ctx["readings"]["values"]) > 1:
        inputs["dp_rep"] = _repeatability(ctx["readings"], "重复性 / repeatability")
    hyst = ctx.get("hysteresis")
    if hyst:
        diff = abs(Decimal(hyst["up"]) - Decimal(hyst["down"]))
        inputs["dp_hyst"] = _rect(0, diff / 2, "回差 / hysteresis (half the rising–falling difference)",
                                  hyst["source"])
    inputs["p_ref"] = _reference_input(ref, "标准压力计 / reference manometer", spec)
    if ctx.get("reference_d"):
        inputs["dp_ref_res"] = _rect(0, Decimal(ctx["reference_d"]) / 2, "标准器分辨力 / resolution of the reference",
                                     f"{ref.describe()}: resolution {ctx['reference_d']} {unit}")
    if ref.interpolation_half_width is not None:
        inputs["dp_I"] = _rect(0, ref.interpolation_half_width, "内插 / interpolation", ref.describe())
    plus = " + ".join(n for n in ("p_ind", "dp_res", "dp_rep", "dp_hyst") if n in inputs)
    minus = " - ".join(n for n in ("p_ref", "dp_ref_res", "dp_I") if n in inputs)
    return _common(f"{plus} - {minus}", ctx, spec, inputs)


def _thermo(spec, ctx):
    ref, unit, d = ctx["reference"], ctx["unit"], Decimal(ctx["d"])
    bath = ctx.get("bath")
    if not bath:
        raise BudgetInputError("no bath characterisation (stability and uniformity) among the bench standards")
    inputs = {
        "t_ind": _exact(ctx["indication"], "体温计示值 / indication", ctx.get("indication_source", "")),
        "dt_res": _rect(0, d / 2, "分辨力 / resolution", f"d = {d} {unit} ({ctx.get('d_source', '')}); u = d/√12"),
    }
    if ctx.get("readings") and len(ctx["readings"]["values"]) > 1:
        inputs["dt_rep"] = _repeatability(ctx["readings"], "重复性 / repeatability")
    inputs["t_ref"] = _reference_input(ref, "标准温度计 / reference thermometer", spec)
    inputs["dt_stab"] = _rect(0, bath["stability"], "恒温槽波动性 / bath stability", bath["source"])
    inputs["dt_unif"] = _rect(0, bath["uniformity"], "恒温槽均匀性 / bath uniformity", bath["source"])
    if ref.interpolation_half_width is not None:
        inputs["dt_I"] = _rect(0, ref.interpolation_half_width, "内插 / interpolation", ref.describe())
    plus = " + ".join(n for n in ("t_ind", "dt_res", "dt_rep") if n in inputs)
    minus = " - ".join(n for n in ("t_ref", "dt_stab", "dt_unif", "dt_I") if n in inputs)
    return _common(f"{plus} - {minus}", ctx, spec, inputs)


def evaluate(budget: Mapping[str, Any], method: str = "gum", seed: int = 1) -> dict[str, Any]:
    """Evaluate ``budget`` and return the stored form of the point's budget.

    :param method: ``gum`` (GUM + Welch–Satterthwaite) or ``mcm`` (Monte Carlo, JCGM 101, 10⁵ trials,
        with the GUM result beside it and the clause 8 validation)
    :returns: ``{"method", "model", "unit", "value", "u", "U", "k", "nu_eff", "coverage", "inputs": [{name,
        description, source, distribution, u, sensitivity, contribution, share, dof}], "mcm"?}``
    :raises BudgetInputError: the engine refused the budget (its message names the key)
    """
    try:
        result = run_budget(budget, method, seed)
    except ValueError as exc:
        raise BudgetInputError(str(exc)) from exc
    g = result["gum"]
    rows = []
    for row in g["budget"]:
        spec = budget["inputs"][row["name"]]
        rows.append({"name": row["name"], "description": spec.get("description", ""), "source": spec.get("source", ""),
                     "distribution": row["distribution"], "u": row["u"], "sensitivity": row["sensitivity"],
                     "contribution": row["contribution"], "share": row["share"], "dof": row["dof"]})
    out = {"method": method, "model": budget["model"], "unit": budget["output"]["unit"], "value": g["value"],
           "u": g["u"], "U": g["U"], "k": g["k"], "nu_eff": g["dof"], "coverage": g["coverage"], "inputs": rows,
           "rounded_U": g["rounded"]["U"], "source": budget.get("source", "")}
    if method == "mcm":
        m = result["mcm"]
        half = max(m["value"] - m["interval"][0], m["interval"][1] - m["value"])
        out["mcm"] = {"interval": m["interval"], "u": m["u"], "trials": m["trials"], "seed": m["seed"],
                      "validation_passed": result["validation"]["passed"]}
        out["U"] = half
        out["k"] = half / g["u"] if g["u"] > 0 else g["k"]
    return out
