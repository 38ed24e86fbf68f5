"""Property tests: GUM = MCM for linear Gaussian models; shares sum to 1; purity of the library."""
import ast
import math
import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from uncertainty import gum, monte_carlo, normal, rectangular, triangular

PACKAGE = Path(__file__).resolve().parents[2] / "uncertainty"
coef = st.floats(-5, 5).filter(lambda c: abs(c) > 0.05)
unc = st.floats(0.01, 3.0)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(coef, unc, st.floats(-100, 100)), min_size=1, max_size=6), st.integers(0, 2**32))
def test_linear_gaussian_gum_equals_mcm(terms, seed):
    """For y = sum c_i x_i with Gaussian x_i both methods agree within Monte Carlo noise."""
    inputs = [normal(f"x{i}", x, u) for i, (_, u, x) in enumerate(terms)]
    model = " + ".join(f"({c!r})*x{i}" for i, (c, _, _) in enumerate(terms))
    trials = 200_000
    g = gum(model, inputs)
    m = monte_carlo(model, inputs, trials=trials, seed=seed)
    se = g.u / math.sqrt(trials)
    assert abs(m.value - g.value) <= 5 * se + 1e-9 * abs(g.value)
    assert abs(m.u - g.u) <= 5 * g.u / math.sqrt(2 * trials)
    for a, b in zip(m.interval, g.interval, strict=False):
        assert abs(a - b) <= 5 * 2.7 * g.u / math.sqrt(trials) + 1e-9 * abs(g.value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(coef, unc, st.sampled_from([normal, rectangular, triangular])), min_size=1, max_size=8),
       st.floats(-0.9, 0.9))
def test_budget_shares_sum_to_one(terms, r):
    inputs = [(f(f"x{i}", 1.0, u) if f is normal else f(f"x{i}", 1.0, u)) for i, (_, u, f) in enumerate(terms)]
    model = " + ".join(f"({c!r})*x{i}**2" for i, (c, _, _) in enumerate(terms))
    correlations = [("x0", "x1", r)] if len(inputs) > 1 else []
    res = gum(model, inputs, correlations)
    assert sum(row.share for row in res.budget) == pytest.approx(1.0)
    res2 = gum(model, inputs, second_order=True)
    assert sum(row.share for row in res2.budget) + res2.second_order_share == pytest.approx(1.0)


FORBIDDEN = ("lims", "flask", "sqlalchemy", "psycopg", "sqlite3", "instruments", "certificates")


def test_library_is_pure():
    """No Flask, database or sibling-package imports; no eval/exec/compile; no np.seterr at import."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                names = []
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN and not name.startswith("flask_"), f"{path}: {name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), f"{path}: {node.func.id}"
            if isinstance(node, ast.Attribute):
                assert node.attr != "seterr", f"{path}: global np.seterr"


json_scalars = (st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False, width=32)
                | st.text(max_size=6))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                                          max_size=3), max_leaves=8)
input_specs = st.fixed_dictionaries({}, optional={
    "value": json_values | st.floats(-5, 5), "u": json_values | st.floats(0, 2), "U": json_values,
    "k": json_values, "dof": json_values, "distribution": json_values | st.sampled_from(
        ["normal", "rectangular", "triangular", "arcsine", "trapezoidal", "t", "type_a"]),
    "half_width": json_values | st.floats(0, 2), "beta": json_values, "scale": json_values,
    "readings": json_values | st.lists(st.floats(-3, 3), max_size=4)})
budgets = st.fixed_dictionaries({"model": json_values | st.sampled_from(["a + b", "a*b", "a", "log(a)", "a/b"]),
                                 "inputs": st.dictionaries(st.sampled_from(["a", "b", "c", "1x"]), input_specs,
                                                           max_size=3) | json_values},
                                optional={"correlations": json_values | st.lists(st.tuples(json_values, json_values,
                                                                                           json_values), max_size=2),
                                          "coverage": json_values, "k": json_values, "output": json_values,
                                          "dof_rule": json_values, "second_order": json_values})


@settings(max_examples=int(os.environ.get("UNC_FUZZ_EXAMPLES", "300")), deadline=None)
@given(budgets)
@example({"model": "a", "inputs": {"\n": None}})  # a key with a line break: still one line
@example({"model": "a", "inputs": {"a": {"\n": 1}}})
def test_untrusted_budgets_give_result_or_named_error(budget):
    """Whatever the JSON, evaluate_budget returns a result or raises UncertaintyError with a message."""
    from uncertainty import UncertaintyError, evaluate_budget
    try:
        result = evaluate_budget(budget, method="gum")
    except UncertaintyError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert math.isfinite(result["gum"]["u"])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["scale", "sphygmomanometer", "thermometer"]),
       st.dictionaries(st.sampled_from(["load", "indication", "d", "reference", "reference_U", "weights_mpe",
                                        "weights_U", "repeatability_s", "repeatability_n", "eccentricity_max",
                                        "eccentricity_load", "hysteresis", "stability", "unit", "coverage", "x"]),
                       json_scalars | st.floats(0.01, 100), max_size=8))
def test_untrusted_instrument_params(kind, params):
    from uncertainty import UncertaintyError, evaluate_instrument
    try:
        result = evaluate_instrument(kind, params)
    except UncertaintyError as exc:
        assert str(exc).startswith("params")
    else:
        assert result["table"]["rows"]


@settings(max_examples=200, deadline=None)
@given(json_scalars | st.floats(-10, 10), json_scalars | st.floats(0, 5),
       json_scalars | st.floats(0.1, 5) | st.tuples(st.floats(-5, 5), st.floats(-5, 5)),
       st.sampled_from(["simple", "guarded", "ilac_nonbinary", "jjf1094", "other"]))
def test_untrusted_decision_arguments(error, U, mpe, rule):
    from uncertainty import UncertaintyError, decide
    try:
        d = decide(error, U, mpe, rule=rule)
    except UncertaintyError as exc:
        assert exc.key in ("error", "U", "mpe", "mpe[0]", "mpe[1]", "rule")
    else:
        assert d.verdict in ("pass", "fail", "conditional_pass", "conditional_fail", "undecided")
        assert 0.0 <= d.probability <= 1.0
