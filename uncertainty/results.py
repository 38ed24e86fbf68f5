"""Frozen result objects returned by the GUM and Monte Carlo evaluations.

Numerical problems that do not stop the evaluation (non-finite Monte Carlo outputs, too few
trials, correlated inputs in Welch–Satterthwaite, ...) are collected in ``warnings``.
``math.inf`` degrees of freedom mean "infinite" (serialised as ``null`` in JSON).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["BudgetRow", "GumResult", "McResult", "Validation"]


@dataclass(frozen=True)
class BudgetRow:
    """One line of an uncertainty budget (GUM 5.1, 7.2.5).

    :ivar name: input name
    :ivar value: estimate x_i
    :ivar u: standard uncertainty u(x_i)
    :ivar sensitivity: c_i = df/dx_i at the estimates
    :ivar contribution: u_i(y) = |c_i| u(x_i)
    :ivar share: this input's part of u_c^2(y): ``c_i u_i sum_j r_ij c_j u_j / u_c^2``
        (equal to ``u_i(y)^2/u_c^2`` without correlations; shares plus ``second_order_share``
        of the result sum to 1)
    :ivar dof: degrees of freedom of u(x_i)
    :ivar distribution: the input's distribution name
    """

    name: str
    value: float
    u: float
    sensitivity: float
    contribution: float
    share: float
    dof: float
    distribution: str


@dataclass(frozen=True)
class GumResult:
    """Result of the GUM uncertainty framework (JCGM 100) for one output.

    :ivar name: output name
    :ivar value: estimate y
    :ivar u: combined standard uncertainty u_c(y)
    :ivar dof: effective degrees of freedom (Welch–Satterthwaite, GUM G.4.1)
    :ivar dof_used: the degrees of freedom used for ``k`` after ``dof_rule``
    :ivar k: coverage factor
    :ivar U: expanded uncertainty ``k*u``
    :ivar coverage: coverage probability p
    :ivar interval: ``(y - U, y + U)``
    :ivar budget: tuple of :class:`BudgetRow`
    :ivar dof_rule: rule used to turn ``dof`` into ``dof_used``
    :ivar second_order: whether GUM 5.1.2 note second-order terms are included
    :ivar second_order_share: part of u_c^2 due to the second-order terms
    :ivar warnings: tuple of messages
    """

    name: str
    value: float
    u: float
    dof: float
    dof_used: float
    k: float
    U: float
    coverage: float
    interval: tuple
    budget: tuple
    dof_rule: str = "floor"
    second_order: bool = False
    second_order_share: float = 0.0
    warnings: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data copy (tuples become lists).

        :returns: dict
        """
        return asdict(self)


@dataclass(frozen=True)
class McResult:
    """Result of the Monte Carlo method (JCGM 101) for one output.

    :ivar name: output name
    :ivar value: estimate y (mean of the model values, JCGM 101 7.6)
    :ivar u: standard uncertainty (standard deviation of the model values)
    :ivar coverage: coverage probability p
    :ivar interval: probabilistically symmetric coverage interval (JCGM 101 7.7.2)
    :ivar shortest_interval: shortest coverage interval (JCGM 101 7.7.3)
    :ivar trials: number of trials M used
    :ivar seed: entropy of the :class:`numpy.random.SeedSequence` (pass it back as ``seed``
        to repeat the run bit for bit)
    :ivar adaptive_digits: n_dig of the adaptive procedure (JCGM 101 7.9), or ``None``
    :ivar warnings: tuple of messages
    """

    name: str
    value: float
    u: float
    coverage: float
    interval: tuple
    shortest_interval: tuple
    trials: int
    seed: int
    adaptive_digits: int | None = None
    warnings: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data copy.

        :returns: dict
        """
        return asdict(self)


@dataclass(frozen=True)
class Validation:
    """Validation of the GUM framework by MCM (JCGM 101 clause 8).

    :ivar tolerance: numerical tolerance delta from u(y) with ``digits`` significant digits
    :ivar d_low: ``|y - U_p - y_low|``
    :ivar d_high: ``|y + U_p - y_high|``
    :ivar passed: ``d_low <= delta and d_high <= delta``
    :ivar digits: n_dig
    """

    tolerance: float
    d_low: float
    d_high: float
    passed: bool
    digits: int

    def as_dict(self) -> dict[str, Any]:
        """Plain-data copy.

        :returns: dict
        """
        return asdict(self)
