"""Type budgets from the record: worked examples by hand, the engine's own builders, references, the API."""
import datetime as dt
import math
import re
from decimal import Decimal

import pytest
from scipy import stats

import uncertainty
from lims.modules.budgets.record import BudgetInputError, build, evaluate
from lims.modules.budgets.references import ReferenceError, reference_for
from lims.modules.procedures.definitions import load_all, load_weight_classes

TODAY = dt.date(2026, 12, 2)
R111 = load_weight_classes()


def std(code="W-F1", values=(), cls="F1", cal=dt.date(2026, 6, 1), due=dt.date(2027, 6, 1), sid=1, kind="weight_set"):
    return {"id": sid, "code": code, "kind": kind, "certificate_number": f"NIM-{code}", "calibrated_on": cal,
            "due_on": due, "accuracy_class": cls, "values": list(values), "is_deleted": False}


def row(nominal, value, big_u, unit="g", k=2, **extra):
    return {"nominal": nominal, "value": value, "U": big_u, "k": k, "unit": unit, **extra}


def k_t(nu, p=0.9545):
    return stats.t.ppf((1 + p) / 2, nu)


# --- the scale budget (EURAMET cg-18 7.1) -------------------------------------------------------------


def scale_example():
    """30 kg × 10 g class III, point 5000 g, flash-point method, weights F1 with a certificate.

    5 kg weight: conventional mass 5000.01 g, U = 0.025 g (k = 2); its F1 class MPE is 25 mg.
    I = 5000 g, ΔL = 3 g → P = I + e/2 − ΔL = 5002 g; E0 = 0.5 g (flash-point at zero).
    Repeatability item: 15000, 15001, 15002 g → s = 1 g, ν = 2.
    Eccentricity item at 10000 g: 10000, 10002, 9999, 10001 → |ΔI|max = 2 g from the first position.
    """
    proc = load_all()["scale.digital"]
    ref = reference_for([std(values=[row("5 kg", 5000.01, 0.025)])], Decimal(5000), "g", TODAY,
                        compose=True, class_table=R111)
    ctx = {"unit": "g", "nominal": Decimal(5000), "reference": ref, "d": Decimal(10), "e": Decimal(10),
           "indication": Decimal(5002), "flash": True, "zero_error": Decimal("0.5"), "readings": None,
           "repeatability": {"values": [15000, 15001, 15002], "source": "repeatability 15000 g"},
           "eccentricity": {"values": [10000, 10002, 9999, 10001], "load": Decimal(10000),
                            "source": "eccentricity 10000 g"}}
    return proc, ref, ctx


def test_scale_budget_worked_example_by_hand():
    proc, ref, ctx = scale_example()
    out = evaluate(build("scale", proc["budget"], ctx), "gum")
    # by hand, standard uncertainties in g:
    u_dig = 1 / math.sqrt(12)             # flash-point step 0.1 e = 1 g, at load and at zero: 0.288675 each
    u_rep = 1.0                           # s(15000, 15001, 15002) = 1, ν = 2
    u_ecc = (5000 * 2 / (2 * 10000)) / math.sqrt(3)  # L·|ΔI|max/(2 L_ecc) = 0.5 g half-width → 0.288675
    u_ref = 0.025 / 2                     # U/k of the certificate → 0.0125
    u_b = 0.025 * 0.25 / math.sqrt(3)     # F1 MPE 25 mg × 1/4, rectangular → 0.0036084
    u_d = 0.025 / math.sqrt(3)            # drift D = U, rectangular → 0.0144338
    uc = math.sqrt(2 * u_dig**2 + u_rep**2 + u_ecc**2 + u_ref**2 + u_b**2 + u_d**2)
    assert uc == pytest.approx(1.118202, abs=1e-6)  # √(0.0833333·3 + 1 + 0.000377) = √1.250377
    nu = uc**4 / (u_rep**4 / 2)           # Welch–Satterthwaite: 1.563443/0.5 = 3.127 → 3 (GUM G.4.1)
    assert math.floor(nu) == 3
    assert out["u"] == pytest.approx(uc, rel=1e-9) and out["nu_eff"] == pytest.approx(nu, rel=1e-6)
    assert out["k"] == pytest.approx(k_t(3), rel=1e-6) and out["U"] == pytest.approx(k_t(3) * uc, rel=1e-9)
    assert out["value"] == pytest.approx(5002 - 0.5 - 5000.01)  # Ec = P − E0 − L = 1.49 g
    by_name = {r["name"]: r for r in out["inputs"]}
    assert by_name["dIrep"]["dof"] == 2 and by_name["mref"]["u"] == pytest.approx(u_ref)
    assert "W-F1" in by_name["mref"]["source"] and "NIM-W-F1" in by_name["mref"]["source"]
    assert "repeatability 15000 g" in by_name["dIrep"]["source"]
    assert sum(r["share"] for r in out["inputs"]) == pytest.approx(1.0)


