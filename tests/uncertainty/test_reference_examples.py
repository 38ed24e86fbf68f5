"""One test per published example: the engine reproduces the printed digits.

Data live in ``tests/uncertainty/reference/*.json``; each file names its document, clause and
table.  GUM results are asserted to half a unit of the last printed digit.  Monte Carlo results
use a fixed seed and 10^6 trials; their tolerance is the printed half-unit plus three standard
errors of the estimator at that trial count (``mc_se``), because the published values are
themselves one Monte Carlo realisation.
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from uncertainty import Model, evaluate_budget, fit_line, gum_multi
from uncertainty.quantities import type_a_correlated
from uncertainty.serialization import parse_budget

from .conftest import REFERENCE, check, load_reference

TRIALS = 10**6
ROOT = Path(__file__).resolve().parents[2]
#: every reference file that holds a budget in the CLI JSON format
BUDGET_FILES = sorted(p.stem for p in REFERENCE.glob("*.json") if "budget" in load_reference(p.stem))


def mc_se(u, trials=TRIALS, p=0.95):
    """Standard errors (mean, u, interval end) of MCM estimates for a roughly Gaussian output."""
    phi = math.exp(-0.5 * 1.96**2) / math.sqrt(2 * math.pi)
    return {"value": u / math.sqrt(trials), "u": u / math.sqrt(2 * trials),
            "interval": u * math.sqrt((1 - p) / 2 * (1 + p) / 2 / trials) / phi}


def evaluate(name, method="both", **kw):
    ref = load_reference(name)
    return ref, evaluate_budget(ref["budget"], method=method, trials=TRIALS, seed=20260101, **kw)


def check_block(result, published, label, se=None):
    se = se or {}
    for key in ("value", "u", "dof", "dof_used", "k", "U"):
        if key in published:
            check(result[key], published[key], f"{label}.{key}", 3 * se.get(key, 0.0))
    if "interval" in published:
        for end, pub in zip(result["interval"], published["interval"], strict=False):
            check(end, pub, f"{label}.interval", 3 * se.get("interval", 0.0))


def test_jcgm101_9_2_2_additive_normal():
    """JCGM 101:2008 9.2.2, Table 2: GUF and MCM agree, y = 0.00, u = 2.00, [-3.92, 3.92]."""
    ref, res = evaluate("jcgm101_9_2_2_additive_normal")
    check_block(res["gum"], ref["published"]["gum"], "gum")
    check_block(res["mcm"], ref["published"]["mcm"], "mcm", mc_se(2.0))
    # published outcome (JCGM 101 9.2.2): the GUF is validated by the MCM at n_dig = 2 (delta = 0.05 for u = 2.0)
    v = res["validation"]
    assert v["tolerance"] == pytest.approx(0.05) and v["passed"] is True
    assert max(v["d_low"], v["d_high"]) <= v["tolerance"]
    assert res["mcm"]["trials"] == TRIALS and res["mcm"]["seed"] == 20260101


SECONDARY = {"nist_tn1900_e11_step_attenuator", "nist_tn1900_e13_thermal_expansion", "nist_tn1900_e3_viscometer",
             "nist_num_stefan_boltzmann", "npl_dem_es_011_9_2_log", "quam_a1_cadmium_standard",
             "quam_a2_naoh_standardisation", "jcgm101_9_3_mass_calibration"}


def test_numbers_read_second_hand_are_marked_secondary():
    """Cases whose published numbers come from another program's tests or from memory say so in their file."""
    marked = {p.stem for p in REFERENCE.glob("*.json") if load_reference(p.stem).get("secondary")}
    assert marked == SECONDARY
    for name in SECONDARY:
        assert load_reference(name)["secondary_note"].strip()


def test_jcgm101_9_2_3_additive_rectangular():
    """JCGM 101:2008 9.2.3, Table 3: MCM interval [-3.88, 3.88] is shorter than GUF's +-3.92."""
    ref, res = evaluate("jcgm101_9_2_3_additive_rectangular")
    check_block(res["gum"], ref["published"]["gum"], "gum")
    check_block(res["mcm"], ref["published"]["mcm"], "mcm", mc_se(2.0))


def test_jcgm101_9_2_4_additive_rect_dominant():
    """JCGM 101:2008 9.2.4, Table 4 (secondary source): GUF u = 10.15, +-19.9; MCM +-17.0.

    The GUF fails validation by MCM here, which is the point of the example.
    """
    ref, res = evaluate("jcgm101_9_2_4_additive_rect_dominant")
    check_block(res["gum"], ref["published"]["gum"], "gum")
    check_block(res["mcm"], ref["published"]["mcm"], "mcm", mc_se(10.15))
    assert res["validation"]["passed"] is False
    assert res["validation"]["d_low"] > 2.0


