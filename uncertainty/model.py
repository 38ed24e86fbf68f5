"""Measurement models Y = f(X): an expression (or several) or a vectorised Python callable.

A :class:`Model` evaluates the model on arrays of trials (Monte Carlo) and provides the
derivatives the GUM framework needs: exact ones for expressions (symbolic differentiation of
the whitelisted tree, :mod:`uncertainty.expression`) and five-point central differences for
callables.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

import numpy as np

from .errors import BudgetError
from .expression import Expression

__all__ = ["Model", "as_model", "correlation_matrix"]

log = logging.getLogger(__name__)

#: what the engines accept as a model: a :class:`Model`, expression text, output name -> expression, or a callable
ModelLike = Union["Model", str, Mapping[str, str], Callable[..., Any]]
#: ``[(name_a, name_b, r), ...]``
Correlations = Iterable[tuple[str, str, float]]


class Model:
    """A model with one or more outputs over named inputs.

    :param model: expression text, a mapping ``{output_name: expression}``, or a callable
        taking the inputs as keyword arguments and returning an array (or a tuple of arrays
        for several outputs); callables must accept NumPy arrays (vectorised)
    :param names: input names, in budget order
    :param outputs: output names (default ``("y",)``, or the mapping's keys)
    :raises ExpressionError: if an expression is refused
    :raises BudgetError: if the arguments are inconsistent

    >>> m = Model({"R": "V/I*cos(phi)", "X": "V/I*sin(phi)"}, ["V", "I", "phi"])
    >>> m.outputs
    ('R', 'X')
    """

    def __init__(self, model, names, outputs=None):
        self.names = tuple(names)
        if len(set(self.names)) != len(self.names):
            raise BudgetError("inputs", "input names must be unique")
        self.callable = None
        if isinstance(model, str):
            self.expressions = (Expression(model, self.names),)
            self.outputs = tuple(outputs or ("y",))
        elif isinstance(model, Mapping):
            if not model:
                raise BudgetError("model", "needs at least one output expression")
            self.expressions = tuple(Expression(text, self.names) for text in model.values())
            self.outputs = tuple(model)
        elif callable(model):
            self.expressions = None
            self.callable = model
            self.outputs = tuple(outputs or ("y",))
        else:
            raise BudgetError("model", f"must be an expression string or a callable, got {type(model).__name__}")
        if self.expressions is not None and len(self.outputs) != len(self.expressions):
            raise BudgetError("output", "number of output names does not match the model")

    @property
    def n_outputs(self) -> int:
        """Number of outputs."""
        return len(self.outputs)

    def __call__(self, env):
        """Evaluate every output.

        :param env: mapping of input name to float or array
        :returns: list of outputs (each a float or an array)
        """
        if self.expressions is not None:
            return [e(env) for e in self.expressions]
        result = self.callable(**env)
        if self.n_outputs == 1:
            return [result]
        if len(result) != self.n_outputs:
            raise BudgetError("model", f"callable returned {len(result)} outputs, expected {self.n_outputs}")
        return list(result)

    def jacobian(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Sensitivity coefficients c_ij = df_i/dx_j at the estimates (GUM 5.1.3).

        :param x: estimates, in the order of ``names``
        :param u: standard uncertainties (set the finite-difference steps for callables)
        :returns: array of shape ``(n_outputs, n_inputs)``
        """
        env = dict(zip(self.names, x, strict=False))
        if self.expressions is not None:
            return np.array([[float(g) for g in e.gradient(env)] for e in self.expressions], dtype=float)
        steps = _steps(x, u, 1e-3)
        offsets = np.array([2.0, 1.0, -1.0, -2.0])
        n = len(x)
        points = np.tile(np.asarray(x, dtype=float), (4 * n, 1))
        for j in range(n):
            points[4 * j:4 * j + 4, j] += offsets * steps[j]
        values = self._evaluate_points(points)
        f = values.reshape(self.n_outputs, n, 4)
        return (-f[..., 0] + 8 * f[..., 1] - 8 * f[..., 2] + f[..., 3]) / (12.0 * steps)

    def higher_derivatives(self, x: np.ndarray, u: np.ndarray, output: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Second and third derivatives for GUM 5.1.2 note (eq. 10).

        :param x: estimates
        :param u: standard uncertainties (finite-difference steps for callables)
        :param output: output index
        :returns: ``(H, T)``, ``H[i, j] = d2f/dxi dxj`` and ``T[i, j] = d3f/dxi dxj2``
        """
        if self.expressions is not None:
            return self.expressions[output].higher_derivatives(dict(zip(self.names, x, strict=False)))
        return _numeric_higher(lambda p: self._evaluate_points(p)[output], np.asarray(x, float), _steps(x, u, 1e-2))

    def _evaluate_points(self, points):
        env = {name: points[:, j] for j, name in enumerate(self.names)}
        with np.errstate(all="ignore"):
            outputs = self(env)
        return np.array([np.broadcast_to(np.asarray(o, dtype=float), (points.shape[0],)) for o in outputs])


def _steps(x, u, factor):
    x, u = np.asarray(x, dtype=float), np.asarray(u, dtype=float)
    fallback = 1e-6 * np.maximum(np.abs(x), 1.0)
    return np.where(u > 0, u * factor, fallback)


def _numeric_higher(f, x, h):
    """Finite-difference Hessian and third derivatives T[i, j] = d3f/dxi dxj2."""
    n = len(x)
    points, index = [], {}

    def at(*moves):
        key = tuple(sorted(moves))
        if key not in index:
            p = x.copy()
            for j, m in moves:
                p[j] += m * h[j]
            index[key] = len(points)
            points.append(p)
        return index[key]

    def merged(*moves):
        acc = {}
        for j, m in moves:
            acc[j] = acc.get(j, 0) + m
        return at(*[(j, m) for j, m in acc.items() if m])

    plan = []
    for i in range(n):
        for j in range(n):
            hij = [merged((i, a), (j, b)) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            tij = [merged((i, a), (j, b)) for a in (1, -1) for b in (1, 0, -1)]
            plan.append((i, j, hij, tij))
    values = f(np.array(points))
    hess, third = np.zeros((n, n)), np.zeros((n, n))
    for i, j, hij, tij in plan:
        v = values[hij]
        hess[i, j] = (v[0] - v[1] - v[2] + v[3]) / (4 * h[i] * h[j])
        t = values[tij]
        fjj_plus = (t[0] - 2 * t[1] + t[2]) / h[j] ** 2
        fjj_minus = (t[3] - 2 * t[4] + t[5]) / h[j] ** 2
        third[i, j] = (fjj_plus - fjj_minus) / (2 * h[i])
    return hess, third


def as_model(model: ModelLike, names: Sequence[str], outputs: Sequence[str] | None = None) -> Model:
    """Return ``model`` if it is already a :class:`Model`, else build one.

    :param model: a :class:`Model`, expression text, mapping of expressions or callable
    :param names: input names
    :param outputs: output names
    :returns: :class:`Model`
    """
    if isinstance(model, Model):
        if model.names != tuple(names):
            raise BudgetError("model", "was built for different input names")
        return model
    return Model(model, names, outputs)


def correlation_matrix(names: Sequence[str], correlations: Correlations) -> np.ndarray:
    """Build the correlation matrix from ``[(name_a, name_b, r), ...]``.

    :param names: input names, in budget order
    :param correlations: iterable of ``(a, b, r)``
    :returns: symmetric ``(n, n)`` array with ones on the diagonal
    :raises BudgetError: naming the offending entry (unknown name, |r| > 1, duplicate, not PSD)

    >>> correlation_matrix(["a", "b"], [("a", "b", 0.5)]).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    pos = {n: i for i, n in enumerate(names)}
    r = np.eye(len(names))
    seen = set()
    for k, entry in enumerate(correlations or ()):
        key = f"correlations[{k}]"
        if isinstance(entry, (str, bytes)) or not hasattr(entry, "__len__") or len(entry) != 3:
            raise BudgetError(key, "must be [name_a, name_b, r]")
        a, b, value = entry
        for name in (a, b):
            if not isinstance(name, str) or name not in pos:
                raise BudgetError(key, f"unknown input {name!r}")
        if a == b:
            raise BudgetError(key, f"an input cannot be correlated with itself ({a!r})")
        if frozenset((a, b)) in seen:
            raise BudgetError(key, f"duplicate pair ({a!r}, {b!r})")
        seen.add(frozenset((a, b)))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
            raise BudgetError(key, f"r must be a number between -1 and 1, got {value!r}")
        r[pos[a], pos[b]] = r[pos[b], pos[a]] = float(value)
    if seen and np.linalg.eigvalsh(r).min() < -1e-10:
        raise BudgetError("correlations", "the correlation matrix is not positive semi-definite")
    return r


def check_finite(values: Any, what: str) -> None:
    """Raise if any model value is not finite.

    :param values: iterable of floats
    :param what: description used in the message
    :raises BudgetError: naming ``what``
    """
    for v in np.ravel(values):
        if not math.isfinite(float(v)):
            raise BudgetError("model", f"{what} is not finite ({float(v)}) at the input estimates")

