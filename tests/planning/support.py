"""Random small instances (hypothesis) and an exact MILP of the whole problem for tiny ones."""
import datetime as dt

import numpy as np
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import lil_matrix

from planning.instance import compile_instance

START = dt.date(2027, 3, 1)  # a Monday
KIND_NAMES = ("scale", "bp", "thermo")


def _day(offset):
    return (START + dt.timedelta(days=offset)).isoformat()


@st.composite
def instances(draw, max_days=9, max_sites=3, max_instruments=9, max_crews=2):
    """Small valid instances exercising every optional field of the format."""
    ndays = draw(st.integers(1, max_days))
    workdays = draw(st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True))
    holidays = [_day(d) for d in draw(st.lists(st.integers(-2, ndays + 2), max_size=2, unique=True))]
    nkinds = draw(st.integers(1, 3))
    kinds = {KIND_NAMES[k]: {"minutes": draw(st.integers(0, 60))} for k in range(nkinds)}
    sites = []
    for s in range(draw(st.integers(1, max_sites))):
        site = {"id": f"S{s}", "setup_minutes": draw(st.integers(0, 60))}
        if draw(st.booleans()):
            site["max_crews_per_day"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            site["closed"] = [_day(d) for d in draw(st.lists(st.integers(0, ndays - 1), max_size=2, unique=True))]
        sites.append(site)
    instruments = []
    for i in range(draw(st.integers(0, max_instruments))):
        item = {"id": f"I{i}", "site": f"S{draw(st.integers(0, len(sites) - 1))}",
                "kind": KIND_NAMES[draw(st.integers(0, nkinds - 1))], "due": _day(draw(st.integers(-10, ndays + 5)))}
        if draw(st.booleans()):
            item["earliest"] = _day(draw(st.integers(-3, ndays)))
        instruments.append(item)
    crews = []
    for c in range(draw(st.integers(1, max_crews))):
        crew = {"id": f"C{c}", "kinds": draw(st.lists(st.sampled_from(list(kinds)), min_size=1, unique=True)),
                "minutes_per_day": draw(st.integers(0, 200))}
        if draw(st.booleans()):
            crew["off"] = [_day(d) for d in draw(st.lists(st.integers(0, ndays - 1), max_size=2, unique=True))]
        crews.append(crew)
    return {"format": "lims-plan-instance/1",
            "horizon": {"start": _day(0), "end": _day(ndays - 1), "workdays": workdays, "holidays": holidays},
            "costs": {"visit_days": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
                      "unplanned_penalty_days": draw(st.sampled_from([0, 5, 60]))},
            "kinds": kinds, "sites": sites, "instruments": instruments, "crews": crews}


def exact_optimum(instance):
    """The optimal cost of ``instance`` by a time-indexed MILP over every (crew, day, site) visit.

    Written from the rules of the format independently of the planner: y[c,t,s] = crew c visits site s
    on day t, z[i,c,t] = instrument i is verified in that visit, u[i] = instrument i is unplanned.
    """
    inst = compile_instance(instance)
    ni, nc = len(inst.inst_ids), len(inst.crew_ids)
    cols, cost = {}, []

    def col(key, c):
        cols[key] = len(cost)
        cost.append(c)

    for c in range(nc):
        for t in range(inst.ndays):
            if not inst.crew_available(c, t):
                continue
            for s in range(len(inst.site_ids)):
                if inst.site_open(s, t) and inst.site_cap[s] > 0:
                    col(("y", c, t, s), inst.visit_days)
    for i in range(ni):
        col(("u", i), inst.unplanned_cost(i))
        for c in range(nc):
            for t in range(inst.ndays):
                if (("y", c, t, inst.inst_site[i]) in cols and inst.inst_kind[i] in inst.crew_kinds[c]
                        and t >= inst.inst_earliest[i]):
                    col(("z", i, c, t), max(0, t - inst.inst_due[i]))
    if not cost:
        return 0.0
    rows = []

    def row(coefs, lo, hi):
        rows.append((coefs, lo, hi))

    for i in range(ni):
        row({cols[k]: 1 for k in cols if k[0] in "zu" and k[1] == i}, 1, 1)
    for key, y in list(cols.items()):
        if key[0] != "y":
            continue
        _, c, t, s = key
        zs = [cols[("z", i, c, t)] for i in range(ni) if inst.inst_site[i] == s and ("z", i, c, t) in cols]
        coefs = {y: inst.site_setup[s] - inst.crew_minutes[c]}
        for i in range(ni):
            if inst.inst_site[i] == s and ("z", i, c, t) in cols:
                coefs[cols[("z", i, c, t)]] = inst.kind_minutes[inst.inst_kind[i]]
                row({cols[("z", i, c, t)]: 1, y: -1}, -np.inf, 0)
        row(coefs, -np.inf, 0)                                   # rule 3
        row({y: 1, **{z: -1 for z in zs}}, -np.inf, 0)           # rule 6
    for c in range(nc):                                          # rule 2
        for t in range(inst.ndays):
            ys = [cols[k] for k in cols if k[0] == "y" and k[1] == c and k[2] == t]
            if ys:
                row({y: 1 for y in ys}, -np.inf, 1)
    for s in range(len(inst.site_ids)):
        for t in range(inst.ndays):
            ys = [cols[k] for k in cols if k[0] == "y" and k[3] == s and k[2] == t]
            if ys:
                row({y: 1 for y in ys}, -np.inf, inst.site_cap[s])
    A = lil_matrix((max(1, len(rows)), len(cost)))
    lo, hi = [], []
    for r, (coefs, a, b) in enumerate(rows):
        for j, v in coefs.items():
            A[r, j] = v
        lo.append(a)
        hi.append(b)
    if not rows:
        lo, hi = [-np.inf], [np.inf]
    res = milp(np.array(cost, dtype=float), constraints=LinearConstraint(A.tocsr(), lo, hi),
               integrality=np.ones(len(cost)), bounds=(0, 1), options={"time_limit": 60})
    assert res.status == 0, res.message
    return float(res.fun)
