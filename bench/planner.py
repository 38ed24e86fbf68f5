"""Benchmark: the campaign planner on generated county, province and 10x province instances.

Run by hand::

    .venv/bin/python bench/planner.py [--seed 1] [--only county,province,province10] [--time-limit S]
                                      [--keep DIR]

For each instance (written in lims-plan-instance/1 by :func:`make_instance` from the seed) it runs
``python -m planning solve`` in a child process (wall time and that child's peak RSS via
``os.wait4``), checks the plan with ``planning.check``, runs a plain earliest-due-date greedy of its
own (:func:`edd_greedy`, in this process) on the same instance, checks that too, and prints cost,
lower bound, gap and the planner's cost as a ratio of the greedy's.  The load average is printed
beside the figures because the machine is shared.  No assertions: numbers are for people to read.
"""
from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import planning  # noqa: E402

START, END = dt.date(2027, 1, 4), dt.date(2027, 6, 30)
HOLIDAYS = ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12",
            "2027-04-05", "2027-05-03", "2027-05-04", "2027-05-05", "2027-06-09"]
KINDS = {"scale": {"minutes": 6}, "bp-aneroid": {"minutes": 12}, "bp-automated": {"minutes": 15},
         "thermometer": {"minutes": 8}}
MEDICAL = (("thermometer", 0.45), ("bp-aneroid", 0.35), ("bp-automated", 0.20))
CREW_MINUTES = 420

# name: (markets, mean scales per market, hospitals, mean instruments per hospital,
#        scale capacity / demand, medical capacity / demand)
SIZES = {
    "county": (20, 50, 8, 125, 1.4, 1.3),
    "district": (40, 80, 60, 183, 1.25, 0.90),
    "province": (200, 80, 300, 183, 1.25, 0.90),
    "province10": (2000, 80, 3000, 183, 1.25, 0.90),
}


def _workdays():
    hol = set(HOLIDAYS)
    out, day = [], START
    while day <= END:
        if day.isoweekday() <= 5 and day.isoformat() not in hol:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _sizes(rng, count, mean, low):
    """Site sizes: lognormal around ``mean``, at least ``low``."""
    sigma = 0.5
    mu = math.log(mean) - sigma * sigma / 2
    return [max(low, int(round(rng.lognormvariate(mu, sigma)))) for _ in range(count)]


def make_instance(name, seed):
    """A generated instance (lims-plan-instance/1): due dates from a year before to a year after."""
    markets, per_market, hospitals, per_hospital, scale_ratio, medical_ratio = SIZES[name]
    rng = random.Random(f"{name}-{seed}")
    workdays = _workdays()
    sites, instruments = [], []
    demand = {"scale": 0, "medical": 0}

    def closed_days(k):
        return sorted({rng.choice(workdays).isoformat() for _ in range(k)})

    def add_site(sid, setup, cap, n, kinds, group, earliest=None):
        site = {"id": sid, "setup_minutes": setup, "max_crews_per_day": cap}
        closed = closed_days(rng.randint(0, 4))
        if closed:
            site["closed"] = closed
        sites.append(site)
        batches = [START + dt.timedelta(days=rng.randint(-90, 330)) for _ in range(rng.randint(1, 3))]
        minutes = 0
        for _ in range(n):
            kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            if rng.random() < 0.05:
                due = START + dt.timedelta(days=rng.randint(-120, 360))
            else:
                due = rng.choice(batches) + dt.timedelta(days=rng.randint(-3, 3))
            item = {"id": f"I{len(instruments) + 1:07d}", "site": sid, "kind": kind, "due": due.isoformat()}
            if earliest is not None:
                item["earliest"] = earliest.isoformat()
            instruments.append(item)
            minutes += KINDS[kind]["minutes"]
        demand[group] += math.ceil(minutes / (CREW_MINUTES - setup))

    for m, n in enumerate(_sizes(rng, markets, per_market, 10)):
        add_site(f"M{m + 1:05d}", 40, 2, n, (("scale", 1.0),), "scale")
    for h, n in enumerate(_sizes(rng, hospitals, per_hospital, 30)):
        earliest = rng.choice(workdays[:40]) if rng.random() < 0.2 else None
        add_site(f"H{h + 1:05d}", 30, 1, n, MEDICAL, "medical", earliest)

    crews = []
    days_per_crew = len(workdays) - 5
    for group, ratio, kinds in (("scale", scale_ratio, ["scale"]),
                                ("medical", medical_ratio, [k for k, _ in MEDICAL])):
        count = max(1, round(demand[group] * ratio / days_per_crew))
        for c in range(count):
            off = sorted({rng.choice(workdays).isoformat() for _ in range(5)})
            while len(off) < 5:
                off = sorted(set(off) | {rng.choice(workdays).isoformat()})
            crews.append({"id": f"{'MK' if group == 'scale' else 'MD'}{c + 1:03d}", "kinds": kinds,
                          "minutes_per_day": CREW_MINUTES, "off": off})
    return {"format": "lims-plan-instance/1",
            "horizon": {"start": START.isoformat(), "end": END.isoformat(), "workdays": [1, 2, 3, 4, 5],
                        "holidays": HOLIDAYS},
            "costs": {"visit_days": 1.0, "unplanned_penalty_days": 60},
            "kinds": KINDS, "sites": sites, "instruments": instruments, "crews": crews}


