"""GUM framework: sensitivities, correlations, Welch-Satterthwaite, coverage factors."""
import math

import numpy as np
import pytest

from uncertainty import Model, coverage_factor, gum, gum_multi, normal, rectangular, welch_satterthwaite
from uncertainty.errors import BudgetError


def test_correlated_inputs_add_covariance_terms():
    """GUM 5.2.2 eq. (13): u^2 = u1^2 + u2^2 + 2 r u1 u2 for y = x1 + x2."""
    ins = [normal("a", 1.0, 0.3), normal("b", 2.0, 0.4)]
    res = gum("a + b", ins, [("a", "b", 0.5)])
    assert res.u == pytest.approx(math.sqrt(0.09 + 0.16 + 2 * 0.5 * 0.12))
    assert sum(row.share for row in res.budget) == pytest.approx(1.0)
    assert any("Welch" in w for w in res.warnings) is False  # infinite dof: no W-S warning


def test_fully_correlated_difference_cancels():
    res = gum("a - b", [normal("a", 1.0, 0.3), normal("b", 1.0, 0.3)], [("a", "b", 1.0)])
    assert res.u == pytest.approx(0.0, abs=1e-12)


def test_sensitivities_of_callable_match_expression():
    ins = [normal("V", 5.0, 0.01), normal("I", 0.02, 1e-5), rectangular("phi", 1.0, 0.001)]
    expr = gum("V/I*cos(phi)", ins)
    func = gum(lambda V, I, phi: V / I * np.cos(phi), ins)  # noqa: E741 (the physicist's names)
    for a, b in zip(expr.budget, func.budget, strict=False):
        assert b.sensitivity == pytest.approx(a.sensitivity, rel=1e-9)
    assert func.u == pytest.approx(expr.u, rel=1e-9)


def test_budget_rows_report_inputs_and_contributions():
    res = gum("2*a - 3*b", [normal("a", 1.0, 0.1, dof=4), normal("b", 1.0, 0.2)])
    a, b = res.budget
    assert (a.sensitivity, b.sensitivity) == (2.0, -3.0)
    assert (a.contribution, b.contribution) == pytest.approx((0.2, 0.6))
    assert a.dof == 4 and math.isinf(b.dof)
    assert res.dof == pytest.approx(res.u**4 / (0.2**4 / 4))


def test_coverage_factor_rules():
    assert coverage_factor(0.95, math.inf)[0] == pytest.approx(1.959964, abs=1e-6)
    assert coverage_factor(0.9545, math.inf)[0] == pytest.approx(2.0, abs=1e-3)
    assert coverage_factor(0.95, 18.9987) == (pytest.approx(2.093, abs=1e-3), 19.0)
    assert coverage_factor(0.95, 18.9987, "floor_strict")[1] == 18.0
    k_interp, used = coverage_factor(0.95, 18.5, "interpolate")
    assert used == 18.5 and coverage_factor(0.95, 19)[0] < k_interp < coverage_factor(0.95, 18)[0]
    assert coverage_factor(0.95, 0.5)[1] == 1.0


@pytest.mark.parametrize("kwargs, key", [
    ({"coverage": 1.0}, "coverage"), ({"coverage": True}, "coverage"), ({"dof_rule": "round"}, "dof_rule"),
])
def test_coverage_factor_rejects_bad_arguments(kwargs, key):
    with pytest.raises(BudgetError) as info:
        gum("a", [normal("a", 1.0, 0.1)], **kwargs)
    assert info.value.key == key


def test_welch_satterthwaite_infinite_when_all_dof_infinite():
    assert math.isinf(welch_satterthwaite(1.0, [0.5, 0.5], [math.inf, math.inf]))


def test_stipulated_k():
    res = gum("a", [normal("a", 1.0, 0.1, dof=3)], k=2)
    assert res.k == 2 and res.U == pytest.approx(0.2) and res.dof_rule == "stipulated k"


def test_second_order_terms_for_product_of_zero_mean_inputs():
    """GUM 5.1.2 note: y = x1 x2 with zero estimates has first-order u = 0, second order u1 u2."""
    ins = [normal("a", 0.0, 0.3), normal("b", 0.0, 0.5)]
    assert gum("a*b", ins).u == 0.0
    res = gum("a*b", ins, second_order=True)
    assert res.u == pytest.approx(0.15)
    assert res.second_order_share == pytest.approx(1.0)
    numeric = gum(lambda a, b: a * b, ins, second_order=True)
    assert numeric.u == pytest.approx(0.15, rel=1e-6)


def test_multi_output_covariance():
    ins = [normal("a", 1.0, 0.1), normal("b", 2.0, 0.2)]
    results, cov = gum_multi({"s": "a + b", "d": "a - b"}, ins)
    assert [r.name for r in results] == ["s", "d"]
    np.testing.assert_allclose(cov, [[0.05, 0.01 - 0.04], [-0.03, 0.05]])


def test_multi_output_callable_needs_names():
    ins = [normal("a", 1.0, 0.1)]
    model = Model(lambda a: (a, 2 * a), ["a"], outputs=("y1", "y2"))
    results, cov = gum_multi(model, ins)
    assert results[1].u == pytest.approx(0.2) and cov[0, 1] == pytest.approx(0.02)


def test_non_finite_model_value_is_a_clear_error():
    with pytest.raises(BudgetError, match="not finite"):
        gum("log(a)", [normal("a", 0.0, 0.1)])


@pytest.mark.parametrize("corr, problem", [
    ([("a", "zz", 0.1)], "unknown input"), ([("a", "a", 0.1)], "itself"), ([("a", "b", 1.5)], "between -1 and 1"),
    ([("a", "b", 0.1), ("b", "a", 0.2)], "duplicate"), ([("a", "b")], "must be"),
    ([("a", "b", 0.9), ("a", "c", 0.9), ("b", "c", -0.9)], "positive semi-definite"),
])
def test_bad_correlations_are_named(corr, problem):
    ins = [normal("a", 1.0, 0.1), normal("b", 1.0, 0.1), normal("c", 1.0, 0.1)]
    with pytest.raises(BudgetError, match=problem):
        gum("a + b + c", ins, corr)
