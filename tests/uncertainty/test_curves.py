"""Least-squares straight lines (GUM H.3) and weighted fits."""
import numpy as np
import pytest

from uncertainty import fit_line, gum
from uncertainty.errors import BudgetError


def test_exact_line_has_zero_residual():
    fit = fit_line([0, 1, 2, 3], [1.0, 3.0, 5.0, 7.0])
    assert (fit.intercept, fit.slope) == pytest.approx((1.0, 2.0))
    assert fit.s == pytest.approx(0.0, abs=1e-12) and fit.dof == 2


def test_weighted_fit_uses_response_uncertainties():
    x = np.arange(6.0)
    y = 0.5 + 2.0 * x + np.array([0.01, -0.02, 0.015, 0.0, -0.01, 0.02])
    u = np.full(6, 0.02)
    fit = fit_line(x, y, u_y=u)
    # covariance (X^T W X)^-1: u(slope) = u/sqrt(Sxx)
    assert fit.u_slope == pytest.approx(0.02 / np.sqrt(np.sum((x - x.mean()) ** 2)))
    assert fit.weighted
    unweighted_point = fit_line(x, y, u_y=np.where(x == 5, 1e3, 0.02))
    assert unweighted_point.slope != pytest.approx(fit.slope, abs=1e-9)


def test_coefficients_feed_a_budget_with_their_correlation():
    fit = fit_line([21.5, 23.0, 24.5, 26.0], [-0.171, -0.166, -0.162, -0.158], x0=20.0)
    inputs, corr = fit.as_inputs(("y1", "y2"))
    res = gum("y1 + y2*(30 - 20)", inputs, corr)
    assert res.value == pytest.approx(fit.predict(30.0)[0])
    assert res.u == pytest.approx(fit.predict(30.0)[1])


@pytest.mark.parametrize("x, y, kw, key", [
    ([1, 2], [1, 2], {}, "x"), ([1, 2, 3], [1, 2], {}, "y"), ([1, 1, 1], [1, 2, 3], {}, "x"),
    ([1, 2, 3], [1, 2, "a"], {}, "y"), ([1, 2, 3], [1, 2, 3], {"u_y": [1, 0, 1]}, "u_y"),
])
def test_bad_data_named(x, y, kw, key):
    with pytest.raises(BudgetError) as info:
        fit_line(x, y, **kw)
    assert info.value.key == key