def test_scale_budget_agrees_with_the_engines_own_scale_builder():
    """uncertainty.scale_budget builds the same cg-18 model from plain parameters (written independently)."""
    proc, ref, ctx = scale_example()
    ours = evaluate(build("scale", proc["budget"], ctx), "gum")
    engine = uncertainty.evaluate_instrument("scale", {
        "load": 5000, "indication": 5002, "d": 1.0, "zero_indication": 0.5, "d_zero": 1.0, "repeatability_s": 1.0,
        "repeatability_n": 3, "eccentricity_max": 2, "eccentricity_load": 10000, "weights_correction": 0.01,
        "weights_U": 0.025, "weights_k": 2, "buoyancy": 0.025 / 4, "drift": 0.025})
    assert ours["u"] == pytest.approx(engine["gum"]["u"], rel=1e-12)
    assert ours["k"] == pytest.approx(engine["gum"]["k"], rel=1e-12)
    assert ours["value"] == pytest.approx(engine["gum"]["value"], rel=1e-12)


def test_scale_without_flash_point_uses_d_over_root_12_at_load_and_at_zero():
    proc, ref, ctx = scale_example()
    ctx.update(flash=False, zero_error=None, indication=Decimal(5000), repeatability=None, eccentricity=None)
    out = evaluate(build("scale", proc["budget"], ctx), "gum")
    by_name = {r["name"]: r for r in out["inputs"]}
    assert by_name["dIdigL"]["u"] == pytest.approx(10 / math.sqrt(12))
    assert by_name["dIdig0"]["u"] == pytest.approx(10 / math.sqrt(12))
    assert "dIrep" not in by_name and "dIecc" not in by_name


def test_weights_used_by_class_give_mpe_over_root_3():
    """M1 weights by class (no certificate values used): 20 kg + 10 kg, MPE 1000 + 500 mg → u = 1.5 g/√3."""
    ref = reference_for([std(cls="M1", values=[])], Decimal(30000), "g", TODAY, mode="class", compose=True,
                        class_table=R111)
    assert ref.value == 30000 and ref.class_mpe == Decimal("1.5") and [p.nominal for p in ref.parts] == ["20000 g",
                                                                                                         "10000 g"]
    assert float(ref.u) == pytest.approx(1.5 / math.sqrt(3))
    proc = load_all()["scale.digital"]
    budget = build("scale", {**proc["budget"], "reference_mode": "class"},
                   {"unit": "g", "nominal": Decimal(30000), "reference": ref, "d": Decimal(10), "e": Decimal(10),
                    "indication": Decimal(30000)})
    assert budget["inputs"]["mref"]["distribution"] == "rectangular" and budget["inputs"]["mref"]["half_width"] == 1.5
    assert "dmD" not in budget["inputs"]  # drift is within the class MPE


# --- references from the register ------------------------------------------------------------------------


def test_composition_adds_values_and_uncertainties_linearly():
    s = std(values=[row("20 kg", 20000.05, 0.1), row("10 kg", 10000.02, 0.05), row("5 kg", 5000.01, 0.025)])
    ref = reference_for([s], Decimal(35000), "g", TODAY, compose=True, class_table=R111)
    assert ref.value == Decimal("35000.08") and ref.u == Decimal("0.0875")  # (0.1 + 0.05 + 0.025)/2
    with pytest.raises(ReferenceError, match=r"no calibrated value for 35000 g in standard W-F1"):
        reference_for([s], Decimal(35000), "g", TODAY, compose=False)


