"""Benchmark the uncertainty engine against its Python peers, in one process and one run.

Run by hand (never in the test suite)::

    .venv/bin/pip install -e '.[bench]'       # GTC, suncal, uncertainties, metas-unclib, psutil
    .venv/bin/python bench/uncertainty_peers.py [--repeat 5] [--trials 1000000]

For each model (JCGM 101 9.2.2 additive model, JCGM 101 9.3 mass calibration, and a 10-input
scale-verification budget) it evaluates the same inputs with this engine (GUM and MCM), GTC,
suncal (GUM and MCM), uncertainties and metas-unclib where each is installed and usable, and a
plain vectorised NumPy Monte Carlo of the same trials as the near-limit baseline.  It prints
values, u, intervals, the best time of ``--repeat`` runs and the ratios, and checks the
targets of issue #3:

* MCM time / plain NumPy time <= 1.0 on every model;
* suncal MCM time / this engine's MCM time >= 2 on every model;
* GUM evaluation of the 10-input budget (with sensitivities) < 1 ms;
* 10^7 trials in < 1 GiB (peak traced allocation).

All timings are measured in the same run, interleaved, so the ratios hold on a loaded machine.
"""
import argparse
import importlib
import math
import os
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uncertainty import Model, evaluate_budget, gum, monte_carlo, scale_budget  # noqa: E402
from uncertainty.serialization import parse_budget  # noqa: E402

SQ3 = math.sqrt(3.0)
# infinite dof everywhere, so that every peer (some ignore dof) computes the same interval
SCALE_PARAMS = {"load": 10000.0, "indication": 10002.0, "d": 5.0, "repeatability_s": 2.0,
                "eccentricity_max": 5.0, "eccentricity_load": 10000.0, "weights_mpe": 0.5, "drift": 0.1}


def _inputs_from_budget(budget):
    """(name, kind, value, u-or-half-width) rows from a budget dict of normal/rectangular inputs."""
    rows = []
    for q in parse_budget(budget)["inputs"]:
        rows.append((q.name, q.distribution, q.value, q.half_width if q.distribution == "rectangular" else q.u))
    return rows


def models():
    """The benchmark models: name -> (budget dict, plain NumPy model function)."""
    additive = {"model": "X1 + X2 + X3 + X4", "inputs": {f"X{i}": {"value": 0.0, "u": 1.0} for i in range(1, 5)}}
    mass = {"model": "(mRc + dmRc)*(1 + (rho_a - 1.2)*(1/rho_w - 1/rho_r)) - 100000",
            "inputs": {"mRc": {"value": 100000.0, "u": 0.05}, "dmRc": {"value": 1.234, "u": 0.02},
                       "rho_a": {"value": 1.2, "distribution": "rectangular", "half_width": 0.1},
                       "rho_w": {"value": 8000.0, "distribution": "rectangular", "half_width": 1000.0},
                       "rho_r": {"value": 8000.0, "distribution": "rectangular", "half_width": 50.0}}}
    scale = scale_budget(SCALE_PARAMS)
    scale.pop("coverage")
    return {
        "additive-4 (JCGM 101 9.2.2)": (additive, lambda X1, X2, X3, X4: X1 + X2 + X3 + X4),
        "mass calibration (JCGM 101 9.3)": (
            mass, lambda mRc, dmRc, rho_a, rho_w, rho_r: (mRc + dmRc) * (1 + (rho_a - 1.2) * (1 / rho_w - 1 / rho_r))
            - 100000),
        "scale, 10 inputs (EURAMET cg-18)": (
            scale, lambda IL, dIdigL, dIrep, dIecc, I0, dIdig0, mN, dmc, dmB, dmD:
            IL + dIdigL + dIrep + dIecc - I0 - dIdig0 - (mN + dmc + dmB + dmD)),
    }


