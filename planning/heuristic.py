"""Building and improving plans.

* :func:`dispatch` — a day-by-day list schedule: each free crew goes to the site holding the most
  urgent (earliest-due) instrument it may verify and fills the visit in due order.  With
  ``plan_mask``/``site_budget`` taken from the relaxation it only plans what the relaxation plans
  and makes no more whole visits at a site than the relaxation does.
* :func:`insert_unplanned` — put unplanned instruments into the spare minutes of existing visits.
* :func:`reoptimize_sites` — large-neighbourhood search: free all instruments of one site and
  re-assign them to that site's visits (or leave them unplanned, or drop a visit) optimally with a
  small MILP (HiGHS), site after site while time remains.
* :func:`fill_free_days` — give crew-days nobody uses to sites that still have unplanned work.
* :func:`exchange_visits` — give the crew-day of a visit that saves little to a site whose unplanned
  work saves more.

A solution is a list of visits ``[crew, day, site, [instrument indexes]]``.
"""
from __future__ import annotations

import heapq
import math
import time

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_matrix

from .bound import _components

__all__ = ["dispatch", "insert_unplanned", "reoptimize_sites", "fill_free_days", "exchange_visits", "planned_days",
           "cost_of", "volume_targets"]


def planned_days(inst, visits):
    days = [None] * len(inst.inst_ids)
    for _c, t, _s, items in visits:
        for i in items:
            days[i] = t
    return days


def cost_of(inst, visits):
    total = inst.visit_days * len(visits)
    for i, t in enumerate(planned_days(inst, visits)):
        total += inst.unplanned_cost(i) if t is None else max(0, t - inst.inst_due[i])
    return total


def _crew_types(inst):
    kinds = sorted({inst.crew_kinds[c] for c in range(len(inst.crew_ids))}, key=lambda k: (len(k), sorted(k)))
    index = {k: n for n, k in enumerate(kinds)}
    return kinds, [index[inst.crew_kinds[c]] for c in range(len(inst.crew_ids))]


def dispatch(inst, plan_mask=None, site_budget=None, deadline=None):
    """Earliest-due list scheduling over the days of the horizon (see the module docstring)."""
    n = len(inst.inst_ids)
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    nsites = len(inst.site_ids)
    pending = [[] for _ in range(nsites)]
    for i in sorted(range(n), key=lambda i: (inst.inst_due[i], -minutes[i], i)):
        if plan_mask is None or plan_mask[i]:
            pending[inst.inst_site[i]].append(i)
    done = bytearray(n)
    head = [0] * nsites
    type_kinds, crew_type = _crew_types(inst)
    version = [0] * nsites
    heaps = [[] for _ in type_kinds]
    made = [0] * nsites

    def key(s, tau):
        kinds = type_kinds[tau]
        lst = pending[s]
        for idx in range(head[s], len(lst)):
            i = lst[idx]
            if not done[i] and inst.inst_kind[i] in kinds:
                return inst.inst_due[i]
        return None

    def push(s):
        version[s] += 1
        if site_budget is not None and made[s] >= site_budget.get(s, 0):
            return
        for tau in range(len(type_kinds)):
            k = key(s, tau)
            if k is not None:
                heapq.heappush(heaps[tau], (k, s, version[s]))

    for s in range(nsites):
        push(s)
    visits = []
    order = sorted(range(len(inst.crew_ids)), key=lambda c: (len(inst.crew_kinds[c]), c))
    for t in range(inst.ndays):
        if not inst.workday[t]:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            break
        used = {}
        for c in order:
            if t in inst.crew_off[c]:
                continue
            tau = crew_type[c]
            heap, held = heaps[tau], []
            kinds = inst.crew_kinds[c]
            while heap:
                entry = heapq.heappop(heap)
                _k, s, ver = entry
                if ver != version[s]:
                    continue
                if t in inst.site_closed[s] or used.get(s, 0) >= inst.site_cap[s]:
                    held.append(entry)
                    continue
                room = inst.crew_minutes[c] - inst.site_setup[s]
                items = []
                if room >= 0:
                    lst = pending[s]
                    for idx in range(head[s], len(lst)):
                        i = lst[idx]
                        if done[i] or inst.inst_kind[i] not in kinds or inst.inst_earliest[i] > t:
                            continue
                        if minutes[i] <= room:
                            items.append(i)
                            room -= minutes[i]
                if not items:
                    held.append(entry)
                    continue
                for i in items:
                    done[i] = 1
                lst = pending[s]
                while head[s] < len(lst) and done[lst[head[s]]]:
                    head[s] += 1
                visits.append([c, t, s, items])
                used[s] = used.get(s, 0) + 1
                made[s] += 1
                push(s)
                break
            for entry in held:
                heapq.heappush(heap, entry)
    return visits


