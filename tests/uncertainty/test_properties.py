"""Property tests: GUM = MCM for linear Gaussian models; shares sum to 1; purity of the library."""
import ast
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
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
    for a, b in zip(m.interval, g.interval):
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
