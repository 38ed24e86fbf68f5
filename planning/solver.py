"""``planning.solve``: bound, construct, improve, report (see docs/planning.md)."""
from __future__ import annotations

import time

from .bound import relaxation_bound, trivial_bound
from .check import figures_of
from .heuristic import (
    cost_of,
    dispatch,
    dispatch_atc,
    exchange_visits,
    fill_free_days,
    insert_unplanned,
    planned_days,
    relocate_visits,
    reoptimize_sites,
    swap_visits,
    volume_targets,
)
from .instance import PLAN_FORMAT, compile_instance

__all__ = ["solve", "default_time_limit"]

VOLUME_SHARE = 0.95     # share of the crew-days the volume targets plan for (the rest: lost days, free crew-days)
BOUND_SHARE = 0.4       # share of the time left that the relaxation is given
RELOCATE_SHARE = 0.2   # share of the time left after the swaps that the visit relocation is given at most
SWAP_SHARE = 0.4        # share of the time left after the bound that the visit swaps are given (then site LNS)



def default_time_limit(n):
    """Seconds allowed when the caller gives none: 25 s up to a province (~75,000 instruments), then
    linear in size (a province ten times larger: about 236 s), never more than 9 minutes.  (25 s keeps
    the province's whole run, the interpreter's start and the writing included, under 30 s wall at
    load 4-5 on the 2-core benchmark machine; the site LNS uses the extra 5 s.)"""
    return min(540.0, max(25.0, 25.0 * n / 75_000))


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
    report = progress or _quiet
    inst = compile_instance(instance)
    n = len(inst.inst_ids)
    limit = default_time_limit(n) if time_limit is None else max(0.0, float(time_limit))
    deadline = t0 + limit
    report(0.05, f"instance read: {n} instruments, {len(inst.site_ids)} sites, {len(inst.crew_ids)} crews")

    def left():
        return deadline - time.perf_counter()

    candidates = []

    # 1. the construction that pays most, before the bound takes its share of the time: where crew-days
    # are short, apparent-tardiness-cost dispatch guided by whole visits per site (volume targets);
    # otherwise plain apparent-tardiness-cost dispatch
    targets = volume_targets(inst, VOLUME_SHARE) if left() > 1.0 else None

    def construct(look_ahead, guided, share):
        until = time.perf_counter() + share * max(0.0, left())
        if guided:
            visits = dispatch_atc(inst, plan_mask=targets[0], site_budget=targets[1], look_ahead=look_ahead,
                                  deadline=until)
            visits = fill_free_days(inst, insert_unplanned(inst, visits), time.perf_counter() + 0.2 * left())
            candidates.append((f"volume-guided ATC dispatch (k={look_ahead:g})", visits))
        else:
            candidates.append((f"ATC dispatch (k={look_ahead:g})", dispatch_atc(inst, look_ahead=look_ahead,
                                                                                deadline=until)))

    if left() > 1.0:
        construct(2.0, targets is not None, 0.6)
    if not candidates:      # no time for it: earliest-due dispatch, the fastest sound plan
        candidates.append(("earliest-due dispatch", dispatch(inst, deadline=deadline)))
    report(0.2, "plans built: " + ", ".join(f"{name} {cost_of(inst, v):.0f}" for name, v in candidates))

    # 2. the relaxation: proven bound, and which instruments to leave unplanned
    relax = None
    if left() > 1.0:
        relax = relaxation_bound(inst, time_limit=max(0.5, BOUND_SHARE * left()))
        bound = relax.bound
    else:
        bound = trivial_bound(inst)
    report(0.5, f"lower bound {bound:.1f}")

    # 3. other constructions while they take a small share of the time left: other look-aheads, and
    # the mask of the relaxation's solution (what it leaves unplanned)
    # (with volume targets these did not beat the first construction on the generated instances, and
    # the time is better spent improving it)
    for look_ahead in (10.0, 30.0) if targets is None else ():
        if left() > 2.0:
            construct(look_ahead, False, 0.2)
    mask = _guided_mask(inst, relax) if relax is not None and targets is None else None
    if mask is not None and not all(mask) and left() > 2.0:
        candidates.append(("guided ATC dispatch", dispatch_atc(inst, plan_mask=mask, look_ahead=10.0,
                                                               deadline=time.perf_counter() + 0.2 * left())))

    # 4. improve the best construction: insertion, free crew-days, visit swaps, site LNS
    name, visits = min(candidates, key=lambda nv: cost_of(inst, nv[1]))
    visits = insert_unplanned(inst, visits)
    visits = fill_free_days(inst, visits, time.perf_counter() + 0.1 * max(0.0, left()))
    visits = exchange_visits(inst, visits, time.perf_counter() + 0.1 * max(0.0, left()))
    report(0.55, f"free crew-days and exchanges: cost {cost_of(inst, visits):.1f} ({left():.1f} s left)")
    visits = swap_visits(inst, visits, time.perf_counter() + SWAP_SHARE * max(0.0, left()))
    report(0.65, f"visit swaps: cost {cost_of(inst, visits):.1f} ({left():.1f} s left)")
    visits = relocate_visits(inst, visits, time.perf_counter() + RELOCATE_SHARE * max(0.0, left()))
    report(0.7, f"visit relocation: cost {cost_of(inst, visits):.1f} ({left():.1f} s left)")
    visits = reoptimize_sites(inst, visits, deadline - 0.05 * max(0.0, left()))
    # time left once the site LNS has been through every site (a lightly loaded machine, a longer time
    # limit): exchanges, swaps and the site LNS again, while a round lowers the cost
    current = cost_of(inst, visits)
    report(0.8, f"site LNS: cost {current:.1f} ({left():.1f} s left)")
    while left() > 1.0:
        visits = exchange_visits(inst, insert_unplanned(inst, visits), time.perf_counter() + 0.1 * left())
        visits = swap_visits(inst, visits, time.perf_counter() + 0.3 * left())
        visits = reoptimize_sites(inst, visits, deadline - 0.05 * max(0.0, left()))
        previous, current = current, cost_of(inst, visits)
        report(0.85, f"another round: cost {current:.1f} ({left():.1f} s left)")
        if current >= previous - 1e-9:
            break
    best = insert_unplanned(inst, visits)
    report(0.9, f"insertion: cost {cost_of(inst, best):.1f} ({left():.1f} s left)")
    best_name = name + " + visit swaps + site LNS"
    report(0.95, f"{best_name}: cost {cost_of(inst, best):.1f}")

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
