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

Beside it, each part also gets :func:`pooled_bound` (crew minutes pooled per crew type and day, whole
visits per site for the volume); a part's bound is the larger of the two.
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import time

import numpy as np
from scipy.optimize import LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

LP_METHOD = "highs-ds"
LP_MAX_COLUMNS = 120_000    # larger parts are bounded by Lagrangian relaxation over chunks of sites
MILP_MAX_COLUMNS = 5_000    # parts this small get whole visit counts per site (MILP), larger ones the LP
POOLED_MILP_MAX_SITES = 50  # parts this small get the pooled bound with integer visit counts too, if time remains

__all__ = ["Relaxation", "build_buckets", "pooled_bound", "pooled_total", "relaxation_bound", "trivial_bound"]


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


def build_buckets(inst, singles=20, total=40):
    """Cut the working days into consecutive buckets: ``singles`` one-day buckets first (overdue
    work queues there, so the bound needs the detail), then ``total − singles`` of equal width.
    Returns a list of lists of day offsets."""
    days = [t for t in range(inst.ndays) if inst.workday[t]]
    if not days:
        return []
    singles = min(singles, len(days))
    rest = days[singles:]
    buckets = [[t] for t in days[:singles]]
    if rest:
        width = math.ceil(len(rest) / max(1, total - singles))
        buckets += [rest[j:j + width] for j in range(0, len(rest), width)]
    return buckets


@dataclasses.dataclass
class Relaxation:
    bound: float
    status: str
    seconds: float
    visits: dict            # site -> visits in the relaxation's solution (None when no solution)
    unplanned: dict         # (site, kind) -> instruments left unplanned in the solution
    size: tuple             # (variables, constraints)