def insert_unplanned(inst, visits):
    """Put unplanned instruments into spare minutes of visits at their site (least tardiness first)."""
    days = planned_days(inst, visits)
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    spare = []
    by_site = {}
    for v, (c, _t, s, items) in enumerate(visits):
        spare.append(inst.crew_minutes[c] - inst.site_setup[s] - sum(minutes[i] for i in items))
        by_site.setdefault(s, []).append(v)
    todo = [i for i in range(len(days)) if days[i] is None and inst.inst_site[i] in by_site]
    todo.sort(key=lambda i: (-inst.unplanned_cost(i), minutes[i]))
    for i in todo:
        best, best_cost = None, inst.unplanned_cost(i)
        for v in by_site[inst.inst_site[i]]:
            c, t = visits[v][0], visits[v][1]
            if spare[v] >= minutes[i] and inst.inst_kind[i] in inst.crew_kinds[c] and t >= inst.inst_earliest[i]:
                cost = max(0, t - inst.inst_due[i])
                if cost < best_cost or (cost == best_cost and best is not None and t < visits[best][1]):
                    best, best_cost = v, cost
        if best is not None:
            visits[best][3].append(i)
            spare[best] -= minutes[i]
    return visits


def _site_problem(inst, site_visits, instruments, time_limit):
    """Exact re-assignment of one site's instruments to its visits; returns new item lists or None.

    Instruments whose costs over the options (each visit, or unplanned) differ by a constant are
    interchangeable — e.g. all those of a kind late at every visit, whatever their due — so they form
    one group: the key is the kind and the cost of each visit relative to leaving it unplanned."""
    groups = {}
    for i in instruments:
        k, due, e = inst.inst_kind[i], inst.inst_due[i], inst.inst_earliest[i]
        unplanned = inst.unplanned_cost(i)
        rel = tuple(max(0, t - due) - unplanned if k in inst.crew_kinds[c] and t >= e else None
                    for c, t, _s, _items in site_visits)
        groups.setdefault((k, rel), []).append(i)
    keys = list(groups)
    cost, ub, integ = [], [], []
    rows, cols, vals, lo, hi = [], [], [], [], []
    xcol = {}
    ycol = []
    for _v, (_c, _t, _s, _items) in enumerate(site_visits):
        ycol.append(len(cost))
        cost.append(inst.visit_days)
        ub.append(1.0)
        integ.append(1)
    for g, (_k, rel) in enumerate(keys):
        for v in range(len(site_visits)):
            if rel[v] is not None:
                xcol[(g, v)] = len(cost)
                cost.append(float(rel[v]))
                ub.append(len(groups[keys[g]]))
                integ.append(1)
    ucol = []
    for _g, key in enumerate(keys):
        ucol.append(len(cost))
        cost.append(0.0)
        ub.append(len(groups[key]))
        integ.append(0)
    r = 0
    for g, key in enumerate(keys):                      # every instrument planned once or unplanned
        n = len(groups[key])
        for v in range(len(site_visits)):
            if (g, v) in xcol:
                rows.append(r), cols.append(xcol[(g, v)]), vals.append(1.0)
        rows.append(r), cols.append(ucol[g]), vals.append(1.0)
        lo.append(n), hi.append(n)
        r += 1
    for v, (c, _t, s, _items) in enumerate(site_visits):  # minutes, and nothing in a dropped visit
        room = inst.crew_minutes[c] - inst.site_setup[s]
        rows.append(r), cols.append(ycol[v]), vals.append(-float(room))
        for g, key in enumerate(keys):
            if (g, v) in xcol:
                rows.append(r), cols.append(xcol[(g, v)]), vals.append(float(inst.kind_minutes[key[0]]))
        lo.append(-np.inf), hi.append(0.0)
        r += 1
        rows.append(r), cols.append(ycol[v]), vals.append(-float(len(instruments)))
        for g in range(len(keys)):
            if (g, v) in xcol:
                rows.append(r), cols.append(xcol[(g, v)]), vals.append(1.0)
        lo.append(-np.inf), hi.append(0.0)
        r += 1
    A = csr_matrix((vals, (rows, cols)), shape=(r, len(cost)))
    res = milp(np.array(cost), constraints=LinearConstraint(A, np.array(lo), np.array(hi)),
               integrality=np.array(integ), bounds=(np.zeros(len(cost)), np.array(ub)),
               options={"time_limit": max(0.05, time_limit), "disp": False})
    if res.x is None:
        return None
    x = np.round(res.x).astype(int)
    new = [[] for _ in site_visits]
    for g, key in enumerate(keys):
        members = list(groups[key])
        for v in range(len(site_visits)):
            col = xcol.get((g, v))
            if col is not None and x[col] > 0:
                take = min(x[col], len(members))
                new[v].extend(members[:take])
                del members[:take]
    return new


