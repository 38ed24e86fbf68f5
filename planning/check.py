"""Checking a plan against every rule of the contract and recomputing its figures."""
from __future__ import annotations

import dataclasses
import math

from .instance import PLAN_FORMAT, InstanceError, compile_instance, parse_date

__all__ = ["CheckReport", "check", "figures_of"]

TOLERANCE = 1e-6
GAP_TOLERANCE = 1e-4


@dataclasses.dataclass
class CheckReport:
    ok: bool
    errors: list
    figures: dict

    def __bool__(self):
        return self.ok


def figures_of(inst, visits_by_index, planned_day):
    """Cost figures of a plan given as ``planned_day`` (day offset per instrument, or None)."""
    tardiness = 0.0
    for i, t in enumerate(planned_day):
        if t is None:
            tardiness += inst.unplanned_cost(i)
        else:
            tardiness += max(0, t - inst.inst_due[i])
    count = len(visits_by_index)
    return {"tardiness_days": tardiness, "visit_count": count, "cost": tardiness + inst.visit_days * count,
            "unplanned_count": sum(1 for t in planned_day if t is None)}


def check(instance, plan) -> CheckReport:
    """Verify ``plan`` against ``instance``; raise :class:`InstanceError` when the instance is invalid."""
    inst = compile_instance(instance)
    errors = []
    if not isinstance(plan, dict):
        return CheckReport(False, ["plan: must be an object"], {})
    if plan.get("format") != PLAN_FORMAT:
        errors.append(f"format: must be {PLAN_FORMAT!r}")
    visits = plan.get("visits")
    if not isinstance(visits, list):
        return CheckReport(False, errors + ["visits: must be a list"], {})
    site_index = {s: n for n, s in enumerate(inst.site_ids)}
    crew_index = {c: n for n, c in enumerate(inst.crew_ids)}
    inst_index = {i: n for n, i in enumerate(inst.inst_ids)}
    planned_day = [None] * len(inst.inst_ids)
    crew_days, good = set(), []
    site_days: dict = {}
    for n, visit in enumerate(visits):
        where = f"visits[{n}]"
        if not isinstance(visit, dict):
            errors.append(f"{where}: must be an object")
            continue
        crew, site, items = visit.get("crew"), visit.get("site"), visit.get("instruments")
        if not isinstance(crew, str) or crew not in crew_index:
            errors.append(f"{where}.crew: unknown crew {crew!r:.40}")
            continue
        if not isinstance(site, str) or site not in site_index:
            errors.append(f"{where}.site: unknown site {site!r:.40}")
            continue
        try:
            t = inst.offset(parse_date(visit.get("date"), f"{where}.date"))
        except InstanceError as exc:
            errors.append(str(exc))
            continue
        c, s = crew_index[crew], site_index[site]
        date = visit["date"]
        # rule 1
        if not 0 <= t < inst.ndays:
            errors.append(f"{where}: date {date} is outside the horizon (rule 1)")
        elif not inst.workday[t]:
            errors.append(f"{where}: date {date} is not a workday or is a holiday (rule 1)")
        else:
            if t in inst.crew_off[c]:
                errors.append(f"{where}: crew {crew} is off on {date} (rule 1)")
            if t in inst.site_closed[s]:
                errors.append(f"{where}: site {site} is closed on {date} (rule 1)")
        # rule 2
        if (c, t) in crew_days:
            errors.append(f"{where}: crew {crew} has more than one visit on {date} (rule 2)")
        crew_days.add((c, t))
        site_days[(s, t)] = site_days.get((s, t), 0) + 1
        if site_days[(s, t)] == inst.site_cap[s] + 1:
            errors.append(f"{where}: site {site} has more than {inst.site_cap[s]} visits on {date} (rule 2)")
        # rule 6
        if not isinstance(items, list) or not items:
            errors.append(f"{where}.instruments: a visit has at least one instrument (rule 6)")
            good.append(n)
            continue
        minutes = inst.site_setup[s]
        for j, iid in enumerate(items):
            if not isinstance(iid, str) or iid not in inst_index:
                errors.append(f"{where}.instruments[{j}]: unknown instrument {iid!r:.40}")
                continue
            i = inst_index[iid]
            minutes += inst.kind_minutes[inst.inst_kind[i]]
            # rule 4
            if inst.inst_site[i] != s:
                errors.append(f"{where}: instrument {iid} is not at site {site} (rule 4)")
            if inst.inst_kind[i] not in inst.crew_kinds[c]:
                kind = inst.kind_ids[inst.inst_kind[i]]
                errors.append(f"{where}: crew {crew} does not verify {kind} ({iid}, rule 4)")
            if t < inst.inst_earliest[i]:
                errors.append(f"{where}: instrument {iid} is not available before its earliest date (rule 4)")
            # rule 5
            if planned_day[i] is not None:
                errors.append(f"{where}: instrument {iid} is in more than one visit (rule 5)")
            else:
                planned_day[i] = t
        # rule 3
        if minutes > inst.crew_minutes[c]:
            errors.append(f"{where}: {minutes} minutes exceed crew {crew}'s {inst.crew_minutes[c]} (rule 3)")
        good.append(n)
    unplanned = plan.get("unplanned")
    if not isinstance(unplanned, list):
        errors.append("unplanned: must be a list")
    else:
        listed = set()
        for j, iid in enumerate(unplanned):
            if not isinstance(iid, str) or iid not in inst_index:
                errors.append(f"unplanned[{j}]: unknown instrument {iid!r:.40}")
            elif iid in listed:
                errors.append(f"unplanned[{j}]: {iid} is listed twice (rule 5)")
            elif planned_day[inst_index[iid]] is not None:
                errors.append(f"unplanned[{j}]: {iid} is in a visit (rule 5)")
            else:
                listed.add(iid)
        missing = [iid for n, iid in enumerate(inst.inst_ids) if planned_day[n] is None and iid not in listed]
        if missing:
            errors.append(f"unplanned: {len(missing)} instrument(s) in no visit are not listed, "
                          f"e.g. {missing[0]} (rule 5)")
    figures = figures_of(inst, good, planned_day)
    for key in ("cost", "tardiness_days", "visit_count"):
        value = plan.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            errors.append(f"{key}: must be a number")
        elif abs(value - figures[key]) > TOLERANCE * max(1.0, abs(figures[key])):
            errors.append(f"{key}: reported {value} but the visits give {figures[key]}")
    bound = plan.get("lower_bound")
    if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
        errors.append("lower_bound: must be a number")
    else:
        figures["lower_bound"] = float(bound)
        if bound > figures["cost"] + TOLERANCE * max(1.0, abs(figures["cost"])):
            errors.append(f"lower_bound: {bound} exceeds the cost {figures['cost']}")
        gap = (figures["cost"] - bound) / figures["cost"] if figures["cost"] else 0.0
        figures["gap"] = gap
        reported = plan.get("gap")
        if isinstance(reported, bool) or not isinstance(reported, (int, float)) or not math.isfinite(reported):
            errors.append("gap: must be a number")
        elif abs(reported - gap) > GAP_TOLERANCE:
            errors.append(f"gap: reported {reported} but (cost - lower_bound) / cost is {gap:.6f}")
    seconds = plan.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        errors.append("seconds: must be a non-negative number")
    return CheckReport(not errors, errors, figures)

