"""Monte Carlo method (JCGM 101): reproducibility, intervals, correlation, adaptive, validation."""
import math

import numpy as np
import pytest

from uncertainty import coverage_intervals, gum, monte_carlo, normal, numerical_tolerance, rectangular, validate
from uncertainty.errors import BudgetError

INPUTS = [normal("a", 1.0, 0.1), rectangular("b", 2.0, 0.3)]


def test_same_seed_same_result_whatever_the_threads_and_chunks():
    one = monte_carlo("a*b", INPUTS, trials=300_000, seed=11, workers=1)
    two = monte_carlo("a*b", INPUTS, trials=300_000, seed=11, workers=2)
    assert one == two
    assert one.seed == 11
    other = monte_carlo("a*b", INPUTS, trials=300_000, seed=12)
    assert other.value != one.value


def test_fresh_entropy_is_recorded_and_reproduces_the_run():
    first = monte_carlo("a + b", INPUTS, trials=50_000)
    again = monte_carlo("a + b", INPUTS, trials=50_000, seed=first.seed)
    assert first == again


def test_generator_seed_is_recorded():
    res = monte_carlo("a + b", INPUTS, trials=50_000, seed=np.random.default_rng(5))
    assert res == monte_carlo("a + b", INPUTS, trials=50_000, seed=res.seed)


def test_small_chunks_give_bounded_memory_and_same_statistics():
    res = monte_carlo("a + b", INPUTS, trials=100_000, seed=3, chunk=4096)
    assert res.trials == 100_000
    assert res.u == pytest.approx(math.sqrt(0.01 + 0.03), rel=0.01)


def test_coverage_intervals_follow_jcgm101_7_7():
    y = np.arange(1.0, 1001.0)
    (lo, hi), (slo, shi) = coverage_intervals(y, 0.95)
    assert (lo, hi) == (25.0, 975.0)  # q = 950, M - q even: r = 25, [y_(25), y_(975)]
    assert shi - slo == 950.0
    (lo, hi), _ = coverage_intervals(np.arange(1.0, 101.0), 0.95)
    assert (lo, hi) == (3.0, 98.0)  # q = 95, M - q odd: r = floor(6/2) = 3, [y_(3), y_(98)]


def test_shortest_interval_of_skewed_output_is_shorter():
    res = monte_carlo("exp(a)", [normal("a", 0.0, 0.5)], trials=400_000, seed=2)
    (lo, hi), (slo, shi) = res.interval, res.shortest_interval
    assert shi - slo < hi - lo
    assert lo == pytest.approx(math.exp(-1.96 * 0.5), rel=0.01)


def test_correlated_gaussian_inputs_follow_cholesky():
    ins = [normal("a", 0.0, 1.0), normal("b", 0.0, 2.0)]
    res = monte_carlo("a + b", ins, [("a", "b", -0.5)], trials=400_000, seed=9)
    assert res.u == pytest.approx(math.sqrt(1 + 4 - 2 * 0.5 * 2), rel=0.01)


def test_correlated_non_gaussian_inputs_use_copula():
    ins = [rectangular("a", 0.0, 1.0), rectangular("b", 0.0, 1.0)]
    res = monte_carlo("a - b", ins, [("a", "b", 1.0)], trials=100_000, seed=9)
    assert res.u == pytest.approx(0.0, abs=1e-9)


def test_non_finite_values_are_discarded_with_a_warning():
    res = monte_carlo("sqrt(a)", [normal("a", 0.0, 1.0)], trials=100_000, seed=1)
    assert res.trials < 100_000 and "not finite" in res.warnings[0]


def test_adaptive_procedure_reaches_requested_digits():
    """JCGM 101 7.9: blocks of M = max(100/(1-p), 10^4) until 2 s <= delta."""
    res = monte_carlo("a + b", INPUTS, seed=4, adaptive=2)
    assert res.adaptive_digits == 2 and res.trials % 10_000 == 0 and res.trials >= 20_000
    assert res.u == pytest.approx(0.2, abs=numerical_tolerance(0.2, 2) * 2)


def test_adaptive_cap_warns():
    res = monte_carlo("a + b", INPUTS, seed=4, adaptive=5, max_trials=40_000)
    assert res.trials == 40_000 and "max_trials" in res.warnings[0]


