"""Property tests: on random small instances every plan keeps every rule, its figures are exact and
its lower bound never exceeds the exact optimum (a MILP of the whole problem, tests/planning/support.py)."""
import json

from hypothesis import HealthCheck, given, settings

import planning
from planning.instance import compile_instance
from tests.planning.support import exact_optimum, instances

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=60, **SETTINGS)
@given(instances())
def test_every_plan_keeps_every_rule_and_reports_exact_figures(instance):
    plan = planning.solve(instance, time_limit=20)
    json.dumps(plan, allow_nan=False)                     # plain JSON
    report = planning.check(instance, plan)
    assert report.ok, report.errors
    assert abs(report.figures["cost"] - plan["cost"]) <= 1e-6
    assert plan["cost"] == plan["tardiness_days"] + instance["costs"]["visit_days"] * plan["visit_count"]
    assert plan["lower_bound"] <= plan["cost"] + 1e-6


@settings(max_examples=40, **SETTINGS)
@given(instances(max_days=6, max_sites=2, max_instruments=6, max_crews=2))
def test_lower_bound_never_exceeds_the_exact_optimum(instance):
    plan = planning.solve(instance, time_limit=20)
    optimum = exact_optimum(instance)
    assert plan["lower_bound"] <= optimum + 1e-6
    assert optimum <= plan["cost"] + 1e-6                 # and the MILP is a real optimum


@settings(max_examples=25, **SETTINGS)
@given(instances(max_days=6, max_sites=3, max_instruments=6, max_crews=2))
def test_lp_and_lagrangian_bounds_never_exceed_the_exact_optimum(instance):
    """The paths large instances take (plain LP with duals, Lagrangian over chunks of one site), forced
    on tiny instances by lowering the size thresholds."""
    from unittest import mock

    from planning import bound

    inst = compile_instance(instance)
    optimum = exact_optimum(instance)
    with mock.patch.object(bound, "MILP_MAX_COLUMNS", 0), mock.patch.object(bound, "LAGRANGIAN_CHUNK", 1):
        lp = bound.relaxation_bound(inst, resolutions=((1, 2), (3, 4)), time_limit=20, lp_levels=1,
                                    use_pooled=False)
        assert lp.bound <= optimum + 1e-6
        with mock.patch.object(bound, "LP_MAX_COLUMNS", 0):
            lagrangian = bound.relaxation_bound(inst, resolutions=((1, 2), (3, 4)), time_limit=5,
                                                use_pooled=False)
    assert lagrangian.bound <= optimum + 1e-6


@settings(max_examples=40, **SETTINGS)
@given(instances(max_days=8, max_sites=3, max_instruments=7, max_crews=2))
def test_pooled_bound_never_exceeds_the_exact_optimum(instance):
    """The pooled bound (crew minutes per type and day; with whole visits per site as an LP with rounding
    rows or as a MILP, and without them) on its own, with one-day and wide buckets both exercised by
    lowering the number of one-day buckets."""
    from unittest import mock

    from planning import bound

    inst = compile_instance(instance)
    optimum = exact_optimum(instance)
    for singles, width in ((60, 5), (2, 2), (0, 3)):
        for whole, integral in ((True, False), (True, True), (False, False)):
            with mock.patch.object(bound, "POOLED_SINGLES", singles), mock.patch.object(bound, "POOLED_WIDTH", width):
                value = bound.pooled_total(inst, whole_visits=whole, integral=integral)
            if value is not None:
                assert value <= optimum + 1e-6, (singles, width, whole, integral, value, optimum)


def _plan_of(inst, visits):
    from planning.check import figures_of
    from planning.heuristic import planned_days

    days = planned_days(inst, visits)
    figures = figures_of(inst, visits, days)
    return {"format": "lims-plan/1",
            "visits": [{"crew": inst.crew_ids[c], "date": inst.date(t), "site": inst.site_ids[s],
                        "instruments": [inst.inst_ids[i] for i in items]} for c, t, s, items in visits],
            "unplanned": [inst.inst_ids[i] for i in range(len(days)) if days[i] is None],
            "cost": figures["cost"], "tardiness_days": figures["tardiness_days"],
            "visit_count": figures["visit_count"], "lower_bound": 0.0, "gap": 1.0 if figures["cost"] else 0.0,
            "seconds": 0.0}