def test_jcgm101_9_3_mass_calibration():
    """JCGM 101:2008 9.3, Tables 6 and 7 (M = 10^6).

    Asserted: GUF first order 1.2340, u 0.0539, [1.1285, 1.3395]; GUF second order u 0.0750
    (interval printed as [1.0870, 1.3810], i.e. from the rounded u: tolerance 1.5e-4);
    MCM y 1.2340 and u 0.0754 ± 0.0005 (secondary: recalled, so one unit of the third digit, plus MC noise).
    The MCM interval end points of Table 7 are not
    asserted: the values I recall ([1.0834, 1.3825]) are not symmetric about y for this
    symmetric output PDF, and 10^7 trials here give [1.0844, 1.3836], so my recollection of
    those digits is doubtful.  The GUF is not validated (d_low, d_high >> delta = 0.0005).
    """
    ref, res = evaluate("jcgm101_9_3_mass_calibration")
    pub = ref["published"]
    check_block(res["gum"], pub["gum"], "gum")
    check_block(res["mcm"], pub["mcm"], "mcm", mc_se(0.0754))
    lo, hi = res["mcm"]["interval"]
    assert abs((lo + hi) / 2 - 1.2340) < 0.001
    assert res["validation"]["tolerance"] == pytest.approx(0.0005)
    assert res["validation"]["passed"] is False and min(res["validation"]["d_low"], res["validation"]["d_high"]) > 0.04
    budget = dict(ref["budget"], second_order=True)
    second = evaluate_budget(budget, method="gum")["gum"]
    check_block(second, pub["gum_second_order"], "gum(2nd order)")


def test_gum_h1_gauge_block():
    """JCGM 100:2008 H.1: l = 50.000 838 mm, u_c = 32 nm, nu_eff = 16.7 -> 16, t99(16) = 2.92,
    U99 = 93 nm (H.1.6); with the second-order terms u_c = 34 nm (H.1.7)."""
    ref, res = evaluate("gum_h1_gauge_block", method="gum")
    check_block(res["gum"], ref["published"]["gum"], "gum")
    shares = {row["name"]: row["contribution"] for row in res["gum"]["budget"]}
    check(shares["dtheta"], [16.6, 0.1], "u(dtheta) contribution (Table H.1 prints 16.6 nm)")
    check(shares["dalpha"], [2.9, 0.05], "u(dalpha) contribution (Table H.1)")
    second = evaluate_budget(dict(ref["budget"], second_order=True), method="gum")["gum"]
    check_block(second, ref["published"]["gum_second_order"], "gum(2nd order)")


def test_gum_g41_welch_satterthwaite():
    """JCGM 100:2008 G.4.1 example 1: u_c,rel = 1.03 %, nu_eff = 19.0, t95(19) = 2.09, U95 = 2.2 %.

    Unrounded inputs give nu_eff = 18.9987; the default dof rule takes it as 19 (see DOF_RULES).
    """
    ref, res = evaluate("gum_g41_welch_satterthwaite", method="gum")
    check_block(res["gum"], ref["published"]["gum"], "gum")


def test_ea402_s2_weight():
    """EA-4/02 M:2022 S2: m_X = 10 000.025 g, U = 58 mg (k = 2); secondary sources print
    u = 29.2 mg and 29.3 mg, so u and U carry a 0.2 mg and 1 mg tolerance."""
    ref, res = evaluate("ea402_s2_weight_10kg", method="gum")
    check_block(res["gum"], ref["published"]["gum"], "gum")
    assert res["gum"]["rounded"] == {"value": "10000.025", "U": "0.059"}


def test_gum_h2_simultaneous_impedance_approach_1():
    """JCGM 100:2008 H.2.3, Tables H.2 and H.3 (approach 1, means with correlations):
    R = 127.732(71) ohm, X = 219.847(295) ohm, Z = 254.260(236) ohm, r(R,X) = -0.588,
    r(R,Z) = -0.485, r(X,Z) = 0.993.

    Propagating the unrounded Table H.2 statistics gives u(X) = 0.29558 ohm, one unit of the
    last printed digit above 0.295 (the GUM printed the same 0.295 for approach 2, which this
    data reproduces exactly, see the next test); the u's are therefore asserted to +-0.001.
    """
    ref = load_reference("gum_h2_impedance")
    pub = ref["published"]
    inputs, correlations = type_a_correlated(ref["readings"])
    for q in inputs:
        check(q.value, pub["means"][q.name], f"mean {q.name}")
        check(q.u, pub["u_means"][q.name], f"u {q.name}")
    for a, b, r in correlations:
        check(r, pub["r_inputs"][f"{a},{b}"], f"r({a},{b})")
    results, cov = gum_multi(ref["model"], inputs, correlations)
    for res in results:
        check(res.value, pub["value"][res.name], f"{res.name}")
        check(res.u, pub["u"][res.name], f"u({res.name})", extra=0.0005)
    names = [r.name for r in results]
    for pair, published in pub["r_outputs"].items():
        i, j = (names.index(n) for n in pair.split(","))
        check(cov[i, j] / math.sqrt(cov[i, i] * cov[j, j]), published, f"r({pair})")