def test_an_expired_standard_is_an_error_naming_it():
    s = std(code="W-OLD", values=[row("5 kg", 5000, 0.1)], due=dt.date(2026, 11, 30))
    with pytest.raises(ReferenceError, match=r"standard W-OLD \(certificate NIM-W-OLD\) is not calibrated on "
                                             r"2026-12-02: valid 2026-06-01 to 2026-11-30"):
        reference_for([s], Decimal(5000), "g", TODAY)


def test_units_are_converted_and_interpolation_only_where_allowed():
    p = std(code="P-1", kind="pressure", values=[row("100 mmHg", 100.3, 0.2, unit="mmHg"),
                                                 row("200 mmHg", 200.5, 0.2, unit="mmHg")])
    with pytest.raises(ReferenceError, match="does not allow interpolation"):
        reference_for([p], Decimal(150), "mmHg", TODAY)
    ref = reference_for([p], Decimal(150), "mmHg", TODAY, interpolate=True)
    assert ref.value == Decimal("150.4") and ref.interpolation_half_width == Decimal("0.1")
    k = std(code="P-2", kind="pressure", values=[row("0.02 MPa", 20.001, 0.006, unit="kPa")])
    ref = reference_for([k], Decimal(20000), "Pa", TODAY)  # nominal given in MPa, value in kPa, point in Pa
    assert (ref.value, ref.u) == (Decimal(20001), Decimal(3))
    with pytest.raises(ReferenceError, match=r"no calibrated value for 150 mmHg in standard P-2"):
        reference_for([k], Decimal(150), "mmHg", TODAY)  # 20 kPa is 150.01 mmHg, not 150: no exact match


# --- sphygmomanometer and thermometer ------------------------------------------------------------------


def test_sphygmomanometer_budget_by_hand():
    """Point 150 mmHg; reference interpolated between 100 (100.3) and 200 mmHg (200.5), U 0.2 (k 2), its
    resolution 0.01 mmHg; instrument d = 1 mmHg; stored readings 152, 152, 153 (their mean used)."""
    proc = load_all()["sphygmomanometer.nibp"]
    p = std(code="P-1", kind="pressure", values=[row("100 mmHg", 100.3, 0.2, unit="mmHg"),
                                                 row("200 mmHg", 200.5, 0.2, unit="mmHg")])
    ref = reference_for([p], Decimal(150), "mmHg", TODAY, interpolate=True)
    ctx = {"unit": "mmHg", "nominal": Decimal(150), "reference": ref, "d": Decimal(1), "reference_d": Decimal("0.01"),
           "indication": Decimal("152.33"),
           "readings": {"values": [152, 152, 153], "mean": True, "source": "session 1, readings 1, 2, 3"}}
    out = evaluate(build("sphygmomanometer", proc["budget"], ctx), "gum")
    u_res = 1 / math.sqrt(12)                  # 0.288675
    u_rep = stats.tstd([152, 152, 153]) / math.sqrt(3)  # s = 0.57735, mean of 3 → 0.333333, ν = 2
    u_ref = 0.2 / 2                            # 0.1
    u_rres = 0.01 / math.sqrt(12)              # 0.0028868
    u_int = 0.1 / math.sqrt(3)                 # half the change of correction (0.5 − 0.3)/2 → 0.057735
    uc = math.sqrt(u_res**2 + u_rep**2 + u_ref**2 + u_rres**2 + u_int**2)
    # u_c² = 0.0833333 + 0.1111111 + 0.01 + 0.0000083 + 0.0033333 = 0.2077861
    assert uc == pytest.approx(0.455836, abs=1e-6)
    nu = uc**4 / (u_rep**4 / 2)                # 0.0431751/0.0061728 = 6.994 → 7: the engine truncates after
    assert out["u"] == pytest.approx(uc) and out["nu_eff"] == pytest.approx(nu)  # 0.01 of slack (format.md)
    assert out["k"] == pytest.approx(k_t(7)) and out["value"] == pytest.approx(152.33 - 150.4)
    assert {r["name"] for r in out["inputs"]} == {"p_ind", "dp_res", "dp_rep", "p_ref", "dp_ref_res", "dp_I"}


