"""Calibration curves: least-squares straight lines with the uncertainty of their use.

* ordinary least squares with the Type A uncertainties of the coefficients, their
  correlation and the uncertainty of a predicted value (JCGM 100:2008 H.3);
* weighted least squares when every response has a known standard uncertainty
  (coefficient covariance ``(X^T W X)^-1``, ``W = diag(1/u_k^2)``).

The line is ``y = a + b*(x - x0)``; choose ``x0`` as in GUM H.3 (t0 = 20 °C) to keep the
coefficients' correlation small.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import BudgetError
from .quantities import InputQuantity

__all__ = ["LineFit", "fit_line"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineFit:
    """A fitted straight line ``y = intercept + slope*(x - x0)``.

    :ivar intercept: a (value at ``x0``)
    :ivar slope: b
    :ivar u_intercept: u(a)
    :ivar u_slope: u(b)
    :ivar correlation: r(a, b)
    :ivar s: standard deviation of the residuals (OLS) or sqrt(chi2/dof) (WLS)
    :ivar dof: n - 2
    :ivar n: number of points
    :ivar x0: centring point
    :ivar weighted: True for weighted least squares
    """

    intercept: float
    slope: float
    u_intercept: float
    u_slope: float
    correlation: float
    s: float
    dof: int
    n: int
    x0: float
    weighted: bool

    @property
    def covariance(self) -> np.ndarray:
        """2x2 covariance matrix of (intercept, slope)."""
        c = self.correlation * self.u_intercept * self.u_slope
        return np.array([[self.u_intercept**2, c], [c, self.u_slope**2]])

    def predict(self, x: float) -> tuple[float, float]:
        """Value of the line at ``x`` and its standard uncertainty (GUM H.3.4).

        :param x: a number
        :returns: ``(y, u(y))``
        """
        theta = float(x) - self.x0
        var = self.u_intercept**2 + theta**2 * self.u_slope**2 \
            + 2 * theta * self.correlation * self.u_intercept * self.u_slope
        return self.intercept + self.slope * theta, math.sqrt(max(var, 0.0))

    def as_inputs(self, names: tuple[str, str] = ("a", "b")
                  ) -> tuple[list[InputQuantity], list[tuple[str, str, float]]]:
        """The coefficients as correlated input quantities for a further budget.

        :param names: names of the intercept and the slope
        :returns: ``([InputQuantity, InputQuantity], [(a, b, r)])``
        """
        dof = math.inf if self.weighted else float(self.dof)
        inputs = [InputQuantity(names[0], self.intercept, self.u_intercept, dof),
                  InputQuantity(names[1], self.slope, self.u_slope, dof)]
        return inputs, [(names[0], names[1], self.correlation)]


def _vector(key, values):
    if isinstance(values, (str, bytes)):
        raise BudgetError(key, "must be a list of numbers")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise BudgetError(key, "must be a list of numbers") from None
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise BudgetError(key, "must be a flat list of finite numbers")
    return arr


def fit_line(x: Sequence[float], y: Sequence[float], *, u_y: Sequence[float] | None = None,
             x0: float = 0.0) -> LineFit:
    """Fit ``y = a + b*(x - x0)`` by ordinary (or, with ``u_y``, weighted) least squares.

    :param x: abscissae (exact)
    :param y: responses
    :param u_y: standard uncertainties of the responses (weighted fit), or ``None``
    :param x0: centring point
    :returns: :class:`LineFit`
    :raises BudgetError: for fewer than 3 points, mismatched lengths, equal abscissae or u_y <= 0

    >>> f = fit_line([1, 2, 3, 4], [2.1, 3.9, 6.1, 7.9])
    >>> round(f.intercept, 6), round(f.slope, 6)
    (0.1, 1.96)
    """
    xs, ys = _vector("x", x), _vector("y", y)
    if xs.size != ys.size:
        raise BudgetError("y", f"has {ys.size} values but x has {xs.size}")
    if xs.size < 3:
        raise BudgetError("x", f"needs at least 3 points, got {xs.size}")
    theta = xs - float(x0)
    if np.ptp(theta) == 0:
        raise BudgetError("x", "all abscissae are equal")
    if u_y is None:
        w = np.ones_like(ys)
    else:
        uy = _vector("u_y", u_y)
        if uy.size != ys.size or np.any(uy <= 0):
            raise BudgetError("u_y", "needs one positive uncertainty per point")
        w = 1.0 / uy**2
    design = np.column_stack([np.ones_like(theta), theta])
    normal = design.T @ (design * w[:, None])
    cov = np.linalg.inv(normal)
    coef = cov @ (design.T @ (w * ys))
    resid = ys - design @ coef
    dof = xs.size - 2
    chi2 = float(np.sum(w * resid**2))
    s = math.sqrt(chi2 / dof)
    if u_y is None:
        cov = cov * s**2
    ua, ub = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    return LineFit(float(coef[0]), float(coef[1]), ua, ub, float(cov[0, 1] / (ua * ub)), s, dof, int(xs.size),
                   float(x0), u_y is not None)