def edd_greedy(instance):
    """Plain earliest-due-date greedy: each day, each free crew (in id order) goes to the site of the
    earliest-due instrument it may verify there and fills the visit with that site's instruments in
    due order while they fit.  Everything left over is unplanned."""
    start = dt.date.fromisoformat(instance["horizon"]["start"])
    end = dt.date.fromisoformat(instance["horizon"]["end"])
    hol = set(instance["horizon"]["holidays"])
    wd = set(instance["horizon"]["workdays"])
    minutes = {k: v["minutes"] for k, v in instance["kinds"].items()}
    sites = {s["id"]: s for s in instance["sites"]}
    closed = {s["id"]: set(s.get("closed", [])) for s in instance["sites"]}
    items = sorted(instance["instruments"], key=lambda i: (i["due"], i["id"]))
    by_site = {}
    for n, item in enumerate(items):
        by_site.setdefault(item["site"], []).append(n)
    done = bytearray(len(items))
    queues = {}                                   # crew kinds -> heap of instrument positions (due order)
    for crew in instance["crews"]:
        kinds = frozenset(crew["kinds"])
        if kinds not in queues:
            queues[kinds] = [n for n, item in enumerate(items) if item["kind"] in kinds]
            heapq.heapify(queues[kinds])
    visits = []
    day = start
    while day <= end:
        iso = day.isoformat()
        if day.isoweekday() in wd and iso not in hol:
            count = {}
            for crew in instance["crews"]:
                if iso in crew.get("off", ()):
                    continue
                kinds = frozenset(crew["kinds"])
                heap, held, target = queues[kinds], [], None
                while heap:
                    n = heapq.heappop(heap)
                    if done[n]:
                        continue
                    item = items[n]
                    s = item["site"]
                    held.append(n)
                    if (item.get("earliest", "") <= iso and iso not in closed[s]
                            and count.get(s, 0) < sites[s].get("max_crews_per_day", 1)
                            and sites[s]["setup_minutes"] + minutes[item["kind"]] <= crew["minutes_per_day"]):
                        target = s
                        break
                for n in held:
                    heapq.heappush(heap, n)
                if target is None:
                    continue
                room = crew["minutes_per_day"] - sites[target]["setup_minutes"]
                chosen = []
                for n in by_site[target]:
                    item = items[n]
                    if (not done[n] and item["kind"] in kinds and item.get("earliest", "") <= iso
                            and minutes[item["kind"]] <= room):
                        chosen.append(n)
                        room -= minutes[item["kind"]]
                for n in chosen:
                    done[n] = 1
                by_site[target] = [n for n in by_site[target] if not done[n]]
                count[target] = count.get(target, 0) + 1
                visits.append({"crew": crew["id"], "date": iso, "site": target,
                               "instruments": [items[n]["id"] for n in chosen]})
        day += dt.timedelta(days=1)
    unplanned = [items[n]["id"] for n in range(len(items)) if not done[n]]
    plan = {"format": "lims-plan/1", "visits": visits, "unplanned": unplanned, "cost": 0, "tardiness_days": 0,
            "visit_count": 0, "lower_bound": 0, "gap": 0, "seconds": 0}
    figures = planning.check(instance, plan).figures
    plan.update(cost=figures["cost"], tardiness_days=figures["tardiness_days"], visit_count=figures["visit_count"],
                gap=1.0 if figures["cost"] else 0.0)
    return plan


def run_planner(path, out, time_limit):
    cmd = [sys.executable, "-m", "planning", "solve", str(path), "--out", str(out), "--quiet"]
    if time_limit:
        cmd += ["--time-limit", str(time_limit)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode, stdout.strip(), stderr.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="county,province,province10")
    parser.add_argument("--time-limit", type=float, default=None, help="passed to the planner")
    parser.add_argument("--keep", help="directory to keep instances and plans in")
    args = parser.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="planner-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"seed {args.seed}, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    for name in args.only.split(","):
        t0 = time.perf_counter()
        instance = make_instance(name, args.seed)
        path = folder / f"{name}-{args.seed}.json"
        path.write_text(json.dumps(instance, separators=(",", ":")))
        nscale = sum(1 for i in instance["instruments"] if i["kind"] == "scale")
        print(f"\n== {name}: {nscale} scales, {len(instance['instruments']) - nscale} medical instruments, "
              f"{len(instance['sites'])} sites, {len(instance['crews'])} crews "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        load = os.getloadavg()[0]
        wall, rss, code, out, err = run_planner(path, folder / f"{name}-{args.seed}.plan.json", args.time_limit)
        load_after = os.getloadavg()[0]
        if code != 0:
            print(f"planner failed (exit {code}): {err[-500:]}")
            continue
        plan = json.loads((folder / f"{name}-{args.seed}.plan.json").read_text())
        report = planning.check(instance, plan)
        print(f"planner : {wall:7.1f} s wall, peak RSS {rss:7.0f} MiB, load avg {load:.2f} -> {load_after:.2f}")
        print(f"          cost {plan['cost']:.0f} = tardiness {plan['tardiness_days']:.0f}"
              f" + {plan['visit_count']} visits;"
              f" {len(plan['unplanned'])} unplanned; lower bound {plan['lower_bound']:.0f}; gap {plan['gap']:.2%};"
              f" check {'ok' if report.ok else 'FAILED: ' + '; '.join(report.errors[:3])}")
        t1 = time.perf_counter()
        greedy = edd_greedy(instance)
        gwall = time.perf_counter() - t1
        greport = planning.check(instance, greedy)
        print(f"greedy  : {gwall:7.1f} s wall; cost {greedy['cost']:.0f} = tardiness {greedy['tardiness_days']:.0f}"
              f" + {greedy['visit_count']} visits; {len(greedy['unplanned'])} unplanned;"
              f" check {'ok' if greport.ok else 'FAILED'}")
        print(f"planner cost / greedy cost = {plan['cost'] / greedy['cost']:.4f};"
              f" greedy gap to the bound {(greedy['cost'] - plan['lower_bound']) / greedy['cost']:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