def test_thermometer_budget_gum_by_hand_and_monte_carlo():
    """37 °C: reference 37.003 °C, U 0.012 (k 2); bath stability ±0.01, uniformity ±0.01 °C; d = 0.1 °C."""
    proc = load_all()["thermometer.clinical_electronic"]
    assert proc["budget"]["method"] == "mcm"
    t = std(code="T-1", kind="thermometer", values=[row("37 °C", 37.003, 0.012, unit="°C")])
    ref = reference_for([t], Decimal(37), "°C", TODAY, interpolate=True)
    ctx = {"unit": "°C", "nominal": Decimal(37), "reference": ref, "d": Decimal("0.1"), "indication": Decimal("37.0"),
           "bath": {"stability": Decimal("0.01"), "uniformity": Decimal("0.01"), "source": "BATH-1"}}
    out = evaluate(build("thermometer", proc["budget"], ctx), "mcm")
    uc = math.sqrt((0.05 / math.sqrt(3))**2 + 0.006**2 + 2 * (0.01 / math.sqrt(3))**2)  # √0.000936 = 0.030594
    assert out["u"] == pytest.approx(uc) and out["u"] == pytest.approx(0.030594, abs=1e-6)
    # the rectangular resolution term dominates: the 95.45 % interval is shorter than 2u (uniform alone: ±0.0477)
    assert 0.0477 < out["U"] < 2 * uc and out["mcm"]["trials"] == 100000
    with pytest.raises(BudgetInputError, match="bath"):
        build("thermometer", proc["budget"], {**ctx, "bath": None})


# --- from the bench: the record feeds the budget (API and page) -----------------------------------------

WEIGHTS = [row(n, v, u) for n, v, u in (("20 kg", 20000.004, 0.1), ("10 kg", 10000.002, 0.05),
                                         ("5 kg", 5000.001, 0.025), ("200 g", 200.0001, 0.001))]


def budget_bench(app, world, values=WEIGHTS, due=None):
    """A bench with an F1 weight set calibrated at 20 kg, 10 kg, 5 kg and 200 g; returns (bench id, standard id)."""
    from lims.extensions import db
    from lims.modules.equipment import operations as eq

    today = dt.date.today()
    with app.app_context():
        s = eq.create_standard({"code": "W-F1-9", "name": "F1 weights", "kind": "weight_set", "accuracy_class": "F1",
                                "certificate_number": "NIM-2026-W-9", "certificate_issuer": "NIM",
                                "calibrated_on": today - dt.timedelta(days=10),
                                "due_on": due or today + dt.timedelta(days=300), "values": list(values)})
        b = eq.create_bench({"name": "bench budgets", "standard_ids": [s.id]})
        db.session.commit()
        return b.id, s.id


def _move(api, job_id, action, role="technician", **extra):
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    return api("post", f"/api/v1/jobs/{job_id}/transitions", role=role,
               json={"version": version, "action": action, **extra})


def _readings(app, world, job, point, values):
    from lims.core.db import now_utc
    from lims.extensions import db
    from lims.modules.measurements.models import MeasurementSession, Reading

    with app.app_context():
        s = MeasurementSession(job_id=job, bench_id=db.session.get(__import__("lims.modules.jobs.models",
                                                                               fromlist=["Job"]).Job, job).bench_id,
                               driver="mtsics", port="sim://mtsics", count=len(values), test_point=point,
                               started_by_id=world.users["technician"])
        db.session.add(s)
        db.session.flush()
        for seq, value in enumerate(values, 1):
            db.session.add(Reading(session_id=s.id, sequence=seq, raw=b"S S", value=value, unit="g", is_stable=True,
                                   test_point=point, instrument_dt=now_utc()))
        db.session.commit()
        return s.id