def test_gum_h2_simultaneous_impedance_approach_2():
    """JCGM 100:2008 H.2.4, Table H.4 (approach 2: R, X, Z computed per set, then Type A):
    127.732(71), 219.847(295), 254.260(236) ohm, and the same output correlations."""
    ref = load_reference("gum_h2_impedance")
    pub = ref["published"]
    model = Model(ref["model"], list(ref["readings"]))
    per_set = model({k: np.array(v) for k, v in ref["readings"].items()})
    outputs, correlations = type_a_correlated(dict(zip(model.outputs, (o.tolist() for o in per_set), strict=False)))
    for q in outputs:
        check(q.value, pub["value"][q.name], q.name)
        check(q.u, pub["u"][q.name], f"u({q.name})")
    for a, b, r in correlations:
        check(r, pub["r_outputs"][f"{a},{b}"], f"r({a},{b})")


def test_gum_h3_thermometer_calibration():
    """JCGM 100:2008 H.3: y1 = -0.1712(29) degC, y2 = 0.00218(67), r = -0.930, s = 0.0035,
    nu = 9; b(30 degC) = -0.1494(41) degC (H.3.4)."""
    ref = load_reference("gum_h3_thermometer")
    pub = ref["published"]
    fit = fit_line(ref["t"], ref["b"], x0=ref["t0"])
    check(fit.intercept, pub["y1"], "y1")
    check(fit.u_intercept, pub["u_y1"], "u(y1)")
    check(fit.slope, pub["y2"], "y2")
    check(fit.u_slope, pub["u_y2"], "u(y2)")
    check(fit.correlation, pub["r"], "r(y1, y2)")
    check(fit.s, pub["s"], "s")
    check(fit.dof, pub["dof"], "dof")
    b30, u30 = fit.predict(ref["predict_at"])
    check(b30, pub["b30"], "b(30)")
    check(u30, pub["u_b30"], "u(b(30))")


@pytest.mark.parametrize("name", BUDGET_FILES)
def test_reference_budgets_match_json_schema(name):
    """Every reference budget file is valid under the published JSON Schema and the parser."""
    jsonschema = pytest.importorskip("jsonschema")
    from uncertainty import budget_schema
    budget = load_reference(name)["budget"]
    jsonschema.Draft202012Validator(budget_schema()).validate(budget)
    assert parse_budget(budget)["model"].names == tuple(budget["inputs"])


# --------------------------------------------------------------------------------------------
# Every budget file, exactly as a user runs it: ``python -m uncertainty evaluate FILE --method
# both --seed 1`` (M = 10^6), compared with every published figure the file records.
# --------------------------------------------------------------------------------------------
CLI_SEED = 1


def run_cli(budget, tmp_path, method="both", name="budget"):
    """Write ``budget`` to a file and evaluate it with the command line, as a user would."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(budget, indent=1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "uncertainty", "evaluate", str(path), "--method", method,
                           "--seed", str(CLI_SEED)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_mcm(result, published, label, factors):
    """MCM figures: printed half-unit plus three standard errors at M trials (JCGM 101 7.6)."""
    se = mc_se(result["u"], result["trials"])
    for key in ("value", "u"):
        if key in published:
            check(result[key], published[key], f"{label}.{key}", 3 * se[key] * factors.get(key, 1.0))
    for key in ("interval", "shortest_interval"):
        for end, pub in zip(result[key], published.get(key, ()), strict=False):
            check(end, pub, f"{label}.{key}", 3 * se["interval"] * factors.get("interval", 1.0))


@pytest.mark.parametrize("name", BUDGET_FILES)
def test_published_example_through_the_cli(name, tmp_path):
    """Each reference budget, run through the CLI JSON format, gives the published digits.

    GUM figures are asserted to half a unit of the last printed digit; Monte Carlo figures with
    seed 1 and M = 10^6 to the printed half-unit plus 3 standard errors at that M (times the
    file's ``mc_se_factor`` where the output's tails make the Gaussian standard error too small;
    each such factor is explained in the file).
    """
    ref = load_reference(name)
    pub = ref["published"]
    factors = ref.get("mc_se_factor", {})
    out = run_cli(ref["budget"], tmp_path)
    assert out["mcm"]["seed"] == CLI_SEED and out["mcm"]["trials"] == ref["budget"].get("trials", TRIALS)
    if "gum" in pub:
        check_block(out["gum"], pub["gum"], f"{name} gum")
        if "interval_high" in pub["gum"]:
            check(out["gum"]["interval"][1], pub["gum"]["interval_high"], f"{name} gum.interval[1]")
    if "mcm" in pub:
        check_mcm(out["mcm"], pub["mcm"], f"{name} mcm", factors)
    for row in out["gum"]["budget"]:
        if row["name"] in pub.get("contributions", {}):
            check(row["contribution"], pub["contributions"][row["name"]], f"{name} u_i({row['name']})")
    if "gum_second_order" in pub:
        second = run_cli(dict(ref["budget"], second_order=True), tmp_path, "gum", "second")
        check(second["gum"]["u"], pub["gum_second_order"]["u"], f"{name} gum(2nd order).u")
    if "mcm_68" in pub:
        other = run_cli(dict(ref["budget"], coverage=0.68), tmp_path, "mcm", "p68")
        check_mcm(other["mcm"], pub["mcm_68"], f"{name} mcm(68 %)", factors)
