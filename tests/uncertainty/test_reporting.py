"""Rounding for certificates (GUM 7.2.6) and budget tables."""
import pytest

from uncertainty import budget_table, gum, normal, rectangular, round_result, round_uncertainty


@pytest.mark.parametrize("value, U, expected", [
    (10000.02526, 0.05852, {"value": "10000.025", "U": "0.059"}),
    (50000838.4, 92.6, {"value": "50000838", "U": "93"}),
    (1.2340, 0.1057, {"value": "1.23", "U": "0.11"}),
    (0.125, 0.0996, {"value": "0.13", "U": "0.10"}),
    (-0.1494, 0.0082, {"value": "-0.1494", "U": "0.0082"}),
    (98765.4, 1234, {"value": "98800", "U": "1200"}),
    (3.0, 0.0, {"value": "3.0", "U": "0"}),
])
def test_round_result(value, U, expected):
    assert round_result(value, U) == expected


def test_rounding_modes():
    assert str(round_uncertainty(0.0225)) == "0.023"
    assert str(round_uncertainty(0.0225, mode="half_even")) == "0.022"
    assert str(round_uncertainty(0.02201, mode="up")) == "0.023"
    assert str(round_uncertainty(0.0225, digits=1)) == "0.02"


@pytest.mark.parametrize("call", [lambda: round_uncertainty(-1), lambda: round_uncertainty(float("nan")),
                                  lambda: round_uncertainty(1, mode="x"), lambda: round_result("1", 0.1)])
def test_rounding_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_budget_table_is_plain_printable_data():
    res = gum("a - b", [normal("a", 1.0, 0.3, dof=9), rectangular("b", 0.0, 0.2)])
    table = budget_table(res, unit="g")
    assert [c["key"] for c in table["columns"]][:4] == ["name", "description", "value", "u"]
    assert table["columns"][0]["zh"] == "输入量"
    assert table["rows"][1]["distribution"] == "均匀 / rectangular"
    assert table["rows"][1]["sensitivity"] == "-1"
    assert table["rows"][1]["dof"] == "∞" and table["rows"][0]["dof"] == "9"
    assert table["summary"]["unit"] == "g" and table["summary"]["value"] == round_result(res.value, res.U)["value"]
    assert all(isinstance(v, str) for row in table["rows"] for v in row.values())


def test_gbt8170_half_even_rounds_value_and_U():
    assert round_result(1.2345, 0.0225, mode="half_even") == {"value": "1.234", "U": "0.022"}
    assert round_result(1.2345, 0.0225) == {"value": "1.235", "U": "0.023"}
    assert round_result(1.2345, 0.02201, mode="up") == {"value": "1.235", "U": "0.023"}