def test_budget_from_the_bench_record(app, api, world, client):
    from tests.lims.test_pages_support import login, text_of

    bench, _sid = budget_bench(app, world)
    job = world.jobs["market_a"]
    assert _move(api, job, "receive").status_code == 200
    assert _move(api, job, "start", bench_id=bench).status_code == 200
    enter = lambda **b: api("post", f"/api/v1/jobs/{job}/results", role="technician", json=b)  # noqa: E731
    sid = _readings(app, world, job, "5000 g", [5000.0, 5000.0, 5000.0])
    r = enter(point="5000 g", session_id=sid, sequences=[1, 2, 3], flash_delta=5, zero_error=0)
    assert r.status_code == 200, r.json
    b = r.json["budget"]
    names = [i["name"] for i in b["inputs"]]
    assert names == ["IL", "dIdigL", "dIrep", "I0", "dIdig0", "mref", "dmB", "dmD"]
    src = {i["name"]: i["source"] for i in b["inputs"]}
    assert "W-F1-9 5 kg (NIM-2026-W-9" in src["mref"] and f"measurement session {sid}, readings 1, 2, 3" in src["dIrep"]
    assert r.json["reference"] == "5000.001" and b["standards"][0]["code"] == "W-F1-9"
    # readings all equal: s = 0; flash step 1 g at load and at zero; weights U 0.025, buoyancy F1 25 mg/4, drift = U
    uc = math.sqrt(2 / 12 + 0.0125**2 + (0.025 / 4)**2 / 3 + 0.025**2 / 3)
    assert b["u"] == pytest.approx(uc) and r.json["uncertainty"] == f"{2 * uc:.2g}" and r.json["k"] == "2.00"
    assert r.json["ratio"] == f"{Decimal(r.json['uncertainty']) / 5:.3g}" and r.json["flags"] == []
    # the repeatability item, once entered, feeds the budgets of the weighing points already entered
    r = enter(point="repeatability 15000 g", indications=[15000, 15010, 15000])
    assert r.status_code == 200 and r.json["budget"] is None
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    p5 = next(p for p in body["points"] if p["point"] == "5000 g")["result"]
    rep = next(i for i in p5["budget"]["inputs"] if i["name"] == "dIrep")
    assert rep["u"] == pytest.approx(stats.tstd([15000, 15010, 15000])) and rep["dof"] == 2
    assert p5["flags"] == ["U/MPE = " + p5["ratio"] + " exceeds 1/3"] and Decimal(p5["ratio"]) > Decimal(1) / 3
    # the page: a table per point with sources and an SVG bar per contribution; the flag at the bench
    login(client, "technician")
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'id="budget-summary"' in page and "W-F1-9 5 kg" in page and "<svg class=\"bar\"" in page
    assert 'data-flag-point="5000 g"' in page and "exceeds 1/3" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.split('id="test-points"')[1])  # no inline script
    # the typed U is refused; an expired standard is an error naming it
    assert "computed from the record" in enter(point="200 g", indication=200, uncertainty=1).json["errors"][
        "uncertainty"][0]


def test_an_expired_weight_set_is_named_in_the_points_budget_error(app, api, world):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    bench, sid = budget_bench(app, world)
    job = world.jobs["market_a"]
    _move(api, job, "receive")
    assert _move(api, job, "start", bench_id=bench).status_code == 200
    with app.app_context():  # the certificate lapses while the job is on the bench
        s = db.session.get(ReferenceStandard, sid)
        s.calibrated_on, s.due_on = dt.date.today() - dt.timedelta(days=400), dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "200 g", "indication": 200})
    assert r.status_code == 200 and "standard W-F1-9 (certificate NIM-2026-W-9) is not calibrated on" in \
        r.json["budget_error"] and r.json["flags"] and r.json["uncertainty"] is None
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "30000 g", "indication": 30000})
    assert r.json["flags"]


def test_justification_is_for_the_lab_manager_and_audited(app, api, world):
    bench, _sid = budget_bench(app, world, values=[])
    job = world.jobs["market_a"]
    _move(api, job, "receive")
    _move(api, job, "start", bench_id=bench)
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "200 g", "indication": 200})
    assert "no calibrated value for 200 g in standard W-F1-9" in r.json["budget_error"]
    url = f"/api/v1/jobs/{job}/results/justification"
    assert api("post", url, role="technician", json={"point": "200 g", "justification": "x"}).status_code == 403
    r = api("post", url, role="lab_manager", json={"point": "5000 g", "justification": "x"})
    assert r.status_code == 422 and "point" in r.json["errors"]
    r = api("post", url, role="lab_manager", json={"point": "200 g", "justification": "  "})
    assert r.status_code == 422 and "justification" in r.json["errors"]
    r = api("post", url, role="lab_manager", json={"point": "200 g", "justification": "weights sent for calibration"})
    assert r.status_code == 200 and r.json["justified_by_id"] == world.users["lab_manager"]
    audit = api("get", "/api/v1/audit-events", role="admin", query_string={"entity": "PointResult"}).json
    assert "weights sent for calibration" in str(audit), audit