@settings(max_examples=60, **SETTINGS)
@given(instances(max_days=9, max_sites=3, max_instruments=12, max_crews=3))
def test_volume_guided_dispatch_and_visit_swaps_keep_every_rule(instance):
    """The volume-guided dispatch (forced on by planning for a share of the crew-days) and the visit
    swaps keep every rule, and a swap never raises the cost."""
    import time

    from planning.heuristic import cost_of, dispatch_atc, swap_visits, volume_targets

    inst = compile_instance(instance)
    for share in (1.0, 0.5, 0.2):
        targets = volume_targets(inst, share)
        mask, budget = targets if targets is not None else (None, None)
        visits = dispatch_atc(inst, plan_mask=mask, site_budget=budget, look_ahead=2.0)
        report = planning.check(instance, _plan_of(inst, visits))
        assert report.ok, (share, report.errors)
        if mask is not None:       # nothing outside the mask is planned, no site beyond its budget
            assert all(mask[i] for v in visits for i in v[3])
            for s in range(len(inst.site_ids)):
                assert sum(1 for v in visits if v[2] == s) <= budget[s]
        before = cost_of(inst, visits)
        visits = swap_visits(inst, [[c, t, s, list(items)] for c, t, s, items in visits], time.perf_counter() + 5)
        report = planning.check(instance, _plan_of(inst, visits))
        assert report.ok, (share, "swaps", report.errors)
        assert cost_of(inst, visits) <= before + 1e-9


@settings(max_examples=60, **SETTINGS)
@given(instances(max_days=9, max_sites=3, max_instruments=12, max_crews=3))
def test_visit_exchanges_and_site_lns_keep_every_rule_and_never_raise_the_cost(instance):
    """The exchange of a crew-day between sites, its relocation (the losing site re-solved by its MILP)
    and the site LNS (one MILP per site, its instruments
    grouped by their costs relative to leaving them unplanned), applied to both dispatches planning all,
    half or a fifth of the crew-days (so that work is left for them), keep every rule and never raise
    the cost."""
    import time

    from planning.heuristic import (
        cost_of,
        dispatch,
        dispatch_atc,
        exchange_visits,
        relocate_visits,
        reoptimize_sites,
        volume_targets,
    )

    inst = compile_instance(instance)
    for share in (1.0, 0.5, 0.2):
        targets = volume_targets(inst, share)
        mask, budget = targets if targets is not None else (None, None)
        for visits in (dispatch_atc(inst, plan_mask=mask, site_budget=budget, look_ahead=2.0),
                       dispatch(inst, plan_mask=mask, site_budget=budget)):
            before = cost_of(inst, visits)
            visits = exchange_visits(inst, visits, time.perf_counter() + 5)
            report = planning.check(instance, _plan_of(inst, visits))
            assert report.ok, (share, "exchanges", report.errors)
            after = cost_of(inst, visits)
            assert after <= before + 1e-9
            visits = relocate_visits(inst, visits, time.perf_counter() + 5)
            report = planning.check(instance, _plan_of(inst, visits))
            assert report.ok, (share, "relocation", report.errors)
            assert cost_of(inst, visits) <= after + 1e-9
            after = cost_of(inst, visits)
            visits = reoptimize_sites(inst, visits, time.perf_counter() + 5)
            report = planning.check(instance, _plan_of(inst, visits))
            assert report.ok, (share, "site LNS", report.errors)
            assert cost_of(inst, visits) <= after + 1e-9


def test_a_crew_day_is_relocated_to_the_site_whose_unplanned_work_is_worth_more():
    """Site A's second visit holds two instruments, site B's ten wait unplanned: the crew-day goes to B
    (A keeps its first visit, two of its instruments are left unplanned), and the plan keeps the rules."""
    import time

    from planning.heuristic import cost_of, relocate_visits

    start = "2027-01-04"     # a Monday: days 0 and 1 are workdays
    instance = {"format": "lims-plan-instance/1",
                "horizon": {"start": start, "end": "2027-01-05", "workdays": [1, 2, 3, 4, 5], "holidays": []},
                "costs": {"visit_days": 1.0, "unplanned_penalty_days": 60},
                "kinds": {"scale": {"minutes": 10}},
                "sites": [{"id": "A", "setup_minutes": 0}, {"id": "B", "setup_minutes": 0}],
                "instruments": [{"id": f"A{i:02d}", "site": "A", "kind": "scale", "due": "2027-12-31"}
                                for i in range(12)]
                + [{"id": f"B{i:02d}", "site": "B", "kind": "scale", "due": "2027-12-31"} for i in range(10)],
                "crews": [{"id": "C", "kinds": ["scale"], "minutes_per_day": 100}]}
    inst = compile_instance(instance)
    a_items = [i for i in range(len(inst.inst_ids)) if inst.inst_ids[i].startswith("A")]
    a = inst.site_ids.index("A")
    visits = [[0, 0, a, a_items[:10]], [0, 1, a, a_items[10:]]]
    assert cost_of(inst, visits) == 10 * 60 + 2
    visits = relocate_visits(inst, visits, time.perf_counter() + 5)
    report = planning.check(instance, _plan_of(inst, visits))
    assert report.ok, report.errors
    assert cost_of(inst, visits) == 2 * 60 + 2
    assert sorted(inst.site_ids[s] for _c, _t, s, _items in visits) == ["A", "B"]