def test_validation_passes_for_linear_gaussian_model():
    ins = [normal("a", 1.0, 0.1), normal("b", 2.0, 0.2)]
    v = validate(gum("a + b", ins), monte_carlo("a + b", ins, trials=10**6, seed=1))
    assert v.passed and v.tolerance == 0.005 and v.d_low <= 0.005 and v.d_high <= 0.005


def test_numerical_tolerance_examples():
    assert numerical_tolerance(0.0539, 2) == 0.0005
    assert numerical_tolerance(0.0996, 2) == 0.005  # rounds to 0.10
    assert numerical_tolerance(2.0, 1) == 0.5
    assert numerical_tolerance(0.0, 2) == 0.0


@pytest.mark.parametrize("kwargs, key", [
    ({"trials": 1}, "trials"), ({"trials": 2.5}, "trials"), ({"seed": -1}, "seed"), ({"seed": "x"}, "seed"),
    ({"adaptive": 0}, "adaptive"), ({"coverage": 1.5}, "coverage"), ({"chunk": 0}, "chunk"),
])
def test_bad_arguments_are_named(kwargs, key):
    with pytest.raises(BudgetError) as info:
        monte_carlo("a + b", INPUTS, **kwargs)
    assert info.value.key == key


def test_too_few_trials_for_coverage():
    with pytest.raises(BudgetError, match="too few"):
        coverage_intervals(np.array([1.0, 2.0]), 0.99)


@pytest.mark.slow
def test_ten_million_trials_in_bounded_memory():
    """10^7 trials: the model values take 80 MB; inputs are drawn per chunk."""
    resource = pytest.importorskip("resource")
    res = monte_carlo("a*b", INPUTS, trials=10**7, seed=1)
    assert res.trials == 10**7
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024  # KiB on Linux: < 1 GiB


def test_multi_output_model_selects_output():
    from uncertainty import Model
    model = Model({"s": "a + b", "d": "a - b"}, ["a", "b"])
    res = monte_carlo(model, INPUTS, trials=100_000, seed=2, output=1)
    assert res.name == "d" and res.value == pytest.approx(-1.0, abs=0.005)


def test_gaussian_sums_are_sampled_as_one_gaussian_exactly():
    """Independent Gaussian inputs used only in one sum are merged (exact: the sum is Gaussian).

    The output distribution is unchanged: MCM u and interval agree with the GUM (exact for a
    linear Gaussian model) to Monte Carlo precision, with and without other terms in the sum.
    """
    from uncertainty.expression import parse, to_text
    from uncertainty.gaussian_sums import merge_gaussian_sums
    tree, merged = merge_gaussian_sums(parse("r - 2*X1 + X2/4 - X3"), {n: (1.0, 0.5) for n in ("X1", "X2", "X3")})
    assert to_text(tree) == "_g0 + r"
    (name, mean, u, members), = merged
    assert members == ("X1", "X2", "X3") and mean == pytest.approx(-2.0 + 0.25 - 1.0)
    assert u == pytest.approx(0.5 * math.sqrt(4 + 1 / 16 + 1))
    inputs = [normal("X1", 1.0, 0.5), normal("X2", 1.0, 0.5), normal("X3", 1.0, 0.5), rectangular("r", 0.0, 0.2),
              normal("unused", 5.0, 1.0)]
    model = "r - 2*X1 + X2/4 - X3"
    res = monte_carlo(model, inputs, trials=10**6, seed=3)
    ref = gum(model, inputs)
    assert res.value == pytest.approx(ref.value, abs=4 * ref.u / 1e3)
    assert res.u == pytest.approx(ref.u, rel=3e-3)


def test_gaussian_inputs_used_twice_or_correlated_are_not_merged():
    from uncertainty.expression import parse
    from uncertainty.gaussian_sums import merge_gaussian_sums
    assert merge_gaussian_sums(parse("a + b + a*c"), {"a": (1, 1), "b": (1, 1)})[1] == []
    inputs = [normal("a", 0.0, 1.0), normal("b", 0.0, 1.0)]
    res = monte_carlo("a + b", inputs, [("a", "b", 0.8)], trials=400_000, seed=5)
    assert res.u == pytest.approx(math.sqrt(2 + 2 * 0.8), rel=5e-3)
