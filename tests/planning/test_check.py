"""``planning.check`` finds each broken rule and wrong figure (so the property tests can fail)."""
import copy
import json
from pathlib import Path

import pytest

import planning

EXAMPLE = json.loads((Path(__file__).parent / "data" / "example-instance.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def solved():
    return planning.solve(EXAMPLE, time_limit=30)


def test_the_example_is_solved_and_checked(solved):
    report = planning.check(EXAMPLE, solved)
    assert report.ok, report.errors
    assert solved["format"] == "lims-plan/1"
    assert report.figures["cost"] == solved["cost"] > 0
    assert 0 <= solved["lower_bound"] <= solved["cost"]
    assert solved["gap"] == pytest.approx((solved["cost"] - solved["lower_bound"]) / solved["cost"])
    planned = {i for v in solved["visits"] for i in v["instruments"]}
    assert planned | set(solved["unplanned"]) == {i["id"] for i in EXAMPLE["instruments"]}


def broken(plan, edit):
    plan = copy.deepcopy(plan)
    edit(plan)
    return plan


def first_visit_of(plan, site_prefix):
    return next(v for v in plan["visits"] if v["site"].startswith(site_prefix))


@pytest.mark.parametrize("edit, rule", [
    (lambda p: p["visits"][0].update(date="2027-01-02"), "rule 1"),          # a Saturday
    (lambda p: p["visits"][0].update(date="2027-02-08"), "rule 1"),          # a holiday
    (lambda p: p["visits"][0].update(date="2027-07-01"), "rule 1"),          # after the horizon
    (lambda p: first_visit_of(p, "M").update(date="2027-01-04", crew="MK01"), "rule 1"),  # crew off
    (lambda p: first_visit_of(p, "H001").update(date="2027-02-25"), "rule 1"),  # site closed
    (lambda p: p["visits"].append(dict(p["visits"][0], instruments=[])), "rule 6"),
    (lambda p: p["visits"][1].update(crew=p["visits"][0]["crew"], date=p["visits"][0]["date"]), "rule 2"),
    (lambda p: first_visit_of(p, "M").update(crew="MD01"), "rule 4"),
    (lambda p: first_visit_of(p, "M").update(site="M0003" if first_visit_of(p, "M")["site"] != "M0003"
                                             else "M0001"), "rule 4"),
    (lambda p: first_visit_of(p, "M")["instruments"].extend([i for v in p["visits"] for i in v["instruments"]
                                                             if v["site"].startswith("H")]), "rule"),
    (lambda p: p["visits"][1]["instruments"].append(p["visits"][0]["instruments"][0]), "rule"),
    (lambda p: p["unplanned"].append(p["visits"][0]["instruments"][0]), "rule 5"),
    (lambda p: p["visits"].pop(), "rule 5"),
])
def test_each_broken_rule_is_found(solved, edit, rule):
    report = planning.check(EXAMPLE, broken(solved, edit))
    assert not report.ok
    assert any(rule in e for e in report.errors), report.errors


def test_minutes_beyond_the_crew_day_are_found(solved):
    instance = copy.deepcopy(EXAMPLE)
    instance["crews"][0]["minutes_per_day"] = 60      # MK01 now has far too little time for its visits
    report = planning.check(instance, solved)
    assert any("rule 3" in e for e in report.errors)


@pytest.mark.parametrize("key, value", [("cost", 1.0), ("tardiness_days", 0), ("visit_count", 1),
                                        ("gap", 0.5), ("lower_bound", 10 ** 9), ("seconds", -1)])
def test_wrong_figures_are_found(solved, key, value):
    report = planning.check(EXAMPLE, dict(solved, **{key: value}))
    assert not report.ok
    assert any(e.startswith(key) for e in report.errors), report.errors


def test_an_invalid_instance_raises(solved):
    with pytest.raises(planning.InstanceError, match="horizon.start"):
        planning.check(dict(EXAMPLE, horizon=dict(EXAMPLE["horizon"], start="2027-13-01")), solved)


def test_a_tiny_time_limit_still_gives_a_plan_that_keeps_the_rules():
    plan = planning.solve(EXAMPLE, time_limit=0.01)
    report = planning.check(EXAMPLE, plan)
    assert report.ok, report.errors
    assert 0 <= plan["lower_bound"] <= plan["cost"]


def test_progress_is_reported_from_start_to_end():
    seen = []
    planning.solve(EXAMPLE, time_limit=10, progress=lambda fraction, message: seen.append((fraction, message)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)


def test_instruments_nobody_can_verify_stay_unplanned_and_count_in_the_bound():
    instance = copy.deepcopy(EXAMPLE)
    instance["kinds"]["manometer"] = {"minutes": 5}
    instance["instruments"].append({"id": "X1", "site": "H001", "kind": "manometer", "due": "2026-12-01"})
    plan = planning.solve(instance, time_limit=20)
    assert planning.check(instance, plan).ok
    assert "X1" in plan["unplanned"]
    penalty = (30 + 31 + 28 + 31 + 30 + 31 + 30 + 1) + 60          # 2026-12-01 .. 2027-07-01, plus 60
    assert plan["lower_bound"] >= penalty
