"""``planning.solve``: bound, construct, improve, report (see docs/planning.md)."""
from __future__ import annotations

import time

from .bound import relaxation_bound, trivial_bound
from .check import figures_of
from .heuristic import dispatch, fill_free_days, insert_unplanned, reoptimize_sites, cost_of, planned_days
from .instance import PLAN_FORMAT, compile_instance

__all__ = ["solve", "DEFAULT_TIME_LIMIT"]

DEFAULT_TIME_LIMIT = 600.0


def _quiet(_fraction, _message):
    pass


def _guided_mask(inst, relax):
    """Plan what the relaxation plans: per (site, kind) leave its unplanned count out, latest due first."""
    if not relax.unplanned:
        return None
    drop = {key: int(round(v)) for key, v in relax.unplanned.items() if v > 0.5}
    mask = bytearray([1]) * len(inst.inst_ids)
    if not drop:
        return mask
    members = {}
    for i in range(len(inst.inst_ids)):
        key = (inst.inst_site[i], inst.inst_kind[i])
        if key in drop:
            members.setdefault(key, []).append(i)
    for key, items in members.items():
        items.sort(key=lambda i: (-inst.unplanned_cost(i), inst.inst_due[i], i))
        for i in items[len(items) - min(drop[key], len(items)):]:
            mask[i] = 0
    return mask


def solve(instance, time_limit=None, progress=None, started=None):
    """Plan ``instance`` (a dict in ``lims-plan-instance/1``); return a plan dict (``lims-plan/1``).

    ``time_limit`` (seconds) bounds the whole run, counted from ``started`` (a ``time.perf_counter``
    value, for callers that include reading the file); ``progress(fraction, message)`` is called as
    the run advances.  Raises :class:`planning.InstanceError` for an invalid instance.
    """
    t0 = time.perf_counter() if started is None else started
    limit = DEFAULT_TIME_LIMIT if time_limit is None else max(0.0, float(time_limit))
    deadline = t0 + limit
    report = progress or _quiet
    inst = compile_instance(instance)
    n = len(inst.inst_ids)
    report(0.05, f"instance read: {n} instruments, {len(inst.site_ids)} sites, {len(inst.crew_ids)} crews")

    def left():
        return deadline - time.perf_counter()

    # 1. construction without the relaxation: a sound plan early, whatever happens later
    candidates = []
    plain = dispatch(inst, deadline=deadline)
    candidates.append(("earliest-due dispatch", plain))
    report(0.15, "first plan built")

    # 2. the relaxation: proven bound and guidance
    bucket_target = 40 if n <= 150_000 else 16
    relax = None
    if left() > 1.0:
        relax = relaxation_bound(inst, bucket_target=bucket_target, time_limit=max(0.5, 0.45 * left()))
        bound = relax.bound
    else:
        bound = trivial_bound(inst)
    report(0.5, f"lower bound {bound:.1f}")

    # 3. guided construction: the relaxation's unplanned choices and whole visits per site
    if relax is not None and relax.visits is not None and left() > 0.5:
        mask = _guided_mask(inst, relax)
        candidates.append(("guided dispatch", dispatch(inst, plan_mask=mask, site_budget=relax.visits,
                                                       deadline=deadline)))
        budget = {s: v + 1 for s, v in relax.visits.items()}
        candidates.append(("guided dispatch +1", dispatch(inst, plan_mask=mask, site_budget=budget,
                                                          deadline=deadline)))

    # 4. improvement of each candidate: insertion, free crew-days, site LNS
    best, best_cost, best_name = None, None, None
    share = len(candidates)
    for k, (name, visits) in enumerate(candidates):
        stop = time.perf_counter() + max(0.0, left() - 0.2) / (share - k)
        visits = insert_unplanned(inst, visits)
        visits = fill_free_days(inst, visits, stop)
        visits = reoptimize_sites(inst, visits, stop)
        visits = insert_unplanned(inst, visits)
        cost = cost_of(inst, visits)
        if best_cost is None or cost < best_cost:
            best, best_cost, best_name = visits, cost, name
        report(0.55 + 0.4 * (k + 1) / share, f"{name}: cost {cost:.1f}")

    days = planned_days(inst, best)
    figures = figures_of(inst, best, days)
    cost = figures["cost"]
    best.sort(key=lambda v: (v[1], v[0]))
    plan = {
        "format": PLAN_FORMAT,
        "visits": [{"crew": inst.crew_ids[c], "date": inst.date(t), "site": inst.site_ids[s],
                    "instruments": [inst.inst_ids[i] for i in sorted(items)]} for c, t, s, items in best],
        "cost": cost,
        "tardiness_days": figures["tardiness_days"],
        "visit_count": figures["visit_count"],
        "unplanned": [inst.inst_ids[i] for i in range(n) if days[i] is None],
        "lower_bound": bound,
        "gap": (cost - bound) / cost if cost else 0.0,
    }
    plan["seconds"] = round(time.perf_counter() - t0, 3)
    report(1.0, f"plan ({best_name}): cost {cost:.1f}, lower bound {bound:.1f}"
                f" ({relax.status if relax is not None else 'trivial'})")
    return plan
