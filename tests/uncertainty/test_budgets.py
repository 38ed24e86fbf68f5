"""Instrument-type budgets: scale, sphygmomanometer, clinical thermometer."""
import math

import pytest

from uncertainty import evaluate_instrument, scale_budget
from uncertainty.errors import BudgetError

SCALE = {"load": 10000.0, "indication": 10002.0, "d": 5.0, "repeatability_s": 2.0, "repeatability_n": 3,
         "eccentricity_max": 5.0, "eccentricity_load": 10000.0, "weights_mpe": 0.5, "drift": 0.1}


def test_scale_budget_components_follow_cg18():
    res = evaluate_instrument("scale", SCALE)
    rows = {r["name"]: r for r in res["gum"]["budget"]}
    assert len(rows) == 10
    assert res["gum"]["value"] == pytest.approx(2.0)
    assert rows["dIdigL"]["u"] == pytest.approx(2.5 / math.sqrt(3))
    assert rows["dIdig0"]["u"] == pytest.approx(2.5 / math.sqrt(3))
    assert rows["dIecc"]["u"] == pytest.approx(10000 * 5 / (2 * 10000) / math.sqrt(3))
    assert rows["dmc"]["u"] == pytest.approx(0.5 / math.sqrt(3))
    assert rows["dmB"]["u"] == pytest.approx(0.125 / math.sqrt(3))  # R 111: buoyancy <= MPE/4
    assert rows["dIrep"]["dof"] == 2
    assert rows["mN"]["sensitivity"] == -1 and rows["IL"]["sensitivity"] == 1
    expected = math.sqrt(2 * (2.5**2 / 3) + 4 + 2.5**2 / 3 + 0.25 / 3 + 0.125**2 / 3 + 0.01 / 3)
    assert res["gum"]["u"] == pytest.approx(expected)
    assert res["table"]["summary"]["unit"] == "g"
    assert res["table"]["rows"][0]["description"].startswith("加载示值")
    assert sum(r["share"] for r in res["gum"]["budget"]) == pytest.approx(1.0)


def test_scale_with_certificate_uncertainty_and_mcm():
    params = dict(SCALE, weights_U=0.3, weights_k=2)
    del params["weights_mpe"]
    res = evaluate_instrument("scale", params, method="both", trials=200_000, seed=1)
    rows = {r["name"]: r for r in res["gum"]["budget"]}
    assert rows["dmc"]["u"] == pytest.approx(0.15) and rows["dmB"]["u"] == 0.0
    assert res["mcm"]["u"] == pytest.approx(res["gum"]["u"], rel=0.02)


def test_sphygmomanometer_budget():
    res = evaluate_instrument("sphygmomanometer", {"indication": 121.0, "reference": 120.2, "d": 1.0,
                                                   "reference_U": 0.2, "reference_d": 0.1, "repeatability_s": 0.5,
                                                   "hysteresis": 1.0})
    assert res["gum"]["value"] == pytest.approx(0.8)
    expected = math.sqrt(0.25 / 3 + 0.25 + 0.25 / 3 + 0.01 + 0.0025 / 3)
    assert res["gum"]["u"] == pytest.approx(expected)
    assert res["budget"]["output"]["unit"] == "mmHg"


def test_thermometer_budget_with_reference_mpe():
    res = evaluate_instrument("thermometer", {"indication": 37.1, "reference": 37.02, "d": 0.1,
                                              "reference_mpe": 0.02, "stability": 0.01, "uniformity": 0.01,
                                              "unit": "°C"})
    assert res["gum"]["value"] == pytest.approx(0.08)
    assert res["gum"]["u"] == pytest.approx(math.sqrt((0.0025 + 0.0004 + 0.0001 + 0.0001) / 3))


@pytest.mark.parametrize("kind, params, key", [
    ("scale", {"indication": 1.0, "d": 1.0, "weights_mpe": 0.1}, "params.load"),
    ("scale", dict(SCALE, d=0), "params.d"),
    ("scale", dict(SCALE, eccentricity_load=None), "params.eccentricity_load"),
    ("scale", dict(SCALE, loads=1), "params.loads"),
    ("scale", dict(SCALE, weights_U=0.1), "params.weights_mpe"),
    ("scale", dict(SCALE, repeatability_n=1), "params.repeatability_n"),
    ("scale", {k: v for k, v in SCALE.items() if k != "weights_mpe"}, "params.weights_U"),
    ("thermometer", {"indication": 37.0, "reference": 37.0, "d": 0.1}, "params.reference_U"),
    ("sphygmomanometer", {"indication": "x", "reference": 1.0, "d": 1.0, "reference_U": 0.1}, "params.indication"),
    ("barometer", {}, "kind"),
])
def test_bad_parameters_are_named(kind, params, key):
    with pytest.raises(BudgetError) as info:
        evaluate_instrument(kind, params)
    assert info.value.key == key


def test_budget_dict_is_json_format():
    jsonschema = pytest.importorskip("jsonschema")
    from uncertainty import budget_schema
    jsonschema.Draft202012Validator(budget_schema()).validate(scale_budget(SCALE))