def numpy_baseline(rows, func, trials, seed):
    """Plain vectorised NumPy MCM: draw all trials at once, evaluate, mean, s.d., 2.5/97.5 % quantiles."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, kind, value, width in rows:
        arrays[name] = rng.normal(value, width, trials) if kind == "normal" else rng.uniform(value - width,
                                                                                            value + width, trials)
    y = func(**arrays)
    lo, hi = np.quantile(y, [0.025, 0.975])
    return float(y.mean()), float(y.std(ddof=1)), (float(lo), float(hi))


def make_suncal(budget, rows):
    """suncal adapters (GUM and MCM), or None when suncal is not installed."""
    try:
        from suncal import Model as SModel
    except ImportError:
        return None
    model = SModel(f"f = {budget['model']}")
    for name, kind, value, width in rows:
        var = model.var(name).measure(value)
        var.typeb(dist="normal", std=width) if kind == "normal" else var.typeb(dist="uniform", a=width)

    def gum_run():
        res = model.calculate_gum()
        u = float(res.uncertainty["f"])
        y = float(res.expected["f"])
        k = float(res.expanded(conf=0.95)["f"].k)
        return y, u, (y - k * u, y + k * u)

    def mcm_run(trials):
        res = model.monte_carlo(trials)
        exp = res.expanded(conf=0.95)["f"]
        return float(res.expected["f"]), float(res.uncertainty["f"]), (float(exp.low), float(exp.high))
    return gum_run, mcm_run


def make_gtc(rows, func):
    """GTC adapter (GUM only)."""
    try:
        from GTC import type_b, uncertainty, ureal, value
    except ImportError:
        return None

    def run():
        args = {name: ureal(v, w if kind == "normal" else type_b.uniform(w)) for name, kind, v, w in rows}
        y = func(**args)
        u = uncertainty(y)
        return value(y), u, (value(y) - 1.959964 * u, value(y) + 1.959964 * u)
    return run


def make_uncertainties(rows, func):
    """uncertainties adapter (first-order propagation, no dof)."""
    try:
        from uncertainties import ufloat
    except ImportError:
        return None

    def run():
        y = func(**{name: ufloat(v, w if kind == "normal" else w / SQ3) for name, kind, v, w in rows})
        return y.n, y.s, (y.n - 1.959964 * y.s, y.n + 1.959964 * y.s)
    return run


def make_metas(rows, func):
    """metas-unclib adapter; needs a .NET runtime (mono or dotnet) through pythonnet."""
    try:
        metas = importlib.import_module("metas_unclib")
        metas.use_linprop()
    except Exception as exc:  # ImportError, or pythonnet's RuntimeError without a .NET runtime
        return f"unavailable: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"

    def run():
        ufloat = metas.ufloat
        y = func(**{name: ufloat(v, w if kind == "normal" else w / SQ3) for name, kind, v, w in rows})
        yv, yu = float(metas.get_value(y)), float(metas.get_stdunc(y))
        return yv, yu, (yv - 1.959964 * yu, yv + 1.959964 * yu)
    return run


def best_time(func, repeat):
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_model(title, budget, func, args):
    rows = _inputs_from_budget(budget)
    inputs = parse_budget(budget)["inputs"]
    model = Model(budget["model"], [q.name for q in inputs])
    methods = {
        "engine GUM": lambda: _engine_gum(model, inputs),
        "engine GUM (budget dict)": lambda: _engine_budget(budget),
        "engine MCM": lambda: _engine_mcm(model, inputs, args.trials),
        "engine MCM, 1 thread": lambda: _engine_mcm(model, inputs, args.trials, workers=1),
        "plain NumPy MCM": lambda: numpy_baseline(rows, func, args.trials, 1),
    }
    suncal = make_suncal(budget, rows)
    if suncal:
        methods["suncal GUM"] = suncal[0]
        methods["suncal MCM"] = lambda: suncal[1](args.trials)
    for label, maker in (("GTC GUM", make_gtc), ("uncertainties", make_uncertainties), ("metas-unclib", make_metas)):
        adapter = maker(rows, func)
        if callable(adapter):
            methods[label] = adapter
        else:
            print(f"  {label}: {adapter or 'not installed'}")
    times = {k: math.inf for k in methods}
    results = {}
    gum_repeat = max(args.repeat * 20, 50)
    for _ in range(args.repeat):  # interleave the methods so machine load hits all of them alike
        for label, call in methods.items():
            n = 1 if "MCM" in label else gum_repeat // args.repeat
            t, results[label] = best_time(call, n)
            times[label] = min(times[label], t)
    print(f"\n== {title}: {len(rows)} inputs, MCM with {args.trials:.0e} trials ==")
    print(f"  engine MCM threads: {ENGINE_THREADS} (default: min(2, cpus)); Gaussian inputs merged: "
          f"{_merged_description(model, inputs)}")
    print(f"  {'method':<26}{'y':>16}{'u':>14}{'interval':>36}{'time':>12}")
    for label, (y, u, (lo, hi)) in results.items():
        print(f"  {label:<26}{y:>16.6g}{u:>14.5g}   [{lo:>14.6g}, {hi:>14.6g}]{times[label] * 1e3:>10.3f} ms")
    return times


def _engine_gum(model, inputs):
    res = gum(model, inputs)
    return res.value, res.u, res.interval


def _engine_budget(budget):
    res = evaluate_budget(budget, method="gum")["gum"]
    return res["value"], res["u"], tuple(res["interval"])


ENGINE_THREADS = min(2, os.cpu_count() or 1)


def _merged_description(model, inputs):
    """Which sums of independent Gaussian inputs the engine's MCM samples as one input."""
    from uncertainty.gaussian_sums import merge_gaussian_sums

    if getattr(model, "expressions", None) is None:
        return "no (callable model)"
    gaussian = {q.name: (q.value, q.u) for q in inputs if q.distribution == "normal" and q.u > 0}
    _tree, merged = merge_gaussian_sums(model.expressions[0].tree, gaussian)
    if not merged:
        return "no"
    return "yes: " + "; ".join(" + ".join(str(m) for m in members) for _n, _mean, _u, members in merged)


