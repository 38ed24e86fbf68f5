"""Input quantities: standard uncertainties (GUM 4.3) and JCGM 101 6.4 sampling."""
import math

import numpy as np
import pytest

from uncertainty import quantities as q
from uncertainty.errors import BudgetError

N = 400_000


@pytest.mark.parametrize("quantity, u", [
    (q.normal("x", 1.0, 0.2), 0.2),
    (q.normal("x", 1.0, U=0.4, k=2), 0.2),
    (q.rectangular("x", 1.0, 0.3), 0.3 / math.sqrt(3)),
    (q.triangular("x", 1.0, 0.3), 0.3 / math.sqrt(6)),
    (q.arcsine("x", 1.0, 0.3), 0.3 / math.sqrt(2)),
    (q.trapezoidal("x", 1.0, 0.3, 0.5), 0.3 * math.sqrt(1.25 / 6)),
    (q.student_t("x", 1.0, 5, u=0.2), 0.2),
])
def test_sampled_standard_deviation_equals_u(quantity, u):
    """For these PDFs the sample s.d. converges to the GUM standard uncertainty."""
    assert quantity.u == pytest.approx(u)
    x = quantity.sample(np.random.default_rng(3), N)
    assert x.mean() == pytest.approx(1.0, abs=5 * u / math.sqrt(N))
    assert x.std() == pytest.approx(u, rel=0.01)


def test_t_scale_convention_samples_scale_times_t():
    """JCGM 101 6.4.9: value + scale*t_nu; its s.d. is scale*sqrt(nu/(nu-2)) while GUM u = scale."""
    quantity = q.student_t("x", 0.0, 6, scale=1.0)
    assert quantity.u == 1.0
    x = quantity.sample(np.random.default_rng(4), N)
    assert x.std() == pytest.approx(math.sqrt(6 / 4), rel=0.02)


def test_type_a_uses_mean_sem_and_dof():
    quantity = q.type_a("d", [10.1, 10.3, 10.2, 10.4])
    assert quantity.value == pytest.approx(10.25)
    assert quantity.u == pytest.approx(np.std([10.1, 10.3, 10.2, 10.4], ddof=1) / 2)
    assert quantity.dof == 3 and quantity.distribution == "type_a"


def test_bounded_samples_stay_within_limits():
    rng = np.random.default_rng(5)
    for quantity in (q.rectangular("x", 2.0, 0.5), q.triangular("x", 2.0, 0.5), q.arcsine("x", 2.0, 0.5),
                     q.trapezoidal("x", 2.0, 0.5, 0.3)):
        x = quantity.sample(rng, 10_000)
        assert x.min() >= 1.5 and x.max() <= 2.5


@pytest.mark.parametrize("quantity", [
    q.normal("x", 1.0, 0.2), q.rectangular("x", 1.0, 0.3), q.triangular("x", 1.0, 0.3),
    q.arcsine("x", 1.0, 0.3), q.trapezoidal("x", 1.0, 0.3, 0.4), q.student_t("x", 1.0, 7, scale=0.1),
])
def test_ppf_has_the_sampled_distribution(quantity):
    """The copula path (ppf of uniforms) reproduces the direct sampler's quantiles."""
    rng = np.random.default_rng(6)
    direct = np.quantile(quantity.sample(rng, N), [0.1, 0.5, 0.9])
    via_ppf = np.quantile(quantity.ppf(rng.random(N)), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(direct, via_ppf, atol=0.01 * max(quantity.u, 1e-3) * 10)


@pytest.mark.parametrize("call, key", [
    (lambda: q.normal("x", 1.0), "x.u"),
    (lambda: q.normal("x", 1.0, 0.1, U=0.2, k=2), "x.u"),
    (lambda: q.normal("x", 1.0, U=0.2), "x.k"),
    (lambda: q.normal("x", 1.0, -0.1), "x.u"),
    (lambda: q.normal("x", float("nan"), 0.1), "x.value"),
    (lambda: q.normal("x", "1", 0.1), "x.value"),
    (lambda: q.normal("x", 1.0, 0.1, dof=0), "x.dof"),
    (lambda: q.normal("1x", 1.0, 0.1), "name"),
    (lambda: q.rectangular("x", 0.0, -1.0), "x.half_width"),
    (lambda: q.trapezoidal("x", 0.0, 1.0, 1.5), "x.beta"),
    (lambda: q.student_t("x", 0.0, 2, u=1.0), "x.dof"),
    (lambda: q.student_t("x", 0.0, 5), "x.scale"),
    (lambda: q.type_a("x", [1.0]), "x.readings"),
    (lambda: q.type_a("x", "12"), "x.readings"),
    (lambda: q.type_a("x", [1.0, None]), "x.readings[1]"),
])
def test_invalid_inputs_name_the_field(call, key):
    with pytest.raises(BudgetError) as info:
        call()
    assert info.value.key == key


def test_type_a_correlated_requires_equal_lengths():
    with pytest.raises(BudgetError, match="same number"):
        q.type_a_correlated({"a": [1, 2, 3], "b": [1, 2]})
