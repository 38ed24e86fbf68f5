"""GUM and Monte Carlo measurement-uncertainty engine (JCGM 100, JCGM 101, JCGM 106).

A pure library: NumPy and SciPy only; no Flask, database, files or global state.

Entry points used by ``lims``:

* :func:`evaluate_budget` (budget dict in JSON format v1 -> result dict)
* :func:`evaluate_instrument` (scale, sphygmomanometer, thermometer budgets)
* :func:`decide` (conformity decision) and :func:`round_result` (certificate rounding)
"""
from .budgets import evaluate_instrument, scale_budget, sphygmomanometer_budget, thermometer_budget
from .conformity import Decision, decide, probability_of_conformity
from .curves import LineFit, fit_line
from .errors import BudgetError, ExpressionError, UncertaintyError
from .gum import coverage_factor, gum, gum_multi, welch_satterthwaite
from .model import Model
from .montecarlo import coverage_intervals, monte_carlo, numerical_tolerance, validate
from .quantities import (
                         InputQuantity,
                         arcsine,
                         normal,
                         rectangular,
                         student_t,
                         trapezoidal,
                         triangular,
                         type_a,
                         type_a_correlated,
)
from .reporting import budget_table, round_result, round_uncertainty
from .results import BudgetRow, GumResult, McResult, Validation
from .serialization import SCHEMA_VERSION, budget_schema, evaluate_budget, parse_budget, result_schema

__version__ = "0.1.0"
__all__ = [
    "evaluate_budget", "parse_budget", "budget_schema", "result_schema", "SCHEMA_VERSION",
    "evaluate_instrument", "scale_budget", "sphygmomanometer_budget", "thermometer_budget",
    "decide", "Decision", "probability_of_conformity",
    "round_result", "round_uncertainty", "budget_table",
    "gum", "gum_multi", "coverage_factor", "welch_satterthwaite",
    "monte_carlo", "coverage_intervals", "numerical_tolerance", "validate",
    "fit_line", "LineFit", "Model",
    "InputQuantity", "normal", "rectangular", "triangular", "arcsine", "trapezoidal", "student_t", "type_a",
    "type_a_correlated",
    "BudgetRow", "GumResult", "McResult", "Validation",
    "UncertaintyError", "BudgetError", "ExpressionError",
]