def test_demo_scale_measured_at_the_bench_has_budgets_from_the_weights_certificates(tmp_path):
    """`make demo`: the scale measured point by point shows, per weighing point, U from the weights' certificates
    (W-M1-01) and the stored readings of its session, with U/MPE within 1/3."""
    from sqlalchemy import select

    from lims.demo import ensure_demo
    from lims.extensions import db
    from lims.modules.jobs.models import Job
    from lims.modules.procedures.operations import judged
    from tests.lims.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'demo.db'}", KEY_DIR=str(tmp_path / "keys"))
    with app.app_context():
        ensure_demo(app)
        jobs = db.session.execute(select(Job).where(Job.state == "awaiting_approval")).scalars().all()
        job = next(j for j in jobs if judged(j)[1])
        plan, results, overall, *_ = judged(job)
        weighing = [pt for pt in plan.points if pt.test == "error"]
        assert overall == "pass" and len(weighing) == 9  # 5 loads up, 4 down
        for pt in weighing:
            r = results[pt.id]
            src = {i["name"]: i["source"] for i in r.budget["inputs"]}
            assert "W-M1-01" in src["mref"] and "NIM-2026-W-0311" in src["mref"], src
            assert f"(mean of session {r.session_id} readings)" in src["IL"], src
            assert r.uncertainty and Decimal(r.ratio) <= Decimal(1) / 3 and not r.budget_error
        job_id = job.id
        db.session.remove()
        db.engine.dispose()
    from tests.lims.test_pages_support import login, text_of

    client = app.test_client()
    login(client, "manager", "manager-demo-2026", lang="zh")
    page = text_of(client.get(f"/jobs/{job_id}"))
    assert 'id="budget-summary"' in page and "W-M1-01" in page and page.count('<svg class="bar"') >= 9 * 6


# --- calibration certificates: U, k, p per point; conformity only on request, with the rule named ---------

from tests.lims.test_issuance_support import keyed_app  # noqa: E402,F401 (fixture)


def _calibration_job(app, api, world):
    bench, _sid = budget_bench(app, world)
    job = api("post", "/api/v1/jobs", role="technician",
              json={"instrument_id": world.instruments["market_a_1"], "kind": "calibration"}).json["id"]
    assert _move(api, job, "receive").status_code == 200
    assert _move(api, job, "start", bench_id=bench).status_code == 200
    for point, ind, dl in (("200 g", 200, 5), ("5000 g", 5000, 5), ("15000 g", 15000, 2), ("20000 g", 20000, 5),
                           ("30000 g", 30010, 5)):
        r = api("post", f"/api/v1/jobs/{job}/results", role="technician",
                json={"point": point, "indication": ind, "flash_delta": dl, "zero_error": 0})
        assert r.status_code == 200 and r.json["uncertainty"], r.json
    assert _move(api, job, "submit", result="pass").status_code == 200
    assert _move(api, job, "approve", role="lab_manager").status_code == 200
    return job


def _record(app, cert_id):
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate

    with app.app_context():
        c = db.session.get(Certificate, cert_id)
        return c.record, bytes(c.dcc_xml)


def test_calibration_certificate_states_u_k_p_and_no_conformity_unless_asked(keyed_app, api, world):  # noqa: F811
    from certificates.dcc import validate_dcc

    job = _calibration_job(keyed_app, api, world)
    cert = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={})
    assert cert.status_code == 201, cert.json
    record, xml = _record(keyed_app, cert.json["id"])
    assert record["kind"] == "calibration" and record["conformity"] is None and record["decision_rule"] is None
    lines = {r["item_en"]: r for r in record["results"]}
    line = lines["Error of indication (weighing) 30000 g"]
    assert (line["measured"], line["error"], line["k"], line["coverage_probability"]) == ("30010", "9.994", "2.00",
                                                                                          "0.9545")
    assert line.get("conformity") is None and line.get("mpe") is None and line["uncertainty"]
    validate_dcc(xml)  # xmlschema, DCC 3.3.0
    assert b"<si:valueExpandedMU>" + line["uncertainty"].encode() in xml and b"<si:coverageFactor>2.00<" in xml
    assert b"<si:coverageProbability>0.9545<" in xml


