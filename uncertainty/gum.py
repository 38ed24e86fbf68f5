"""The GUM uncertainty framework (JCGM 100:2008): law of propagation of uncertainty.

* estimate ``y = f(x)`` and sensitivity coefficients ``c_i`` (5.1.3), exact for expressions;
* combined standard uncertainty with correlation terms (5.2.2, eq. 13);
* optional second-order terms for non-linear models (5.1.2 note, eq. 10; independent inputs);
* Welch–Satterthwaite effective degrees of freedom (G.4.1, eq. G.2b);
* coverage factor from the t-distribution (G.3, G.4) and expanded uncertainty (6.2);
* several outputs of one model with their covariance (7.2.5, example H.2).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from .errors import BudgetError
from .model import Correlations, Model, ModelLike, as_model, check_finite, correlation_matrix
from .quantities import InputQuantity
from .results import BudgetRow, GumResult

__all__ = ["gum", "gum_multi", "coverage_factor", "welch_satterthwaite", "DOF_RULES"]

log = logging.getLogger(__name__)

#: How the effective degrees of freedom become the dof of the t-quantile for ``k``:
#: ``floor`` truncates to the next lower integer as GUM G.4.1 does, after allowing 0.01 of
#: numerical slack (nu_eff = 18.9987 computed from unrounded inputs is taken as 19, as the GUM
#: does in G.4.1 example 1 where it evaluates with u_c rounded); ``floor_strict`` truncates
#: without slack; ``interpolate`` uses the fractional nu_eff in the t-quantile directly.
DOF_RULES = ("floor", "floor_strict", "interpolate")
DOF_SLACK = 0.01


def coverage_factor(coverage: float = 0.95, dof: float = math.inf, rule: str = "floor") -> tuple[float, float]:
    """Coverage factor ``k = t_p(nu)`` (GUM G.3.4, G.4.1; normal quantile when nu is infinite).

    :param coverage: coverage probability p, 0 < p < 1
    :param dof: degrees of freedom (``math.inf`` for the normal distribution)
    :param rule: one of :data:`DOF_RULES`
    :returns: ``(k, dof_used)``
    :raises BudgetError: for a bad probability, dof or rule

    >>> k, nu = coverage_factor(0.95, 19.0)
    >>> round(k, 3), nu
    (2.093, 19.0)
    >>> round(coverage_factor(0.99, 16.7)[0], 2)  # GUM H.1.6: t99(16) = 2.92
    2.92
    """
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float)) or not 0 < coverage < 1:
        raise BudgetError("coverage", f"must be a probability between 0 and 1, got {coverage!r}")
    if rule not in DOF_RULES:
        raise BudgetError("dof_rule", f"must be one of {', '.join(DOF_RULES)}, got {rule!r}")
    if not dof > 0:
        raise BudgetError("dof", f"must be > 0, got {dof!r}")
    q = 0.5 + coverage / 2.0
    if math.isinf(dof):
        return float(special.ndtri(q)), math.inf
    used = float(dof)
    if rule != "interpolate":
        used = float(math.floor(dof + (DOF_SLACK if rule == "floor" else 0.0)))
        used = max(used, 1.0)
    return float(special.stdtrit(used, q)), used


def welch_satterthwaite(u_c: float, contributions: Sequence[float], dofs: Sequence[float]) -> float:
    """Effective degrees of freedom (GUM G.4.1, eq. G.2b).

    :param u_c: combined standard uncertainty
    :param contributions: u_i(y) = |c_i| u(x_i)
    :param dofs: degrees of freedom of each u(x_i) (``math.inf`` allowed)
    :returns: nu_eff (``math.inf`` if every dof is infinite)

    >>> round(welch_satterthwaite(1.03, [0.25, 0.57, 0.82], [9, 4, 14]), 1)  # GUM G.4.1 ex. 1
    19.0
    """
    if u_c == 0:
        return math.inf
    # in terms of c_i/u_c, so that neither the 4th powers overflow nor 0/0 arises
    denom = sum((c / u_c)**4 / nu for c, nu in zip(contributions, dofs, strict=False) if not math.isinf(nu) and c != 0)
    if denom == 0:
        return math.inf
    return 1.0 / denom


def _prepare(model, inputs, correlations, outputs) -> tuple[tuple[InputQuantity, ...], Model, Any, Any, Any]:
    inputs = tuple(inputs)
    if not inputs:
        raise BudgetError("inputs", "at least one input quantity is required")
    names = [q.name for q in inputs]
    model = as_model(model, names, outputs)
    r = correlation_matrix(names, correlations)
    x = np.array([q.value for q in inputs], dtype=float)
    u = np.array([q.u for q in inputs], dtype=float)
    return inputs, model, r, x, u


def gum_multi(model: ModelLike, inputs: Sequence[InputQuantity], correlations: Correlations = (), *,
              coverage: float = 0.95, k: float | None = None, dof_rule: str = "floor", second_order: bool = False,
              outputs: Sequence[str] | None = None) -> tuple[tuple[GumResult, ...], np.ndarray]:
    """GUM evaluation of a model with one or more outputs, with the output covariance.

    :param model: :class:`~uncertainty.model.Model`, expression, mapping of expressions or callable
    :param inputs: sequence of :class:`~uncertainty.quantities.InputQuantity`
    :param correlations: ``[(name_a, name_b, r), ...]``
    :param coverage: coverage probability
    :param k: a stipulated coverage factor (e.g. 2), instead of the t-quantile
    :param dof_rule: see :data:`DOF_RULES`
    :param second_order: add the second-order terms of GUM 5.1.2 note (eq. 10)
    :param outputs: output names for callables
    :returns: ``(results, covariance)``: a tuple of :class:`GumResult` and the output
        covariance matrix (GUM H.2.3)
    :raises BudgetError: for invalid inputs or a non-finite model value
    """
    inputs, model, r, x, u = _prepare(model, inputs, correlations, outputs)
    env = dict(zip(model.names, x, strict=False))
    with np.errstate(all="ignore"):
        values = [float(v) for v in model(env)]
        jac = model.jacobian(x, u)
    check_finite(values, "the model value")
    check_finite(jac, "a sensitivity coefficient")
    with np.errstate(all="ignore"):
        scaled = jac * u  # c_ij u_j
        cov = scaled @ r @ scaled.T
        results = tuple(
            _single(model, i, inputs, r, x, u, values[i], scaled[i], jac[i], cov[i, i],
                    coverage, k, dof_rule, second_order)
            for i in range(model.n_outputs))
    variances = np.array([res.u**2 for res in results])
    np.fill_diagonal(cov, variances)
    return results, cov


def gum(model: ModelLike, inputs: Sequence[InputQuantity], correlations: Correlations = (), *,
        coverage: float = 0.95, k: float | None = None, dof_rule: str = "floor", second_order: bool = False,
        output: int = 0) -> GumResult:
    """GUM evaluation of one output (JCGM 100 clause 5, annex G).

    :param model: :class:`~uncertainty.model.Model`, expression text or callable
    :param inputs: sequence of :class:`~uncertainty.quantities.InputQuantity`
    :param correlations: ``[(name_a, name_b, r), ...]``
    :param coverage: coverage probability
    :param k: a stipulated coverage factor instead of the t-quantile
    :param dof_rule: see :data:`DOF_RULES`
    :param second_order: include the GUM 5.1.2 note second-order terms
    :param output: output index for a multi-output model
    :returns: :class:`GumResult`

    >>> from uncertainty.quantities import normal
    >>> res = gum("X1 + X2", [normal("X1", 1.0, 0.3), normal("X2", 2.0, 0.4)])
    >>> res.value, round(res.u, 12), round(res.k, 2)
    (3.0, 0.5, 1.96)
    """
    results, _ = gum_multi(model, inputs, correlations, coverage=coverage, k=k, dof_rule=dof_rule,
                           second_order=second_order)
    return results[output]


def _single(model, index, inputs, r, x, u, value, scaled, jac, variance, coverage, k, dof_rule, second_order):
    warnings = []
    first = float(variance)
    extra = 0.0
    if second_order:
        extra = _second_order_variance(model, index, x, u, jac)
        if np.any(r != np.eye(len(u))):
            warnings.append("second-order terms (GUM 5.1.2 note) assume independent inputs")
    total = max(first + extra, 0.0)
    if not math.isfinite(total):
        raise BudgetError("inputs", "the combined standard uncertainty overflows (is not finite); "
                                    "check the magnitudes of the estimates and uncertainties")
    u_c = math.sqrt(total)
    contributions = np.abs(scaled)
    dofs = [q.dof for q in inputs]
    nu = welch_satterthwaite(u_c, contributions, dofs)
    if np.any(r != np.eye(len(u))) and not math.isinf(nu):
        warnings.append("Welch-Satterthwaite (GUM G.4.1) assumes independent inputs; correlations present, "
                        "nu_eff not taken below the smallest input dof")
        nu = max(nu, min(d for d, c in zip(dofs, contributions, strict=False) if c > 0))
    if k is None:
        kk, used = coverage_factor(coverage, nu, dof_rule)
    else:
        kk = float(k)
        if not kk > 0 or not math.isfinite(kk):
            raise BudgetError("k", f"must be a positive number, got {k!r}")
        used = nu
    shares = scaled * (r @ scaled) / total if total > 0 else np.zeros_like(scaled)
    budget = tuple(
        BudgetRow(q.name, q.value, q.u, float(c), float(ci), float(s), q.dof, q.distribution)
        for q, c, ci, s in zip(inputs, jac, contributions, shares, strict=False))
    expanded = kk * u_c
    if not math.isfinite(expanded) or not math.isfinite(value + expanded) or not math.isfinite(value - expanded):
        raise BudgetError("inputs", "the expanded uncertainty or the coverage interval overflows (is not finite)")
    return GumResult(
        name=model.outputs[index], value=value, u=u_c, dof=nu, dof_used=used, k=kk, U=expanded,
        coverage=float(coverage), interval=(value - expanded, value + expanded), budget=budget,
        dof_rule=dof_rule if k is None else "stipulated k", second_order=bool(second_order),
        second_order_share=extra / total if total > 0 else 0.0, warnings=tuple(warnings))


def _second_order_variance(model, index, x, u, jac):
    """Sum over i, j of (H_ij^2/2 + c_i T_ij) u_i^2 u_j^2 (GUM eq. 10 higher-order terms)."""
    hess, third = model.higher_derivatives(x, u, index)
    check_finite(hess, "a second derivative")
    check_finite(third, "a third derivative")
    u2 = u**2
    weights = np.outer(u2, u2)
    return float(np.sum((0.5 * hess**2 + jac[:, None] * third) * weights))