def _components(inst, types):
    """Connected components of sites and crew types (a type is joined to a site whose kinds it serves)."""
    parent = list(range(len(types) + len(inst.site_ids)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    kinds_at = [set() for _ in inst.site_ids]
    for i in range(len(inst.inst_ids)):
        kinds_at[inst.inst_site[i]].add(inst.inst_kind[i])
    for s, ks in enumerate(kinds_at):
        for tau, (kinds, _m) in enumerate(types):
            if ks & kinds:
                parent[find(len(types) + s)] = find(tau)
    comps = {}
    for s, ks in enumerate(kinds_at):
        if ks:
            comps.setdefault(find(len(types) + s), ([], []))[1].append(s)
    for tau in range(len(types)):
        if find(tau) in comps:
            comps[find(tau)][0].append(tau)
    return list(comps.values())


RESOLUTIONS = ((6, 10), (12, 18), (20, 30), (30, 45))


def relaxation_bound(inst, resolutions=RESOLUTIONS, time_limit=60.0, vub=True, lp_levels=None, use_pooled=True):
    """Solve the relaxation, one LP per independent part, coarse buckets first then finer ones while
    time remains; each part keeps its best (largest) proven value.  Returns a :class:`Relaxation`."""
    t0 = time.perf_counter()
    trivial = trivial_bound(inst)
    if not any(inst.workday) or not inst.inst_ids:
        return Relaxation(trivial, "trivial", time.perf_counter() - t0, None, {}, (0, 0))
    types, type_of = inst.crew_types()
    by_site = inst.instruments_by_site()
    comps = _components(inst, types)
    weight = [sum(len(by_site.get(s, ())) for s in comp[1]) for comp in comps]
    best = [None] * len(comps)        # (value, visits, unplanned, nvar, ncon, buckets)
    # the pooled bound first: cheap, and on a backlog worked off against scarce capacity the strongest
    pooled = [None] * len(comps)
    pooled_seconds = [0.0] * len(comps)
    if use_pooled:
        left_weight = sum(weight)
        for k in sorted(range(len(comps)), key=lambda k: weight[k]):
            remaining = time_limit - (time.perf_counter() - t0)
            share = max(0.5, weight[k] / max(1, left_weight))
            left_weight -= weight[k]
            if remaining > 0.5:
                started = time.perf_counter()
                pooled[k] = pooled_bound(inst, comps[k][0], comps[k][1], types, by_site, share * remaining)
                pooled_seconds[k] = time.perf_counter() - started
            if pooled[k] is None and time_limit - (time.perf_counter() - t0) > 0.5:   # stopped before its root
                pooled[k] = pooled_bound(inst, comps[k][0], comps[k][1], types, by_site, 0.5, whole_visits=False)
    # a part whose crew-days are fewer than the visits its work needs is bounded by the pooled bound:
    # what it leaves unplanned is what counts, and the site relaxation has no rounding rows for it
    # (on the generated province's hospitals its coarse LP is 17 % below the pooled bound, finer ones
    # stay below it too); its time goes to the other parts and to the plan
    skip = {k for k in range(len(comps)) if pooled[k] is not None and _short(inst, types, type_of, *comps[k], by_site)}
    duals = {}                        # part -> (buckets, crew-day duals) of its last LP
    took = {}                         # part -> (seconds, buckets) of its last site relaxation
    done_any = True
    for level, (singles, total) in enumerate(resolutions):
        if not done_any or (lp_levels is not None and level >= lp_levels):
            break
        done_any = False
        buckets = build_buckets(inst, singles, total)
        if level > 0 and len(buckets) <= len(build_buckets(inst, *resolutions[level - 1])):
            continue
        bucket_of = {t: j for j, b in enumerate(buckets) for t in b}
        avail = np.zeros((len(types), len(buckets)))
        for c in range(len(inst.crew_ids)):
            tau = type_of[(inst.crew_kinds[c], inst.crew_minutes[c])]
            for t, j in bucket_of.items():
                if inst.crew_available(c, t):
                    avail[tau, j] += 1
        # the time is shared by the parts still worth refining: a part whose site relaxation is far
        # below its pooled bound is not (finer buckets rarely gain this much: its time goes to the others)
        order = [k for k in sorted(range(len(comps)), key=lambda k: weight[k]) if k not in skip and (
                 best[k] is None or pooled[k] is None or pooled[k] <= POOLED_MARGIN * best[k][0])]
        left_weight = sum(weight[k] for k in order)
        for k in order:
            remaining = time_limit - (time.perf_counter() - t0)
            share = remaining * weight[k] / max(1, left_weight)
            left_weight -= weight[k]
            if share < 0.2 and best[k] is not None:
                continue
            if pooled[k] is not None and share < 2 * pooled_seconds[k]:
                continue        # the site model is larger than the pooled one: not worth starting
            if k in took and share < took[k][0] * (len(buckets) / took[k][1]) ** 2:
                continue        # the last, coarser LP took long: this one would not finish in its share
            started = time.perf_counter()
            part = _solve_part(inst, buckets, types, avail, comps[k], by_site, max(0.2, share), vub)
            took[k] = (time.perf_counter() - started, len(buckets))
            if part is None:
                continue
            done_any = True
            if best[k] is None or part[0] > best[k][0]:
                best[k] = part[:5] + (len(buckets),)
            if not part[6]:
                duals[k] = (buckets, part[5])
    # parts too large for one LP in time: Lagrangian bound from zero prices on the coarsest buckets
    coarse = build_buckets(inst, *resolutions[0])
    for k in sorted(range(len(comps)), key=lambda k: weight[k]):
        remaining = time_limit - (time.perf_counter() - t0)
        if best[k] is None and remaining > 0.5 and k not in skip:
            value = _lagrangian(inst, coarse, types, type_of, comps[k], by_site, coarse, {},
                                time.perf_counter() + remaining, vub)
            if value is not None:
                best[k] = (value, {}, {}, 0, 0, f"{len(coarse)} (Lagrangian)")
    # Lagrangian refinement: finer buckets, crew-days priced by the duals of the last LP, sites in chunks
    finest = build_buckets(inst, *resolutions[-1])
    for k, (buckets0, lam0) in sorted(duals.items(), key=lambda kv: -weight[kv[0]]):
        remaining = time_limit - (time.perf_counter() - t0)
        enough = max(LAGRANGIAN_MIN_SECONDS, 3 * took.get(k, (0.0,))[0])
        if remaining < enough or best[k] is None or best[k][5] >= len(finest) or (
                pooled[k] is not None and pooled[k] > POOLED_MARGIN * best[k][0]):
            continue
        value = _lagrangian(inst, finest, types, type_of, comps[k], by_site, buckets0, lam0,
                            time.perf_counter() + remaining, vub)
        if value is not None and value > best[k][0]:
            best[k] = (value,) + best[k][1:5] + (f"{len(finest)} (Lagrangian)",)
    # whole visit counts as integers (the LP has them through its rounding rows only), if time remains
    for k in sorted(range(len(comps)), key=lambda k: weight[k]):
        remaining = time_limit - (time.perf_counter() - t0)
        if (pooled[k] is not None and remaining > 1.0 and len(comps[k][1]) <= POOLED_MILP_MAX_SITES
                and (best[k] is None or pooled[k] >= best[k][0])):
            value = pooled_bound(inst, comps[k][0], comps[k][1], types, by_site, 0.5 * remaining, integral=True)
            if value is not None and value > pooled[k]:
                pooled[k] = value
    for k, value in enumerate(pooled):
        if value is not None and (best[k] is None or value > best[k][0]):
            best[k] = (value,) + (best[k][1:5] if best[k] is not None else ({}, {}, 0, 0)) + ("daily (pooled)",)
    if any(b is None for b in best):
        return Relaxation(trivial, "trivial (the relaxation was not solved in time)",
                          time.perf_counter() - t0, None, {}, (0, 0))
    bound = sum(b[0] for b in best)
    visits, unplanned = {}, {}
    for b in best:
        visits.update(b[1])
        unplanned.update(b[2])
    bound -= 1e-6 * max(1.0, abs(bound))      # solver tolerances
    size = (sum(b[3] for b in best), sum(b[4] for b in best))
    buckets_used = "/".join(str(b[5]) for b in best)
    if bound < trivial:
        return Relaxation(trivial, "trivial bound (stronger than the relaxation here)",
                          time.perf_counter() - t0, visits, unplanned, size)
    return Relaxation(bound, f"LP relaxation, {len(comps)} part(s), {buckets_used} buckets",
                      time.perf_counter() - t0, visits, unplanned, size)


def _short(inst, types, type_of, type_ids, site_ids, by_site):
    """Whether the part's crew-days are fewer than the visits its instruments need (each site's minutes
    over the room of the widest crew that may visit it)."""
    need = 0
    for s in site_ids:
        kinds = {inst.inst_kind[i] for i in by_site.get(s, ())}
        room = max((types[tau][1] - inst.site_setup[s] for tau in type_ids if types[tau][0] & kinds), default=0)
        if room > 0:
            need += math.ceil(sum(inst.kind_minutes[inst.inst_kind[i]] for i in by_site.get(s, ())) / room)
    days = sum(1 for c in range(len(inst.crew_ids)) if type_of[(inst.crew_kinds[c], inst.crew_minutes[c])] in type_ids
               for t in range(inst.ndays) if inst.crew_available(c, t))
    return days < need


LAGRANGIAN_CHUNK = 40   # sites per sub-problem once the crew-days are priced
LAGRANGIAN_MIN_SECONDS = 3.0   # the refinement of a solved part needs a few steps to gain: not started with less
# (nor with less than three times its last LP's time: each step solves the finest buckets, and on the generated
# province and ten provinces it never beat the LP it started from — 219,791 vs 220,068, 1,689,543 vs 1,907,828)
DEBUG = False


def _lagrangian(inst, buckets, types, type_of, comp, by_site, buckets0, lam0, deadline, vub):
    """max over a few subgradient steps of L(λ) = Σ_chunks LP_chunk(λ) − Σ λ·A; None if unfinished."""
    day_price = {}
    for j, b in enumerate(buckets0):
        for t in b:
            for tau in comp[0]:
                day_price[(tau, t)] = lam0.get((tau, j), 0.0)
    bucket_of = {t: j for j, b in enumerate(buckets) for t in b}
    avail = np.zeros((len(types), len(buckets)))
    for c in range(len(inst.crew_ids)):
        tau = type_of[(inst.crew_kinds[c], inst.crew_minutes[c])]
        for t, j in bucket_of.items():
            if inst.crew_available(c, t):
                avail[tau, j] += 1
    prices = {}
    for tau in comp[0]:
        for j, b in enumerate(buckets):
            prices[(tau, j)] = float(np.mean([day_price.get((tau, t), 0.0) for t in b]))
    sites = comp[1]
    chunks = [sites[i:i + LAGRANGIAN_CHUNK] for i in range(0, len(sites), LAGRANGIAN_CHUNK)]
    best, theta, stale = None, 1.0, 0
    for _iteration in range(100):
        value = -sum(prices[(tau, j)] * avail[tau, j] for tau, j in prices)
        usage = {}
        for chunk in chunks:
            left = deadline - time.perf_counter()
            if left <= 0.1:
                return best
            part = _solve_part(inst, buckets, types, avail, (comp[0], chunk), by_site, left, vub, prices=prices)
            if part is None:
                return best
            value += part[0]
            for key, used in part[5].items():
                usage[key] = usage.get(key, 0.0) + used
        if best is None or value > best + 1e-9 * abs(best):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 3:
                theta, stale = theta / 2, 0
        if DEBUG:
            print("lagrangian", _iteration, value, theta, time.perf_counter(), flush=True)
        grad = {key: usage.get(key, 0.0) - avail[key] for key in prices}
        norm = sum(g * g for g in grad.values())
        if norm < 1e-9 or theta < 1e-3:
            return best
        # Polyak-type step towards a target 5 % above the best value found
        step = theta * 0.05 * abs(best) / norm
        prices = {key: max(0.0, p + step * grad[key]) for key, p in prices.items()}
    return best


def _solve_part(inst, buckets, types, avail, comp, by_site, time_limit, vub, prices=None):
    """One LP (or small MILP) of the relaxation for the sites and crew types of ``comp``.

    With ``prices`` ((τ, bucket) → λ >= 0) the crew-day rows are priced out instead (Lagrangian
    relaxation): the LP then splits by site and its value plus ``−Σ λ·A`` is a bound for any λ.
    Returns (value, visits, unplanned, nvar, ncon, crew-day duals or usage) or None.
    """
    type_ids, site_ids = comp
    nb = len(buckets)
    first = [b[0] for b in buckets]
    last = [b[-1] for b in buckets]
    groups = {}
    for s in site_ids:
        for i in by_site.get(s, ()):
            due, e = inst.inst_due[i], inst.inst_earliest[i]
            dclass = _due_class(due, first, last)
            eb = bisect.bisect_left(last, e)
            key = (s, inst.inst_kind[i], dclass, eb)
            g = groups.get(key)
            if g is None:
                groups[key] = g = [0, 0, -10 ** 9, 0.0]  # count, sum of dues, max due, sum of unplanned cost
            g[0] += 1
            g[1] += due
            g[2] = max(g[2], due)
            g[3] += inst.unplanned_cost(i)
    if prices is None and sum(nb - key[3] for key in groups) > LP_MAX_COLUMNS:
        return None            # too large for one LP: the caller prices the crew-days out instead
    keys_at = {}
    for key in groups:
        keys_at.setdefault(key[0], []).append(key)

    cost, ub = [], []
    rows, cols, vals, rhs, is_eq = [], [], [], [], []

    def new_col(c, upper=np.inf):
        cost.append(c)
        ub.append(upper)
        return len(cost) - 1

    def new_row(value, eq=False):
        rhs.append(value)
        is_eq.append(eq)
        return len(rhs) - 1

    def put(r, col, val):
        rows.append(r)
        cols.append(col)
        vals.append(val)

    crew_rows = {}
    if prices is None:
        for tau in type_ids:
            for j in range(nb):
                crew_rows[(tau, j)] = new_row(avail[tau, j])
    v_of = {}
    site_v = {}
    late_x = {}
    group_x = {key: [] for key in groups}
    for s in site_ids:
        keys = keys_at.get(s, [])
        setup = inst.site_setup[s]
        zero = any(inst.kind_minutes[key[1]] == 0 for key in keys)
        nsite = sum(groups[key][0] for key in keys)
        for j, b in enumerate(buckets):
            slots = sum(1 for t in b if t not in inst.site_closed[s]) * inst.site_cap[s]
            if slots == 0:
                continue
            srow = None
            for tau in type_ids:
                kinds, cmin = types[tau]
                if avail[tau, j] == 0:
                    continue
                room = cmin - setup
                useful = [key for key in keys if key[1] in kinds and inst.kind_minutes[key[1]] <= room
                          and key[3] <= j]
                if not useful:
                    continue
                if srow is None:
                    srow = new_row(slots)
                price = 0.0 if prices is None else prices.get((tau, j), 0.0)
                v = new_col(inst.visit_days + price, min(slots, avail[tau, j]))
                site_v.setdefault(s, []).append(v)
                v_of.setdefault((tau, j), []).append(v)
                if prices is None:
                    put(crew_rows[(tau, j)], v, 1.0)
                put(srow, v, 1.0)
                cap = new_row(0.0)
                put(cap, v, -float(room))
                cnt = new_row(0.0) if zero else None
                if cnt is not None:
                    put(cnt, v, -float(nsite))
                for key in useful:
                    n, sdue, dmax, _ = groups[key]
                    m = inst.kind_minutes[key[1]]
                    x = new_col(first[j] - sdue / n if key[2] == -1 else max(0, first[j] - dmax))
                    group_x[key].append(x)
                    put(cap, x, float(m))
                    if cnt is not None:
                        put(cnt, x, 1.0)
                    if vub:  # one visit verifies at most per_visit instruments of the group
                        per_visit = min(n, room // m) if m else n
                        r = new_row(0.0)
                        put(r, x, 1.0)
                        put(r, v, -float(per_visit))
                    if dmax < first[j] and len(b) > 1:   # late on every day of a wide bucket
                        late_x.setdefault((tau, j), []).append(x)
    # Queueing inside wide buckets: instruments already late when a bucket starts are verified on its
    # days at most K[τ]·(crews of type τ free that day) a day, each costing (day − first day) more.
    for (tau, j), xs in late_x.items():
        kinds, cmin = types[tau]
        mmin = min(inst.kind_minutes[k] for k in kinds)
        if mmin == 0:
            continue
        per_visit = max((cmin - inst.site_setup[s]) // mmin for s in site_ids)
        crews = [c for c in range(len(inst.crew_ids)) if (inst.crew_kinds[c], inst.crew_minutes[c]) == types[tau]]
        r = new_row(0.0, eq=True)
        for x in xs:
            put(r, x, -1.0)
        for t in buckets[j]:
            free = sum(1 for c in crews if inst.crew_available(c, t))
            put(r, new_col(float(t - first[j]), float(per_visit * free)), 1.0)
    integral = len(cost) <= MILP_MAX_COLUMNS and prices is None
    vsum = []
    if integral:  # the number of visits at a site is a whole number
        for _s, vs in site_v.items():
            col = new_col(0.0)
            vsum.append(col)
            r = new_row(0.0, eq=True)
            put(r, col, -1.0)
            for v in vs:
                put(r, v, 1.0)
    ucol = {}
    for key, (n, _sdue, dmax, sunpl) in groups.items():
        # overdue groups: exact (the sum over the group is linear); others: the latest due
        u = new_col(sunpl / n if key[2] == -1 else max(0, inst.ndays - dmax) + inst.penalty)
        ucol[key] = u
        r = new_row(float(n), eq=True)
        put(r, u, 1.0)
        for x in group_x[key]:
            put(r, x, 1.0)
    nvar, ncon = len(cost), len(rhs)
    if prices is None and nvar > LP_MAX_COLUMNS:
        return None            # too large for one LP: the caller prices the crew-days out instead
    A = csr_matrix((vals, (rows, cols)), shape=(ncon, nvar))
    eq = np.array(is_eq)
    b = np.array(rhs)
    if integral:
        integrality = np.zeros(nvar)
        integrality[vsum] = 1
        res = milp(np.array(cost), constraints=LinearConstraint(A, np.where(eq, b, -np.inf), b),
                   integrality=integrality, bounds=(np.zeros(nvar), np.array(ub)),
                   options={"time_limit": max(0.2, time_limit), "mip_rel_gap": 1e-3, "disp": False})
        value = getattr(res, "mip_dual_bound", None)
        if res.x is None or value is None or not np.isfinite(value):
            return None
        value = float(value)   # HiGHS' proven dual bound (= the optimum when solved)
    else:
        res = linprog(np.array(cost), A_ub=A[~eq], b_ub=b[~eq], A_eq=A[eq], b_eq=b[eq],
                      bounds=np.column_stack([np.zeros(nvar), np.array(ub)]), method=LP_METHOD,
                      options={"time_limit": max(0.5, time_limit), "disp": False})
        if res.status != 0:
            return None
        value = float(res.fun)
    visits = {s: float(sum(res.x[v] for v in vs)) for s, vs in site_v.items()}
    unplanned = {}
    for key, u in ucol.items():
        unplanned[(key[0], key[1])] = unplanned.get((key[0], key[1]), 0.0) + float(res.x[u])
    if prices is None and not integral:
        marg = res.ineqlin.marginals
        ub_index = np.cumsum(~eq) - 1          # row number among the inequality rows
        extra = {key: max(0.0, -float(marg[ub_index[r]])) for key, r in crew_rows.items()}
    else:
        extra = {key: float(sum(res.x[v] for v in vs)) for key, vs in v_of.items()}
    return value, visits, unplanned, nvar, ncon, extra, integral


POOLED_MARGIN = 1.05    # a part whose coarse site relaxation is this far below its pooled bound is not refined
POOLED_SINGLES = 60     # one-day buckets of the pooled bound; wider ones (POOLED_WIDTH days) after
POOLED_WIDTH = 5


def pooled_bound(inst, type_ids, site_ids, types, by_site, time_limit, whole_visits=True, integral=False):
    """A second, independent relaxation of one part: crew minutes pooled per crew type and day.

    Every visit of a crew of type τ spends at least the smallest setup of the part's sites, so on a
    day a type can verify at most ``free crews × (C[τ] − min setup)`` minutes of instruments; the
    visits cost at least ``visit_days × minutes / (C[τ] − min setup)``.  Sites, their closed days and
    whole visits are forgotten, but time is kept day by day much longer than the site model can
    afford, which is what bounds the tardiness of a backlog worked off against scarce capacity:

        min  Σ (c[g,j] + visit_days·m[g]/R[τ])·x[g,j,τ] + Σ cu[g]·u[g]
        s.t. Σ_{j,τ} x[g,j,τ] + u[g] = n[g]
             Σ_g m[g]·x[g,j,τ] <= R[τ]·(crew-days of type τ in bucket j),   R[τ] = C[τ] − min setup

    A plan maps to it by x = its instruments of g verified in bucket j by type τ.

    With ``whole_visits`` the visit term is replaced by whole visits per site: an integer ``V[s]``
    (visits at s, cost ``visit_days`` each), ``U[s,k]`` (unplanned instruments of kind k at s) with
    ``Σ_s U[s,k] = Σ_{g of kind k} u[g]``, ``(max_τ C[τ] − setup[s])·V[s] + Σ_k m[k]·U[s,k] >=
    Σ_k m[k]·N[s,k]`` (the planned minutes fit in the site's visits) and ``Σ_s V[s] <=`` the part's
    crew-days (each visit takes a crew's whole day).  A site's last visit then cannot be shared with
    other sites.  A rounding (MIR) row per site, ``Σ_k m[k]·U[s,k] + r·V[s] >= r·(q + 1)`` with
    ``q, r = divmod(Σ_k m[k]·N[s,k], C − setup[s])``, holds for every whole ``V[s]`` and makes the LP
    (``integral=False``, the default) almost as strong as the MILP at a fraction of its time; with
    ``integral`` V is integer and HiGHS' proven dual bound is returned (valid when stopped early).
    Returns None when not solved in time, or with negative visit costs (the visit terms are invalid).
    """
    if inst.visit_days < 0:
        return None
    days = [t for t in range(inst.ndays) if inst.workday[t]]
    if not days:
        return None
    buckets = [[t] for t in days[:POOLED_SINGLES]]
    rest = days[POOLED_SINGLES:]
    buckets += [rest[j:j + POOLED_WIDTH] for j in range(0, len(rest), POOLED_WIDTH)]
    nb = len(buckets)
    first = [b[0] for b in buckets]
    last = [b[-1] for b in buckets]
    smin = min(inst.site_setup[s] for s in site_ids)
    room = {tau: types[tau][1] - smin for tau in type_ids}
    crew_days = {}
    for c in range(len(inst.crew_ids)):
        tau = types.index((inst.crew_kinds[c], inst.crew_minutes[c]))
        if tau not in room or room[tau] < 0:
            continue        # no site's setup fits this crew's day: it makes no visit in this part
        for j, b in enumerate(buckets):
            free = sum(1 for t in b if inst.crew_available(c, t))
            if free:
                crew_days[(tau, j)] = crew_days.get((tau, j), 0) + free
    cap = {key: days * room[key[0]] for key, days in crew_days.items()}
    groups = {}
    for s in site_ids:
        for i in by_site.get(s, ()):
            due, e = inst.inst_due[i], inst.inst_earliest[i]
            dclass = _due_class(due, first, last)
            key = (inst.inst_kind[i], dclass, bisect.bisect_left(last, e))
            g = groups.get(key)
            if g is None:
                groups[key] = g = [0, 0, -10 ** 9, 0.0]
            g[0] += 1
            g[1] += due
            g[2] = max(g[2], due)
            g[3] += inst.unplanned_cost(i)
    cost, rows, cols, vals, lo, hi, upper = [], [], [], [], [], [], []

    def new_col(c, ub=np.inf):
        cost.append(c)
        upper.append(ub)
        return len(cost) - 1

    def new_row(low, high):
        lo.append(low)
        hi.append(high)
        return len(lo) - 1

    def put(r, col, val):
        rows.append(r)
        cols.append(col)
        vals.append(val)

    whole = whole_visits and any(inst.kind_minutes)
    cap_row = {key: new_row(-np.inf, float(value)) for key, value in cap.items()}
    kind_u = {}
    for (k, dclass, eb), (n, sdue, dmax, sunpl) in groups.items():
        m = inst.kind_minutes[k]
        row = new_row(float(n), float(n))
        for tau in type_ids:
            if k not in types[tau][0] or m > room[tau]:
                continue
            for j in range(eb, nb):
                if (tau, j) not in crew_days:
                    continue
                late = first[j] - sdue / n if dclass == -1 else max(0, first[j] - dmax)
                visit = 0.0 if whole or room[tau] <= 0 else inst.visit_days * m / room[tau]
                col = new_col(late + visit)
                put(row, col, 1.0)
                if m > 0:
                    put(cap_row[(tau, j)], col, float(m))
        u = new_col(sunpl / n if dclass == -1 else max(0, inst.ndays - dmax) + inst.penalty)
        put(row, u, 1.0)
        kind_u.setdefault(k, []).append(u)
    integers = []
    if whole:
        # whole visits per site: a site's planned minutes fit in its visits, each a whole crew-day
        link = {k: new_row(0.0, 0.0) for k in kind_u}
        for k, us in kind_u.items():
            for u in us:
                put(link[k], u, -1.0)
        total_days = new_row(-np.inf, float(sum(crew_days.values())))
        for s in site_ids:
            count = {}
            for i in by_site.get(s, ()):
                count[inst.inst_kind[i]] = count.get(inst.inst_kind[i], 0) + 1
            if not count:
                continue
            rooms = [types[tau][1] - inst.site_setup[s] for tau in type_ids if types[tau][0] & set(count)]
            room_s = max(rooms) if rooms else -1
            minutes = sum(inst.kind_minutes[k] * n for k, n in count.items())
            slots = sum(1 for t in range(inst.ndays) if inst.workday[t] and inst.site_open(s, t)) * inst.site_cap[s]
            most = min(slots, math.ceil(minutes / room_s)) if room_s > 0 else 0
            v = new_col(inst.visit_days, float(most))
            integers.append(v)
            put(total_days, v, 1.0)
            row = new_row(float(minutes), np.inf)
            if room_s > 0:
                put(row, v, float(room_s))
            # rounding (MIR) row: with V whole, the minutes left unplanned are at least r·(q + 1 − V),
            # q, r = divmod(minutes, room_s) — a visit short of ⌈minutes / room_s⌉ leaves ≥ r out
            q, r = divmod(minutes, room_s) if room_s > 0 else (0, 0)
            mir = new_row(float(r * (q + 1)), np.inf) if r > 0 else None
            if mir is not None:
                put(mir, v, float(r))
            for k, n in count.items():
                col = new_col(0.0, float(n))
                put(row, col, float(inst.kind_minutes[k]))
                put(link[k], col, 1.0)
                if mir is not None:
                    put(mir, col, float(inst.kind_minutes[k]))
    A = csr_matrix((vals, (rows, cols)), shape=(len(lo), len(cost)))
    integrality = np.zeros(len(cost))
    if integral:
        integrality[integers] = 1
    res = milp(np.array(cost), constraints=LinearConstraint(A, np.array(lo), np.array(hi)),
               integrality=integrality, bounds=(np.zeros(len(cost)), np.array(upper)),
               options={"time_limit": max(0.5, time_limit), "mip_rel_gap": 1e-3, "disp": False})
    if not integers or not integral:
        return float(res.fun) if res.status == 0 else None
    value = getattr(res, "mip_dual_bound", None)
    if value is None or not np.isfinite(value):
        return None
    return float(value)     # HiGHS' proven dual bound (= the optimum when solved to the end)


def pooled_total(inst, time_limit=60.0, whole_visits=True, integral=False):
    """Σ over the independent parts of :func:`pooled_bound` (None if a part is not solved)."""
    types, type_of = inst.crew_types()
    by_site = inst.instruments_by_site()
    total = 0.0
    for type_ids, site_ids in _components(inst, types):
        value = pooled_bound(inst, type_ids, site_ids, types, by_site, time_limit, whole_visits, integral)
        if value is None:
            return None
        total += value
    return total


def _due_class(due, first, last):
    """The bucket an instrument's due day falls in: -1 before the first, ``len(first)`` after the last."""
    if due < first[0]:
        return -1
    if due >= last[-1]:
        return len(first)
    return bisect.bisect_right(first, due) - 1