def test_calibration_with_guarded_acceptance_prints_the_guard_band(keyed_app, api, world):  # noqa: F811
    from certificates.dcc import validate_dcc

    job = _calibration_job(keyed_app, api, world)
    cert = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager",
               json={"statement_of_conformity": True, "decision_rule": "guarded", "guard_factor": 1})
    assert cert.status_code == 201, cert.json
    record, xml = _record(keyed_app, cert.json["id"])
    lines = {r["item_en"]: r for r in record["results"]}
    top = lines["Error of indication (weighing) 30000 g"]
    # 30000 g: E = 30010 + 5 − 5 − 30000.006 (20 kg + 10 kg) = 9.994 g, MPE 15 g; w = U → pass only if |E| ≤ 15 − U
    u = Decimal(top["uncertainty"])
    assert top["conformity"] == ("pass" if Decimal("9.994") <= 15 - u else "fail") and top["mpe"] == "15"
    assert "ILAC-G8:09/2019 4.2.2" in record["decision_rule"] and f"30000 g: w = {top['uncertainty']} g" in \
        record["decision_rule"] and f"±{15 - u} g" in record["decision_rule"]
    assert record["conformity"] == ("fail" if any(x["conformity"] == "fail" for x in record["results"]) else "pass")
    validate_dcc(xml)
    assert b"4.2.2" in xml and b"basic_conformity" in xml
    r = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={"decision_rule": "loose"})
    assert r.status_code == 422 and "decision_rule" in r.json["errors"]


def test_aneroid_hysteresis_enters_the_budget_and_the_larger_error_is_judged(app, api, world):
    """JJG 270: rising 151, falling 153 mmHg at 150 mmHg; the reference manometer P-9 is calibrated at 100 and
    200 mmHg (interpolated); dp_hyst is rectangular with half-width |153 − 151|/2 = 1 mmHg."""
    from lims.extensions import db
    from lims.modules.equipment import operations as eq

    today = dt.date.today()
    with app.app_context():
        s = eq.create_standard({"code": "P-9", "name": "pressure calibrator", "kind": "pressure",
                                "certificate_number": "NIM-P-9", "certificate_issuer": "NIM",
                                "calibrated_on": today - dt.timedelta(days=10),
                                "due_on": today + dt.timedelta(days=300),
                                "values": [row("100 mmHg", 100.0, 0.2, unit="mmHg"),
                                           row("200 mmHg", 200.0, 0.2, unit="mmHg")]})
        bench = eq.create_bench({"name": "bench pressure", "standard_ids": [s.id]}).id
        db.session.commit()
    inst = api("post", "/api/v1/instruments", role="equipment_officer", json={
        "type_code": "sphygmomanometer.aneroid", "manufacturer": "ACME", "model": "A", "serial_number": "A-1",
        "characteristics": {"range_min": 0, "range_max": 300, "resolution": 2}})
    assert inst.status_code == 201, inst.json
    job = api("post", "/api/v1/jobs", role="technician", json={"instrument_id": inst.json["id"]}).json["id"]
    _move(api, job, "receive")
    _move(api, job, "start", bench_id=bench)
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician",
            json={"point": "150 mmHg", "indication": 151, "indication_falling": 153})
    assert r.status_code == 200, r.json
    assert (r.json["error"], r.json["indication_falling"], r.json["verdict"]) == ("3", "153", "pass")
    hyst = next(i for i in r.json["budget"]["inputs"] if i["name"] == "dp_hyst")
    assert hyst["u"] == pytest.approx(1 / math.sqrt(3)) and "falling 153" in hyst["source"]
    # u_c² = (2/√12)² + (1/√3)² + 0.1² = 0.3333 + 0.3333 + 0.01 (resolution 2 mmHg, hysteresis, reference U/k)
    assert r.json["budget"]["u"] == pytest.approx(math.sqrt(4 / 12 + 1 / 3 + 0.01))
    nibp = world.jobs["hospital_a"]
    _move(api, nibp, "receive")
    _move(api, nibp, "start", bench_id=bench)
    r = api("post", f"/api/v1/jobs/{nibp}/results", role="technician",
            json={"point": "150 mmHg", "indication": 151, "indication_falling": 153})
    assert r.status_code == 422 and "does not measure hysteresis" in r.json["errors"]["indication_falling"][0]