def reoptimize_sites(inst, visits, deadline, sites=None):
    """LNS over sites: re-solve each site's assignment exactly while time remains, the sites whose
    instruments could gain most per squared visit first."""
    days = planned_days(inst, visits)
    by_site = {}
    for v, visit in enumerate(visits):
        by_site.setdefault(visit[2], []).append(v)
    site_insts = {}
    for i in range(len(inst.inst_ids)):
        site_insts.setdefault(inst.inst_site[i], []).append(i)

    def potential(s):
        """What the site's MILP could gain at most, capacity aside: each instrument moved from its
        present cost to its cheapest option (a visit of the site its crew may take it in, or none)."""
        options = [(inst.crew_kinds[visits[v][0]], visits[v][1]) for v in by_site[s]]
        gain = 0.0
        for i in site_insts.get(s, []):
            now = inst.unplanned_cost(i) if days[i] is None else max(0, days[i] - inst.inst_due[i])
            k, e, due = inst.inst_kind[i], inst.inst_earliest[i], inst.inst_due[i]
            best = min((max(0, t - due) for kinds, t in options if k in kinds and t >= e), default=now)
            gain += max(0.0, now - min(best, inst.unplanned_cost(i)))
        return gain

    gains = {s: potential(s) for s in (by_site if sites is None else [s for s in sites if s in by_site])}
    # most gain per second first: a site's MILP takes about the square of its visits (on the generated
    # province, 8 s of site LNS at load 5 lowered the cost by 4,500 taking sites by gain alone, 13,600 so)
    order = sorted(gains, key=lambda s: -gains[s] / len(by_site[s]) ** 2)
    minutes = inst.kind_minutes
    for s in order:
        if time.perf_counter() > deadline:
            break
        if gains[s] <= 0:     # every instrument is at its cheapest option already (a dropped visit aside)
            continue
        vs = [visits[v] for v in by_site[s]]
        before = sum(max(0, t - inst.inst_due[i]) for _c, t, _s, items in vs for i in items)
        before += sum(inst.unplanned_cost(i) for i in site_insts[s] if days[i] is None) + inst.visit_days * len(vs)
        new = _site_problem(inst, vs, site_insts[s], min(2.0, deadline - time.perf_counter()))
        if new is None:
            continue
        ok = all(inst.site_setup[s] + sum(minutes[inst.inst_kind[i]] for i in items) <= inst.crew_minutes[c]
                 for (c, _t, _s, _), items in zip(vs, new, strict=False) if items)
        after = sum(max(0, vs[v][1] - inst.inst_due[i]) for v, items in enumerate(new) for i in items)
        placed = {i for items in new for i in items}
        after += sum(inst.unplanned_cost(i) for i in site_insts[s] if i not in placed)
        after += inst.visit_days * sum(1 for items in new if items)
        if ok and after < before - 1e-9:
            for i in site_insts[s]:
                days[i] = None
            for v, items in zip(by_site[s], new, strict=False):
                visits[v][3] = items
                for i in items:
                    days[i] = visits[v][1]
    return [v for v in visits if v[3]]


FREE_DAY_CANDIDATES = 40  # sites (most unplanned penalty first) a free crew-day is offered to


def fill_free_days(inst, visits, deadline):
    """Send crews on days they have no visit to sites with unplanned work worth more than a visit.

    Each free crew-day (days in order) is offered to the first :data:`FREE_DAY_CANDIDATES` sites that
    may take it, in order of the penalties of the unplanned work one visit there could hold; it goes to
    the one where a visit saves most (penalties less tardiness and the visit's cost), if any saves.
    """
    days = planned_days(inst, visits)
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    left = {}
    for i in sorted(range(len(days)), key=lambda i: (inst.inst_due[i], i)):
        if days[i] is None:
            left.setdefault(inst.inst_site[i], []).append(i)
    if not left:
        return visits
    widest = max(inst.crew_minutes, default=0)

    def potential(s):
        room, total = widest - inst.site_setup[s], 0.0
        for i in sorted(left[s], key=lambda i: -inst.unplanned_cost(i)):
            if minutes[i] <= room:
                room -= minutes[i]
                total += inst.unplanned_cost(i)
        return total

    worth = {s: potential(s) for s in left}
    kinds_left = {s: {inst.inst_kind[i] for i in items} for s, items in left.items()}
    ranked = sorted(left, key=lambda s: -worth[s])
    busy = {(c, t) for c, t, _s, _i in visits}
    count = {}
    for _c, t, s, _i in visits:
        count[(s, t)] = count.get((s, t), 0) + 1
    for t in range(inst.ndays):
        if not left or time.perf_counter() > deadline:
            break
        if not inst.workday[t]:
            continue
        for c in range(len(inst.crew_ids)):
            if (c, t) in busy or t in inst.crew_off[c]:
                continue
            best, offered = None, 0
            for s in ranked:
                if offered >= FREE_DAY_CANDIDATES or worth[s] <= inst.visit_days:
                    break
                if (t in inst.site_closed[s] or count.get((s, t), 0) >= inst.site_cap[s]
                        or not kinds_left[s] & inst.crew_kinds[c]):
                    continue
                room = inst.crew_minutes[c] - inst.site_setup[s]
                take, gain = [], -inst.visit_days
                for i in left[s]:
                    if inst.inst_kind[i] in inst.crew_kinds[c] and inst.inst_earliest[i] <= t and minutes[i] <= room:
                        take.append(i)
                        room -= minutes[i]
                        gain += inst.unplanned_cost(i) - max(0, t - inst.inst_due[i])
                if not take:
                    continue
                offered += 1
                if gain > 1e-9 and (best is None or gain > best[0]):
                    best = (gain, s, take)
            if best is None:
                continue
            _gain, s, take = best
            visits.append([c, t, s, take])
            busy.add((c, t))
            count[(s, t)] = count.get((s, t), 0) + 1
            taken = set(take)
            left[s] = [i for i in left[s] if i not in taken]
            if left[s]:
                worth[s] = potential(s)
                kinds_left[s] = {inst.inst_kind[i] for i in left[s]}
            else:
                del left[s]
                worth.pop(s)
            ranked = sorted(left, key=lambda s: -worth[s])
    return visits


