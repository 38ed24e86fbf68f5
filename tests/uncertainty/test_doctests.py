"""Run the doctest examples of every public module, so the documentation stays true."""
import doctest
import importlib

import pytest

MODULES = ["errors", "expression", "gaussian_sums", "quantities", "model", "gum", "montecarlo", "results", "reporting",
           "conformity", "curves", "budgets", "serialization"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(f"uncertainty.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_functions_have_examples():
    import uncertainty
    for name in ("evaluate_budget", "gum", "monte_carlo", "decide", "round_result", "coverage_factor",
                 "fit_line", "evaluate_instrument", "type_a", "normal", "rectangular"):
        assert ">>>" in getattr(uncertainty, name).__doc__, name