def test_register_takes_calibration_values_with_certificate_date_resolution_and_bath_rows(api):
    body = {"code": "T-BATH", "name": "calibration bath", "kind": "other", "certificate_number": "NIM-B",
            "certificate_issuer": "NIM", "calibrated_on": "2026-06-01", "due_on": "2027-06-01",
            "values": [{"nominal": "37 °C", "value": 37.0, "U": 0, "unit": "°C", "stability": 0.01,
                        "uniformity": 0.008, "certificate": "NIM-B-2", "date": "2026-06-02", "resolution": 0.001}]}
    r = api("post", "/api/v1/standards", role="lab_manager", json=body)
    assert r.status_code == 201, r.json
    assert r.json["values"][0]["stability"] == 0.01 and r.json["values"][0]["certificate"] == "NIM-B-2"
    bad = {**body, "code": "T-X", "values": [{**body["values"][0], "date": "June"}]}
    r = api("post", "/api/v1/standards", role="lab_manager", json=bad)
    assert r.status_code == 422 and "values" in r.json["errors"]


def test_thermometer_point_budget_from_reference_and_bath_in_the_register(app, api, world):
    """37 °C: reference T-REF (37.003 °C, U 0.012, k 2) and bath BATH-1 (±0.01 stability, ±0.008 uniformity at
    37 °C); Monte Carlo as the procedure asks; the 35 °C point outside the bath's rows uses the nearest (37 °C)."""
    from lims.extensions import db
    from lims.modules.equipment import operations as eq

    today = dt.date.today()
    common = {"certificate_issuer": "NIM", "calibrated_on": today - dt.timedelta(days=10),
              "due_on": today + dt.timedelta(days=300)}
    with app.app_context():
        ref = eq.create_standard({**common, "code": "T-REF", "name": "PRT", "kind": "thermometer",
                                  "certificate_number": "NIM-T", "values": [
                                      row("37 °C", 37.003, 0.012, unit="°C"), row("35 °C", 35.001, 0.012, unit="°C")]})
        bath = eq.create_standard({**common, "code": "BATH-1", "name": "bath", "kind": "other",
                                   "certificate_number": "NIM-BATH", "values": [
                                       {**row("37 °C", 37.0, 0, unit="°C"), "stability": 0.01, "uniformity": 0.008}]})
        bench = eq.create_bench({"name": "bench thermo", "standard_ids": [ref.id, bath.id]}).id
        db.session.commit()
    inst = api("post", "/api/v1/instruments", role="equipment_officer", json={
        "type_code": "thermometer.clinical_electronic", "manufacturer": "ACME", "model": "T", "serial_number": "T-1",
        "characteristics": {"range_min": 32, "range_max": 42.9, "resolution": 0.1}})
    job = api("post", "/api/v1/jobs", role="technician", json={"instrument_id": inst.json["id"]}).json["id"]
    _move(api, job, "receive")
    _move(api, job, "start", bench_id=bench)
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "37 °C", "indication": "37.0"})
    assert r.status_code == 200, r.json
    b = r.json["budget"]
    assert b["method"] == "mcm" and b["mcm"]["trials"] == 100000 and r.json["reference"] == "37.003"
    src = {i["name"]: i["source"] for i in b["inputs"]}
    assert "BATH-1 (NIM-BATH): characterised at 37 °C" in src["dt_stab"] and "T-REF 37 °C (NIM-T" in src["t_ref"]
    uc = math.sqrt(0.05**2 / 3 + 0.006**2 + 0.01**2 / 3 + 0.008**2 / 3)
    assert b["u"] == pytest.approx(uc)
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "35 °C", "indication": "35.1"})
    assert r.json["mpe"] == "0.2" and "characterised at 37 °C" in str(r.json["budget"]["inputs"])
