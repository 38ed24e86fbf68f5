"""Conformity decisions: ILAC-G8 simple, guarded, non-binary; JJF 1094 with its undecided zone."""
import pytest

from uncertainty import decide
from uncertainty.errors import BudgetError


@pytest.mark.parametrize("error, verdict",
                         [(0.0, "pass"), (2.5, "pass"), (-2.5, "pass"), (2.51, "fail"), (-3.0, "fail")])
def test_simple_acceptance(error, verdict):
    assert decide(error, 0.5, 2.5).verdict == verdict


def test_simple_acceptance_flags_large_uncertainty_ratio():
    d = decide(1.0, 1.0, 2.5)
    assert d.verdict == "pass" and not d.ratio_ok and d.ratio == pytest.approx(0.4)
    assert "exceeds" in d.warnings[0]
    assert decide(1.0, 1.0, 2.5, max_ratio=0.5).ratio_ok


@pytest.mark.parametrize("error, verdict", [(1.9, "pass"), (2.1, "fail"), (-2.0, "pass"), (-2.01, "fail")])
def test_guarded_acceptance_w_equals_U(error, verdict):
    d = decide(error, 0.5, 2.5, rule="guarded")
    assert d.verdict == verdict and d.acceptance == (-2.0, 2.0) and d.guard_band == 0.5


def test_guard_factor():
    assert decide(1.6, 0.5, 2.5, rule="guarded", guard_factor=2.0).verdict == "fail"


@pytest.mark.parametrize("error, verdict, zh", [
    (1.0, "pass", "合格"), (2.2, "conditional_pass", "有条件合格"), (2.8, "conditional_fail", "有条件不合格"),
    (3.5, "fail", "不合格"), (-2.8, "conditional_fail", "有条件不合格"),
])
def test_ilac_non_binary(error, verdict, zh):
    d = decide(error, 0.5, 2.5, rule="ilac_nonbinary")
    assert (d.verdict, d.label_zh) == (verdict, zh)


@pytest.mark.parametrize("error, U, verdict", [
    (2.4, 0.5, "pass"),        # U <= MPE/3: simple
    (2.6, 0.5, "fail"),
    (1.4, 1.0, "pass"),        # U > MPE/3: |E| <= MPE - U
    (2.0, 1.0, "undecided"),   # MPE - U < |E| < MPE + U
    (-3.4, 1.0, "undecided"),
    (3.5, 1.0, "fail"),        # |E| >= MPE + U
])
def test_jjf1094(error, U, verdict):
    d = decide(error, U, 2.5, rule="jjf1094")
    assert d.verdict == verdict
    if verdict == "undecided":
        assert d.label_zh == "待定"
    assert "JJF 1094" in d.rule_name


def test_asymmetric_mpe_of_glass_thermometer():
    """OIML R 7: MPE +0.1 / -0.15 degC."""
    assert decide(-0.12, 0.02, (-0.15, 0.1)).verdict == "pass"
    assert decide(0.12, 0.02, (-0.15, 0.1)).verdict == "fail"


def test_probability_of_conformity_jcgm106():
    d = decide(2.5, 1.0, 2.5, k=2)
    assert d.probability == pytest.approx(0.5, abs=1e-6)
    assert decide(0.0, 0.0, 2.5).probability == 1.0


@pytest.mark.parametrize("kwargs, key", [
    ({"error": "1"}, "error"), ({"U": -1}, "U"), ({"mpe": 0}, "mpe"), ({"mpe": (0.1, 0.2)}, "mpe"),
    ({"rule": "lenient"}, "rule"), ({"k": 0}, "k"), ({"guard_factor": -1}, "guard_factor"),
])
def test_bad_arguments_are_named(kwargs, key):
    args = {"error": 0.0, "U": 0.5, "mpe": 2.5} | kwargs
    with pytest.raises(BudgetError) as info:
        decide(args.pop("error"), args.pop("U"), args.pop("mpe"), **args)
    assert info.value.key == key


def test_decision_is_plain_data():
    d = decide(0.3, 0.5, 2.5).as_dict()
    assert d["verdict"] == "pass" and d["label_en"] == "Pass" and d["tolerance"] == (-2.5, 2.5)