def _engine_mcm(model, inputs, trials, workers=None):
    res = monte_carlo(model, inputs, trials=trials, seed=1, workers=workers)
    return res.value, res.u, res.interval


def memory_check(trials):
    """Peak traced allocation (NumPy reports its buffers to tracemalloc) of one MCM run."""
    budget, _ = models()["scale, 10 inputs (EURAMET cg-18)"]
    inputs = parse_budget(budget)["inputs"]
    tracemalloc.start()
    start = time.perf_counter()
    res = monte_carlo(budget["model"], inputs, trials=trials, seed=1)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, elapsed, res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per method (best time is kept)")
    parser.add_argument("--trials", type=int, default=10**6, help="Monte Carlo trials")
    parser.add_argument("--memory-trials", type=int, default=10**7, help="trials of the memory check")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Using UFloat objects with std_dev==0")
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    checks = []
    for title, (budget, func) in models().items():
        t = run_model(title, budget, func, args)
        ratio_np = t["engine MCM"] / t["plain NumPy MCM"]
        print(f"  ratio engine MCM / plain NumPy MCM = {ratio_np:.2f}   (target <= 1.0)")
        print(f"  ratio engine MCM 1 thread / plain NumPy MCM (1 thread) = "
              f"{t['engine MCM, 1 thread'] / t['plain NumPy MCM']:.2f}")
        checks.append((f"{title}: MCM/NumPy <= 1.0", ratio_np <= 1.0))
        if "suncal MCM" in t:
            ratio_s = t["suncal MCM"] / t["engine MCM"]
            print(f"  ratio suncal MCM / engine MCM   = {ratio_s:.2f}   (target >= 2)")
            print(f"  ratio suncal GUM / engine GUM   = {t['suncal GUM'] / t['engine GUM']:.1f}")
            checks.append((f"{title}: suncal MCM / engine MCM >= 2", ratio_s >= 2.0))
        if "GTC GUM" in t:
            print(f"  ratio GTC GUM / engine GUM      = {t['GTC GUM'] / t['engine GUM']:.2f}")
        if title.startswith("scale"):
            checks.append(("10-input GUM with sensitivities < 1 ms", t["engine GUM"] < 1e-3))
    peak, elapsed, res = memory_check(args.memory_trials)
    print(f"\n== memory: {args.memory_trials:.0e} trials of the 10-input budget: peak {peak / 2**20:.0f} MiB, "
          f"{elapsed:.2f} s, u = {res.u:.5g} ==")
    checks.append((f"{args.memory_trials:.0e} trials < 1 GiB", peak < 2**30))
    print("\n== targets ==")
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
