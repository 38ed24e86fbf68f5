"""Budget format v1: validation errors name the key; results have the documented shape."""
import json

import pytest

from uncertainty import evaluate_budget
from uncertainty.errors import BudgetError

BASE = {"model": "a + b", "inputs": {"a": {"value": 1.0, "u": 0.1}, "b": {"value": 2.0, "u": 0.2, "dof": 5}}}


def with_(path, value):
    data = json.loads(json.dumps(BASE))
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return data


@pytest.mark.parametrize("data, key", [
    ([], "budget"),
    ({"inputs": BASE["inputs"]}, "model"),
    (with_("model", 5), "model"),
    (with_("model", "a + c"), "model"),
    (with_("inputs", {}), "inputs"),
    (with_("inputs", []), "inputs"),
    (with_("modle", "a"), "modle"),
    (with_("inputs.a", {"value": 1.0}), "inputs.a.u"),
    (with_("inputs.a", {"u": 1.0}), "inputs.a.value"),
    (with_("inputs.a.u", -1), "inputs.a.u"),
    (with_("inputs.a.u", "0.1"), "inputs.a.u"),
    (with_("inputs.a.halfwidth", 1), "inputs.a.halfwidth"),
    (with_("inputs.a", {"value": 0, "distribution": "flat", "half_width": 1}), "inputs.a.distribution"),
    (with_("inputs.a", {"value": 0, "distribution": "rectangular"}), "inputs.a.half_width"),
    (with_("inputs.a", {"value": 0, "distribution": "trapezoidal", "half_width": 1}), "inputs.a.beta"),
    (with_("inputs.a", {"value": 0, "distribution": "t", "scale": 1}), "inputs.a.dof"),
    (with_("inputs.a", {"distribution": "type_a", "readings": [1]}), "inputs.a.readings"),
    (with_("inputs.a", {"distribution": "type_a", "readings": [1, 2], "value": 1}), "inputs.a.value"),
    (with_("inputs.a", {"value": 1, "U": 0.2}), "inputs.a.k"),
    (with_("correlations", [["a", "x", 0.1]]), "correlations[0]"),
    (with_("correlations", {"a": 1}), "correlations"),
    (with_("coverage", 95), "coverage"),
    (with_("trials", 10.5), "trials"),
    (with_("seed", -3), "seed"),
    (with_("adaptive", 9), "adaptive"),
    (with_("dof_rule", "ceil"), "dof_rule"),
    (with_("schema_version", 2), "schema_version"),
    (with_("output", {"name": ""}), "output.name"),
    (with_("output", {"name": "E", "units": "g"}), "output.units"),
])
def test_invalid_budget_names_the_key(data, key):
    with pytest.raises(BudgetError) as info:
        evaluate_budget(data, method="gum")
    assert info.value.key == key


def test_all_distributions_in_one_budget():
    data = {"model": "a + b + c + d + e + f + g + h", "inputs": {
        "a": {"value": 1, "u": 0.1}, "b": {"value": 1, "U": 0.2, "k": 2},
        "c": {"distribution": "rectangular", "value": 0, "half_width": 0.1},
        "d": {"distribution": "triangular", "value": 0, "half_width": 0.1},
        "e": {"distribution": "arcsine", "value": 0, "half_width": 0.1},
        "f": {"distribution": "trapezoidal", "value": 0, "half_width": 0.1, "beta": 0.5},
        "g": {"distribution": "t", "value": 0, "scale": 0.1, "dof": 4},
        "h": {"distribution": "type_a", "readings": [0.1, 0.2, 0.3]}}, "trials": 100_000, "seed": 3}
    res = evaluate_budget(data)
    assert set(res) == {"schema_version", "output", "gum", "mcm", "validation"}
    assert set(res["gum"]) >= {"value", "u", "dof", "k", "U", "interval", "budget"}
    assert set(res["gum"]["budget"][0]) >= {"name", "value", "u", "sensitivity", "contribution", "dof"}
    assert set(res["mcm"]) >= {"value", "u", "interval", "shortest_interval", "trials", "seed"}
    assert set(res["validation"]) >= {"tolerance", "d_low", "d_high", "passed"}
    assert res["mcm"]["seed"] == 3 and res["mcm"]["trials"] == 100_000
    json.dumps(res, allow_nan=False)


def test_method_selects_parts_and_overrides_apply():
    assert set(evaluate_budget(BASE, method="gum")) == {"schema_version", "output", "gum"}
    mcm = evaluate_budget(BASE, method="mcm", trials=20_000, seed=8)
    assert set(mcm) == {"schema_version", "output", "mcm"} and mcm["mcm"]["trials"] == 20_000
    assert evaluate_budget(BASE, method="mcm", adaptive=1, seed=8)["mcm"]["adaptive_digits"] == 1
    with pytest.raises(BudgetError):
        evaluate_budget(BASE, method="fast")


def test_infinite_dof_is_null_and_dof_accepts_inf_string():
    res = evaluate_budget(with_("inputs.b.dof", "inf"), method="gum")
    assert res["gum"]["dof"] is None and res["gum"]["budget"][1]["dof"] is None


def test_distribution_aliases():
    data = with_("inputs.a", {"value": 0, "distribution": "Uniform", "half_width": 0.3})
    row = evaluate_budget(data, method="gum")["gum"]["budget"][0]
    assert row["distribution"] == "rectangular" and row["u"] == pytest.approx(0.3 / 3**0.5)


@pytest.mark.parametrize("name", ["exp", "lambda", "None", "_x", "pi"])
def test_reserved_input_names(name):
    data = {"model": "a", "inputs": {"a": {"value": 1, "u": 1}, name: {"value": 1, "u": 1}}}
    with pytest.raises(BudgetError) as info:
        evaluate_budget(data, method="gum")
    assert info.value.key == f"inputs.{name}.name"


def test_reliability_gives_dof_gum_g42():
    """GUM G.4.2 / H.1: an uncertainty 'reliable to 10 %' has 50 degrees of freedom."""
    res = evaluate_budget(with_("inputs.a", {"value": 1, "u": 0.1, "reliability": 0.1}), method="gum")
    assert res["gum"]["budget"][0]["dof"] == pytest.approx(50.0)
    with pytest.raises(BudgetError) as info:
        evaluate_budget(with_("inputs.a", {"value": 1, "u": 0.1, "reliability": 0.1, "dof": 3}), method="gum")
    assert info.value.key == "inputs.a.reliability"


def test_caret_is_power():
    res = evaluate_budget(with_("model", "a^2 + b"), method="gum")
    assert res["gum"]["value"] == pytest.approx(3.0) and res["gum"]["budget"][0]["sensitivity"] == 2.0


def test_example_in_format_doc_is_valid():
    """The first JSON example of docs/uncertainty/format.md evaluates and matches the schema."""
    import re
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    from uncertainty import budget_schema
    doc = (Path(__file__).resolve().parents[2] / "docs" / "uncertainty" / "format.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", doc, re.S).group(1))
    jsonschema.Draft202012Validator(budget_schema()).validate(example)
    res = evaluate_budget(example, method="both", trials=50_000)
    assert res["gum"]["rounded"]["value"] == "10000.025" and res["mcm"]["seed"] == 1