def dispatch_atc(inst, plan_mask=None, site_budget=None, look_ahead=10.0, deadline=None, shortest_late_first=True):
    """Day-by-day list scheduling with apparent-tardiness-cost priorities (Vepsalainen & Morton).

    Each day, for each crew type, every site that may be visited gets the score
    ``Σ exp(−max(0, due − day) / look_ahead)`` over the instruments one visit would verify there (its
    pending instruments in due order while they fit): instruments already late count 1 each, which
    is exactly what a day's delay of that visit costs; instruments not yet due count less the more
    slack they have.  Crews go to the highest scores.  The visit a crew type would make at each site
    is cached (a row of due dates per site) and rebuilt only when the site is visited or an instrument
    there becomes available, so a day's scores are one numpy expression over all sites.
    """
    n = len(inst.inst_ids)
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    nsites = len(inst.site_ids)
    pending = [[] for _ in range(nsites)]
    for i in sorted(range(n), key=lambda i: (inst.inst_due[i], -minutes[i], i)):
        if plan_mask is None or plan_mask[i]:
            pending[inst.inst_site[i]].append(i)
    releases = {}
    for s in range(nsites):
        for i in pending[s]:
            if inst.inst_earliest[i] > 0:
                releases.setdefault(inst.inst_earliest[i], set()).add(s)
    done = bytearray(n)
    made = [0] * nsites
    types = {}
    for c in range(len(inst.crew_ids)):
        types.setdefault((inst.crew_kinds[c], inst.crew_minutes[c]), []).append(c)
    type_order = sorted(types, key=lambda k: (len(k[0]), -k[1]))
    width = 1
    for kinds, cmin in type_order:
        mmin = min([inst.kind_minutes[k] for k in kinds if inst.kind_minutes[k] > 0] or [1])
        width = max(width, min(max((len(p) for p in pending), default=1),
                               max((cmin - inst.site_setup[s]) // mmin + 1 for s in range(nsites)) if nsites else 1))
    width = max(1, width)
    fills = {key: [None] * nsites for key in type_order}
    dues = {key: np.full((nsites, width), np.inf) for key in type_order}

    def fill(s, key, t):
        kinds, cmin = key
        room = cmin - inst.site_setup[s]
        items = []
        if room < 0:
            return items
        ready = [i for i in pending[s] if not done[i] and inst.inst_kind[i] in kinds and inst.inst_earliest[i] <= t]
        if shortest_late_first:     # late ones cost a day each whatever their due: most of them per visit
            late = sorted((i for i in ready if inst.inst_due[i] < t), key=lambda i: minutes[i])
            ready = late + [i for i in ready if inst.inst_due[i] >= t]
        for i in ready:
            if minutes[i] <= room:
                items.append(i)
                room -= minutes[i]
                if room <= 0 or len(items) >= width:
                    break
        return items

    def refresh(s, t):
        for key in type_order:
            items = fill(s, key, t)
            fills[key][s] = items
            row = dues[key][s]
            row[:] = np.inf
            row[:len(items)] = [inst.inst_due[i] for i in items]

    first_day = next((t for t in range(inst.ndays) if inst.workday[t]), 0)
    for s in range(nsites):
        refresh(s, first_day)
    closed = np.zeros(nsites, dtype=bool)
    cap = np.array(inst.site_cap)
    budget = np.array([site_budget.get(s, 0) if site_budget is not None else n + 1 for s in range(nsites)])
    visits = []
    for t in range(inst.ndays):
        if not inst.workday[t]:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            break
        for tt in [d for d in releases if d <= t]:
            for s in releases.pop(tt):
                refresh(s, t)
        closed[:] = False
        for s in range(nsites):
            if t in inst.site_closed[s]:
                closed[s] = True
        used = np.zeros(nsites, dtype=int)
        for key in type_order:
            crews = [c for c in types[key] if t not in inst.crew_off[c]]
            while crews:
                d = dues[key]
                score = np.where(d <= t, 1.0, np.exp(-(d - t) / look_ahead)).sum(axis=1)
                ok = (~closed) & (used < cap) & (np.array(made) < budget) & np.isfinite(d[:, 0])
                if not ok.any():
                    break
                score[~ok] = -1.0
                order = np.argsort(-score, kind="stable")
                taken = 0
                for s in order[:len(crews)]:
                    s = int(s)
                    if score[s] < 0:
                        break
                    items = fills[key][s]
                    c = crews.pop(0)
                    for i in items:
                        done[i] = 1
                    pending[s] = [i for i in pending[s] if not done[i]]
                    visits.append([c, t, s, list(items)])
                    used[s] += 1
                    made[s] += 1
                    taken += 1
                    refresh(s, t)
                if not taken:
                    break
    return visits


def volume_targets(inst, share=1.0):
    """Which instruments to plan, and how many visits per site, when crew-days are short.

    Per independent part (sites and the crew types that serve them) the crew-days are counted; each
    site's instruments are ranked by what leaving them unplanned would cost per minute of work and
    packed in that order into visits of the site's room (crew minutes − setup).  Each such visit
    saves the penalties of what it holds (less its visit cost); the part's crew-days (times
    ``share``) go to the visits that save most, in each site's order.  Returns ``(plan_mask,
    site_budget)`` — the instruments in the chosen visits, and the number of visits per site — or
    ``None`` when every part has crew-days enough for all its work.

    Leaving a site's last, partial visit unplanned and giving its crew-day to a full visit elsewhere
    is what this buys: day-by-day dispatch otherwise fills the horizon's end with partial visits and
    leaves whole visits' worth of work unplanned at other sites.
    """
    n = len(inst.inst_ids)
    types, type_of = inst.crew_types()
    by_site = inst.instruments_by_site()
    mask = bytearray([1]) * n
    budget = {}
    short = False
    for type_ids, site_ids in _components(inst, types):
        crew_days = sum(1 for c in range(len(inst.crew_ids)) if type_of[(inst.crew_kinds[c], inst.crew_minutes[c])]
                        in type_ids for t in range(inst.ndays) if inst.crew_available(c, t))
        chunks = {}
        for s in site_ids:
            items = by_site.get(s, [])
            kinds = {inst.inst_kind[i] for i in items}
            rooms = [types[tau][1] - inst.site_setup[s] for tau in type_ids if types[tau][0] & kinds]
            room = max(rooms, default=0)
            if room <= 0:
                continue

            def value(i):
                m = inst.kind_minutes[inst.inst_kind[i]]
                return inst.unplanned_cost(i) / m if m > 0 else float("inf")

            order = sorted((i for i in items if inst.kind_minutes[inst.inst_kind[i]] <= room),
                           key=lambda i: (-value(i), inst.inst_due[i], i))
            site_chunks, current, used, saved = [], [], 0, 0.0
            for i in order:
                m = inst.kind_minutes[inst.inst_kind[i]]
                if used + m > room:
                    site_chunks.append((saved - inst.visit_days, current))
                    current, used, saved = [], 0, 0.0
                current.append(i)
                used += m
                saved += inst.unplanned_cost(i)
            if current:
                site_chunks.append((saved - inst.visit_days, current))
            chunks[s] = site_chunks
        need = sum(len(v) for v in chunks.values())
        days = int(crew_days * share)
        if need <= days:
            continue
        short = True
        heap = [(-v[0][0], s, 0) for s, v in chunks.items() if v]
        heapq.heapify(heap)
        chosen = {s: 0 for s in chunks}
        while heap and days > 0:
            neg_gain, s, k = heapq.heappop(heap)
            if -neg_gain <= 0:
                break
            chosen[s] = k + 1
            days -= 1
            if k + 1 < len(chunks[s]):
                heapq.heappush(heap, (-chunks[s][k + 1][0], s, k + 1))
        for s, site_chunks in chunks.items():
            budget[s] = chosen[s]
            for _gain, items in site_chunks[chosen[s]:]:
                for i in items:
                    mask[i] = 0
    if not short:
        return None
    for s in range(len(inst.site_ids)):
        budget.setdefault(s, n + 1)
    return mask, budget


SWAP_BLOCK = 2500   # visits per block of the swap search (its gain matrix is block × block)


def swap_visits(inst, visits, deadline):
    """Local search moving whole visits between days: two visits of crews of the same type (kinds and
    minutes) exchange their (crew, day) slots, or a visit moves to a slot where its crew type is idle,
    when that lowers the tardiness of what they verify.  Each visit keeps its site and instruments, so
    rules 3, 4 (kinds), 5 and 6 hold as before; the swap is made only where the new day is open for
    the site, within the site's crews a day and not before any of its instruments' ``earliest``.

    The gain of every pair is one numpy expression over ``F[v, t]`` (visit v's tardiness if made on
    day t); the best pair is applied, its rows and columns refreshed, until no pair gains or the time
    is spent.  Large crew types are searched in blocks of :data:`SWAP_BLOCK` visits.
    """
    days = np.arange(inst.ndays)
    types = {}
    for c in range(len(inst.crew_ids)):
        types.setdefault((inst.crew_kinds[c], inst.crew_minutes[c]), []).append(c)
    count = {}
    for _c, t, s, _items in visits:
        count[(s, t)] = count.get((s, t), 0) + 1
    busy = {(c, t) for c, t, _s, _i in visits}
    rng = np.random.default_rng(0)
    for crews in types.values():
        members = [v for v, visit in enumerate(visits) if visit[0] in crews]
        idle = [(c, t) for c in crews for t in range(inst.ndays) if inst.crew_available(c, t) and (c, t) not in busy]
        if not members:
            continue
        order = list(rng.permutation(len(members)))
        nblocks = max(1, math.ceil(len(members) / SWAP_BLOCK))
        idle_order = list(rng.permutation(len(idle))) if idle else []
        for block in range(nblocks):
            if time.perf_counter() > deadline:
                return visits
            vs = [members[k] for k in order[block::nblocks]]
            slots = [idle[k] for k in idle_order[block::nblocks]]
            _swap_block(inst, visits, vs, slots, days, count, deadline)
    return visits


def _swap_block(inst, visits, vs, slots, days, count, deadline):
    n_real = len(vs)
    size = n_real + len(slots)
    F = np.zeros((size, inst.ndays))
    shut = {}
    for r, v in enumerate(vs):
        _c, _t, s, items = visits[v]
        dues = np.array([inst.inst_due[i] for i in items], dtype=float)
        F[r] = np.maximum(0.0, days[None, :] - dues[:, None]).sum(axis=0)
        earliest = max(inst.inst_earliest[i] for i in items)
        F[r, :earliest] = np.inf
        if s not in shut:
            shut[s] = np.array([not inst.site_open(s, t) for t in range(inst.ndays)], dtype=bool)
        F[r, shut[s]] = np.inf
    slot = [(visits[v][0], visits[v][1]) for v in vs] + list(slots)
    d = np.array([t for _c, t in slot])
    rows = np.arange(size)
    cur = F[rows, d]
    M = F[:, d]
    with np.errstate(invalid="ignore"):
        G = cur[:, None] + cur[None, :] - M - M.T
    G[np.isnan(G)] = -np.inf
    G[n_real:, n_real:] = -np.inf
    np.fill_diagonal(G, -np.inf)
    while time.perf_counter() < deadline:
        flat = int(np.argmax(G))
        a, b = divmod(flat, size)
        if not G[a, b] > 1e-9:
            break
        ta, tb = d[a], d[b]
        ok = True
        for r, t_new in ((a, tb), (b, ta)):
            if r < n_real:
                s = visits[vs[r]][2]
                other = b if r == a else a
                same = other < n_real and visits[vs[other]][2] == s
                if not same and count.get((s, t_new), 0) >= inst.site_cap[s]:
                    ok = False
        if not ok:
            G[a, b] = G[b, a] = -np.inf
            continue
        for r, t_new, t_old in ((a, tb, ta), (b, ta, tb)):
            if r < n_real:
                s = visits[vs[r]][2]
                count[(s, t_old)] -= 1
                count[(s, t_new)] = count.get((s, t_new), 0) + 1
        slot[a], slot[b] = slot[b], slot[a]
        d[a], d[b] = d[b], d[a]
        for r in (a, b):
            if r < n_real:
                visits[vs[r]][0], visits[vs[r]][1] = slot[r]
        cur = F[rows, d]
        for r in (a, b):
            M[:, r] = F[:, d[r]]
            M[r, :] = F[r, d]
        for r in (a, b):
            with np.errstate(invalid="ignore"):
                row = cur[r] + cur - M[r, :] - M[:, r]
            row[np.isnan(row)] = -np.inf
            if r >= n_real:
                row[n_real:] = -np.inf
            row[r] = -np.inf
            G[r, :] = row
            G[:, r] = row


def _best_new_visit(inst, ranked, value, left, minutes, count, c, t, a, lost, candidates):
    """The best new visit of crew ``c`` on day ``t`` to a site other than ``a``: ``(gain, site, instruments)``.

    The sites are tried in ``ranked`` order (most unplanned value first), at most ``candidates`` of them
    that have work the crew can do; each is filled greedily with its unplanned instruments by value per
    minute. Only a gain above ``lost`` (what giving up the crew-day elsewhere costs) counts; None when none.
    """
    best, offered = None, 0
    for s in ranked:
        if offered >= candidates or value[s] - inst.visit_days <= lost:
            break
        if s == a or not inst.site_open(s, t) or count.get((s, t), 0) >= inst.site_cap[s]:
            continue
        room = inst.crew_minutes[c] - inst.site_setup[s]
        ready = [i for i in left[s] if inst.inst_kind[i] in inst.crew_kinds[c]
                 and inst.inst_earliest[i] <= t and minutes[i] <= room]
        if not ready:
            continue
        offered += 1
        ready.sort(key=lambda i: (-(inst.unplanned_cost(i) - max(0, t - inst.inst_due[i])) / max(1, minutes[i]), i))
        take, gain = [], -inst.visit_days
        for i in ready:
            if minutes[i] <= room:
                take.append(i)
                room -= minutes[i]
                gain += inst.unplanned_cost(i) - max(0, t - inst.inst_due[i])
        if gain > lost + 1e-9 and (best is None or gain > best[0]):
            best = (gain, s, take)
    return best


EXCHANGE_CANDIDATES = 40   # sites (most unplanned value first) a crew-day of a dropped visit is offered to


def exchange_visits(inst, visits, deadline):
    """Give the crew-day of a visit that saves little to a site whose unplanned work saves more.

    A visit's *loss* is what dropping it costs: its instruments become unplanned (their penalties
    less the tardiness they have now), less the visit's cost.  Visits are taken in order of loss; the
    same crew on the same day is offered to the :data:`EXCHANGE_CANDIDATES` sites whose unplanned work
    is worth most, each filled with its unplanned instruments of most value per minute that the crew
    verifies, that are available that day and fit; the exchange is made when the best new visit saves
    more than the dropped one loses, so each exchange lowers the cost.  The instruments of dropped
    visits are then offered to spare minutes of their site's other visits (:func:`insert_unplanned`).
    Rules: the new visit is on the old one's crew-day (the crew is free and it is a working day for
    it), at a site open that day and below its crews a day, with instruments the crew verifies,
    available that day, within its minutes.
    """
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    days = planned_days(inst, visits)
    left = {}
    for i in range(len(days)):
        if days[i] is None:
            left.setdefault(inst.inst_site[i], set()).add(i)
    if not left:
        return visits
    count = {}
    for _c, t, s, _i in visits:
        count[(s, t)] = count.get((s, t), 0) + 1
    widest = max(inst.crew_minutes, default=0)

    def worth(s):
        room, total = widest - inst.site_setup[s], 0.0
        for i in sorted(left[s], key=lambda i: -inst.unplanned_cost(i)):
            if minutes[i] <= room:
                room -= minutes[i]
                total += inst.unplanned_cost(i)
        return total

    value = {s: worth(s) for s in left}

    def loss(v):
        _c, t, _s, items = visits[v]
        return sum(inst.unplanned_cost(i) - max(0, t - inst.inst_due[i]) for i in items) - inst.visit_days

    changed = True
    while changed and time.perf_counter() < deadline:
        changed = False
        ranked = sorted((s for s in left if left[s]), key=lambda s: -value[s])
        for v in sorted(range(len(visits)), key=loss):
            if time.perf_counter() > deadline or not ranked:
                break
            c, t, a, items = visits[v]
            lost = loss(v)
            if lost >= value[ranked[0]] - inst.visit_days:
                break               # no site's unplanned work is worth this visit (visits come cheapest first)
            best = _best_new_visit(inst, ranked, value, left, minutes, count, c, t, a, lost, EXCHANGE_CANDIDATES)
            if best is None:
                continue
            _gain, s, take = best
            left.setdefault(a, set()).update(items)
            left[s].difference_update(take)
            count[(a, t)] -= 1
            count[(s, t)] = count.get((s, t), 0) + 1
            visits[v] = [c, t, s, take]
            value[a] = worth(a)
            value[s] = worth(s)
            changed = True
            ranked = sorted((s for s in left if left[s]), key=lambda s: -value[s])
        visits = insert_unplanned(inst, visits)
        days = planned_days(inst, visits)
        for s in list(left):
            left[s] = {i for i in left[s] if days[i] is None}
            value[s] = worth(s)
    return visits


RELOCATE_CANDIDATES = 40   # sites (most unplanned value first) a relocated crew-day is offered to
RELOCATE_TRIES = 1         # visits of a site (latest first) whose crew-day is offered (3: the same cost on the
                           # generated province, with 29 site MILPs instead of 16)


def relocate_visits(inst, visits, deadline):
    """Move a crew-day from a site that needs it least to a site whose unplanned work is worth more.

    Where crew-days are short, which sites get their last, partly filled visit decides how much work
    is left unplanned: a site whose visits have much spare room loses little when one of them goes
    (its instruments are re-packed into the others).  For each site, those with most spare first, its
    latest visit's crew-day is offered to the :data:`RELOCATE_CANDIDATES` sites whose unplanned work
    is worth most (open that day, below their crews a day; filled with their unplanned instruments of
    most value per minute that the crew verifies, available that day, that fit); when the best new
    visit saves more than an estimate of what the site loses, the site's instruments are re-assigned
    exactly to its remaining visits (the site MILP of :func:`reoptimize_sites`), and the move is made
    only if the new visit saves more than that re-assignment costs, so each move lowers the cost.
    Rules: the new visit is on the old one's crew-day, at a site open that day and below its crews a
    day, with instruments the crew verifies, available that day, within its minutes; the remaining
    visits' contents come from the site MILP, checked for minutes.
    """
    minutes = [inst.kind_minutes[k] for k in inst.inst_kind]
    days = planned_days(inst, visits)
    site_insts, left = {}, {}
    for i in range(len(days)):
        site_insts.setdefault(inst.inst_site[i], []).append(i)
        if days[i] is None:
            left.setdefault(inst.inst_site[i], set()).add(i)
    if not left:
        return visits
    count = {}
    for _c, t, s, _i in visits:
        count[(s, t)] = count.get((s, t), 0) + 1
    widest = max(inst.crew_minutes, default=0)

    def worth(s):
        room, total = widest - inst.site_setup[s], 0.0
        for i in sorted(left.get(s, ()), key=lambda i: -inst.unplanned_cost(i)):
            if minutes[i] <= room:
                room -= minutes[i]
                total += inst.unplanned_cost(i)
        return total

    def now(i):
        return inst.unplanned_cost(i) if days[i] is None else max(0, days[i] - inst.inst_due[i])

    def site_cost(s, vs):
        return sum(now(i) for i in site_insts[s]) + inst.visit_days * len(vs)

    by_site = {}
    for v, visit in enumerate(visits):
        by_site.setdefault(visit[2], []).append(v)

    def spare_of(s):
        return sum(inst.crew_minutes[visits[v][0]] - inst.site_setup[s] - sum(minutes[i] for i in visits[v][3])
                   for v in by_site[s])

    def estimate(s):
        """What dropping one visit of s loses, roughly: its planned work of least value per minute
        beyond what the site's spare room takes back."""
        v = max(by_site[s], key=lambda v: visits[v][1])
        short = inst.crew_minutes[visits[v][0]] - inst.site_setup[s] - spare_of(s)
        lost = -inst.visit_days
        for i in sorted((i for i in site_insts[s] if days[i] is not None),
                        key=lambda i: (inst.unplanned_cost(i) - now(i)) / max(1, minutes[i])):
            if short <= 0:
                break
            short -= minutes[i]
            lost += inst.unplanned_cost(i) - now(i)
        return lost

    value = {s: worth(s) for s in left}
    tried = set()
    while time.perf_counter() < deadline:
        ranked = sorted((s for s in left if left[s]), key=lambda s: -value[s])
        if not ranked:
            break
        top = value[ranked[0]] - inst.visit_days
        order = sorted(((estimate(a), a) for a in by_site if a not in tried and len(by_site[a]) > 1),
                       key=lambda ea: ea[0])
        moved = False
        for est, a in order:
            if time.perf_counter() > deadline or est >= top:
                break
            tried.add(a)
            for v in sorted(by_site[a], key=lambda v: -visits[v][1])[:RELOCATE_TRIES]:
                c, t = visits[v][0], visits[v][1]
                best = _best_new_visit(inst, ranked, value, left, minutes, count, c, t, a, est, RELOCATE_CANDIDATES)
                if best is None:
                    continue
                gain, b, take = best
                keep = [w for w in by_site[a] if w != v]
                vs = [visits[w] for w in keep]
                new = _site_problem(inst, vs, site_insts[a], min(2.0, deadline - time.perf_counter()))
                if new is None:
                    continue
                if not all(inst.site_setup[a] + sum(minutes[i] for i in items) <= inst.crew_minutes[cw]
                           for (cw, _t, _s, _), items in zip(vs, new, strict=False) if items):
                    continue
                before = site_cost(a, by_site[a])
                placed = {}
                for w, items in zip(keep, new, strict=False):
                    for i in items:
                        placed[i] = visits[w][1]
                after = sum(max(0, placed[i] - inst.inst_due[i]) if i in placed else inst.unplanned_cost(i)
                            for i in site_insts[a]) + inst.visit_days * sum(1 for items in new if items)
                if gain <= after - before + 1e-9:
                    continue
                for w, items in zip(keep, new, strict=False):
                    visits[w][3] = items
                    if not items:
                        count[(a, visits[w][1])] -= 1
                for i in site_insts[a]:
                    days[i] = placed.get(i)
                left[a] = {i for i in site_insts[a] if days[i] is None}
                by_site[a] = [w for w in keep if visits[w][3]]
                count[(a, t)] -= 1
                count[(b, t)] = count.get((b, t), 0) + 1
                visits[v] = [c, t, b, take]
                for i in take:
                    days[i] = t
                left[b].difference_update(take)
                by_site.setdefault(b, []).append(v)
                value[a], value[b] = worth(a), worth(b)
                tried.discard(b)
                moved = True
                break
            if moved:
                break       # the ranking changed: start again
        if not moved:
            break
    return [v for v in visits if v[3]]
