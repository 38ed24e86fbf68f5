"""The lower bound: a time-bucketed relaxation with whole visits per site, solved by HiGHS.

Every plan that keeps the rules maps to a feasible point of the model below whose objective is at
most the plan's cost, so the model's optimum (or HiGHS' proven dual bound when it stops early) is a
lower bound on the cost of every plan.  See docs/planning.md for the argument.

Model (working days cut into consecutive buckets ``b``; crews grouped into types ``τ`` of equal
kinds and minutes per day; instruments grouped into ``g`` = same site, kind, due class, earliest
bucket):

    min  visit_days·Σ v[s,b,τ] + Σ c[g,b]·x[g,b,τ] + Σ cu[g]·u[g]
    s.t. Σ_{b,τ} x[g,b,τ] + u[g] = n[g]                              every instrument planned or not
         Σ_g m[g]·x[g,b,τ] <= (C[τ] − setup[s])·v[s,b,τ]            a visit's minutes (rule 3)
         Σ_s v[s,b,τ] <= A[τ,b]   (crew-days of type τ in b)       one visit per crew a day (rule 2)
         Σ_τ v[s,b,τ] <= S[s,b]   (open days × max crews)          site capacity (rules 1, 2)
         Σ_{b,τ} v[s,b,τ] = V[s],  V[s] integer                     visits at a site are whole
         x, u, v >= 0

``c[g,b]`` is at most the tardiness of every instrument of ``g`` on every day of ``b`` (exact for
instruments already overdue at the first working day, where the sum over the group is linear).
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import time

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_matrix

__all__ = ["Relaxation", "build_buckets", "relaxation_bound", "trivial_bound"]


def trivial_bound(inst):
    """Σ over instruments of the cheapest of 'unplanned' and 'planned on its first possible day'."""
    first = _first_possible_day(inst)
    total = 0.0
    for i in range(len(inst.inst_ids)):
        options = [inst.unplanned_cost(i)]
        if first[i] is not None:
            options.append(max(0, first[i] - inst.inst_due[i]))
        total += min(options)
    if inst.visit_days < 0:
        total += inst.visit_days * sum(1 for c in range(len(inst.crew_ids)) for t in range(inst.ndays)
                                       if inst.crew_available(c, t))
    return total


def _first_possible_day(inst):
    """First day each instrument could be in a visit (a crew of its kind and its site both free)."""
    cache, out = {}, []
    for i in range(len(inst.inst_ids)):
        key = (inst.inst_site[i], inst.inst_kind[i], inst.inst_earliest[i])
        if key not in cache:
            s, k, e = key
            need = inst.site_setup[s] + inst.kind_minutes[k]
            crews = [c for c in range(len(inst.crew_ids))
                     if k in inst.crew_kinds[c] and inst.crew_minutes[c] >= need]
            day = None
            if inst.site_cap[s] > 0:
                for t in range(e, inst.ndays):
                    if inst.site_open(s, t) and any(inst.crew_available(c, t) for c in crews):
                        day = t
                        break
            cache[key] = day
        out.append(cache[key])
    return out


def build_buckets(inst, target):
    """Cut the working days into about ``target`` consecutive buckets, finer at the start.

    The first buckets are single days (overdue work queues there, so the bound needs the detail);
    later ones are wider.  Returns a list of lists of day offsets.
    """
    days = [t for t in range(inst.ndays) if inst.workday[t]]
    if not days:
        return []
    target = max(1, min(target, len(days)))
    if target >= len(days):
        return [[t] for t in days]
    single = min(len(days), max(1, target // 2))
    rest = days[single:]
    nrest = max(1, target - single)
    width = math.ceil(len(rest) / nrest) if rest else 1
    buckets = [[t] for t in days[:single]]
    buckets += [rest[j:j + width] for j in range(0, len(rest), width)]
    return buckets


@dataclasses.dataclass
class Relaxation:
    bound: float
    status: str
    seconds: float
    visits: dict            # site -> visits in the relaxation's solution (None when no solution)
    unplanned: dict         # (site, kind) -> instruments left unplanned in the solution
    size: tuple             # (variables, constraints, integers)


def relaxation_bound(inst, bucket_target=40, time_limit=60.0, integral_visits=True):
    """Solve the relaxation; return a :class:`Relaxation` whose ``bound`` is proven."""
    t0 = time.perf_counter()
    buckets = build_buckets(inst, bucket_target)
    nb = len(buckets)
    trivial = trivial_bound(inst)
    if nb == 0 or not inst.inst_ids:
        return Relaxation(trivial, "trivial", time.perf_counter() - t0, None, {}, (0, 0, 0))
    first = [b[0] for b in buckets]
    last = [b[-1] for b in buckets]
    bucket_of = {}
    for j, b in enumerate(buckets):
        for t in b:
            bucket_of[t] = j

    # crew types and their crew-days per bucket
    types, type_of = [], {}
    for c in range(len(inst.crew_ids)):
        key = (inst.crew_kinds[c], inst.crew_minutes[c])
        if key not in type_of:
            type_of[key] = len(types)
            types.append(key)
    avail = np.zeros((len(types), nb))
    for c in range(len(inst.crew_ids)):
        tau = type_of[(inst.crew_kinds[c], inst.crew_minutes[c])]
        for t in range(inst.ndays):
            if t in bucket_of and inst.crew_available(c, t):
                avail[tau, bucket_of[t]] += 1

    # groups of interchangeable instruments
    groups = {}
    for i in range(len(inst.inst_ids)):
        due, e = inst.inst_due[i], inst.inst_earliest[i]
        if due < first[0]:
            dclass = -1
        elif due >= last[-1]:
            dclass = nb
        else:
            dclass = bisect.bisect_right(first, due) - 1
        eb = bisect.bisect_left(last, e)
        key = (inst.inst_site[i], inst.inst_kind[i], dclass, eb)
        g = groups.get(key)
        if g is None:
            groups[key] = g = [0, 0, -10 ** 9, 0.0]  # count, sum of dues, max due, sum of unplanned cost
        g[0] += 1
        g[1] += due
        g[2] = max(g[2], due)
        g[3] += inst.unplanned_cost(i)
    by_site = {}
    for key in groups:
        by_site.setdefault(key[0], []).append(key)

    cols_cost, cols_lb, cols_ub, cols_int = [], [], [], []
    rows, cols, vals, row_lb, row_ub = [], [], [], [], []

    def new_col(cost, ub=np.inf, integer=0):
        cols_cost.append(cost)
        cols_lb.append(0.0)
        cols_ub.append(ub)
        cols_int.append(integer)
        return len(cols_cost) - 1

    def new_row(lb, ub):
        row_lb.append(lb)
        row_ub.append(ub)
        return len(row_lb) - 1

    def put(r, col, val):
        rows.append(r)
        cols.append(col)
        vals.append(val)

    crew_rows = {}
    for tau in range(len(types)):
        for j in range(nb):
            crew_rows[(tau, j)] = new_row(-np.inf, avail[tau, j])
    site_vars, site_v_cols = {}, {}
    group_x = {key: [] for key in groups}
    for s, keys in by_site.items():
        setup = inst.site_setup[s]
        kinds_here = {key[1] for key in keys}
        zero = any(inst.kind_minutes[k] == 0 for k in kinds_here)
        nsite = sum(groups[key][0] for key in keys)
        vcols = []
        for j, b in enumerate(buckets):
            open_days = sum(1 for t in b if t not in inst.site_closed[s])
            slots = open_days * inst.site_cap[s]
            if slots == 0:
                continue
            srow = None
            for tau, (kinds, cmin) in enumerate(types):
                if avail[tau, j] == 0:
                    continue
                room = cmin - setup
                useful = [key for key in keys if key[1] in kinds and inst.kind_minutes[key[1]] <= room
                          and key[3] <= j]
                if not useful:
                    continue
                if srow is None:
                    srow = new_row(-np.inf, slots)
                v = new_col(inst.visit_days, ub=min(slots, avail[tau, j]))
                vcols.append(v)
                put(crew_rows[(tau, j)], v, 1.0)
                put(srow, v, 1.0)
                cap = new_row(-np.inf, 0.0)
                put(cap, v, -float(room))
                cnt = new_row(-np.inf, 0.0) if zero else None
                if cnt is not None:
                    put(cnt, v, -float(nsite))
                for key in useful:
                    n, sdue, dmax, _ = groups[key]
                    if key[2] == -1:
                        cost = first[j] - sdue / n
                    else:
                        cost = max(0, first[j] - dmax)
                    x = new_col(cost)
                    group_x[key].append(x)
                    put(cap, x, float(inst.kind_minutes[key[1]]))
                    if cnt is not None:
                        put(cnt, x, 1.0)
        if vcols:
            vs = new_col(0.0, integer=1 if integral_visits else 0)
            site_vars[s] = vs
            site_v_cols[s] = vcols
            r = new_row(0.0, 0.0)
            put(r, vs, -1.0)
            for v in vcols:
                put(r, v, 1.0)
    unplanned_cols = {}
    for key, (n, sdue, dmax, sunpl) in groups.items():
        if key[2] == -1:
            cu = sunpl / n          # exact: every instrument of the group is overdue
        else:
            cu = max(0, inst.ndays - dmax) + inst.penalty
        u = new_col(cu)
        unplanned_cols[key] = u
        r = new_row(n, n)
        put(r, u, 1.0)
        for x in group_x[key]:
            put(r, x, 1.0)
    nvar, ncon = len(cols_cost), len(row_lb)
    A = csr_matrix((vals, (rows, cols)), shape=(ncon, nvar))
    integrality = np.array(cols_int)
    remaining = max(1.0, time_limit - (time.perf_counter() - t0))
    res = milp(np.array(cols_cost), constraints=LinearConstraint(A, np.array(row_lb), np.array(row_ub)),
               integrality=integrality, bounds=(np.array(cols_lb), np.array(cols_ub)),
               options={"time_limit": remaining, "mip_rel_gap": 1e-4, "disp": False})
    bound, status = None, res.message
    dual = getattr(res, "mip_dual_bound", None)
    if res.status == 0 and res.fun is not None:
        bound = float(dual) if dual is not None and np.isfinite(dual) else float(res.fun)
    elif dual is not None and np.isfinite(dual):
        bound = float(dual)
    if bound is None:
        bound, status = trivial, f"trivial ({res.message})"
    else:
        bound -= 1e-6 * max(1.0, abs(bound))      # solver tolerances
        bound = max(bound, trivial)
    visits, unplanned = None, {}
    if res.x is not None:
        visits = {s: int(round(res.x[v])) for s, v in site_vars.items()}
        for key, u in unplanned_cols.items():
            unplanned[(key[0], key[1])] = unplanned.get((key[0], key[1]), 0.0) + float(res.x[u])
    return Relaxation(bound, status, time.perf_counter() - t0, visits, unplanned,
                      (nvar, ncon, int(integrality.sum())))
