"""The job's plan and judged results over the API: errors, verdicts, rules, submission, certificates."""
import subprocess

import pytest

from tests.lims.test_issuance_support import keyed_app  # noqa: F401 (fixture)

SCALE_POINTS = ["200 g", "5000 g", "15000 g", "20000 g", "30000 g"]
DOWN = ["20000 g decreasing", "15000 g decreasing", "5000 g decreasing", "200 g decreasing"]
EXTRA = {"repeatability 15000 g": [15000, 15010, 15005], "eccentricity 10000 g": [10000, 10010, 9990, 10005]}
# the limit items of a price-computing scale, each with a value within its limits
ITEMS = {"zero-setting": 0, "tare": "2.5", "discrimination": 10, "price computing": "-0.01"}


def enter_extra(api, job):
    """The unloading points (at their nominal), the repeatability and eccentricity tests, the limit items."""
    for point in DOWN:
        r = api("post", f"/api/v1/jobs/{job}/results", role="technician",
                json={"point": point, "indication": point.split()[0]})
        assert r.status_code == 200 and r.json["verdict"] == "pass", r.json
    for point, values in EXTRA.items():
        r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": point, "indications": values})
        assert r.status_code == 200 and r.json["verdict"] == "pass", r.json
    for point, value in ITEMS.items():
        r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": point, "indication": value})
        assert r.status_code == 200 and r.json["verdict"] == "pass", r.json


def _move(api, job_id, action, role="technician", **extra):
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    return api("post", f"/api/v1/jobs/{job_id}/transitions", role=role,
               json={"version": version, "action": action, **extra})


def start(api, world, key="market_a"):
    job = world.jobs[key]
    assert _move(api, job, "receive").status_code == 200
    assert _move(api, job, "start", bench_id=world.benches["good"]).status_code == 200
    return job


def enter(api, job, role="technician", **body):
    return api("post", f"/api/v1/jobs/{job}/results", role=role, json=body)


def test_plan_of_a_30_kg_scale_subsequent_verification(api, world):
    body = api("get", f"/api/v1/jobs/{world.jobs['market_a']}/procedure", role="technician").json
    assert body["procedure_id"] == "jjg539-2016" and body["verification_kind"] == "subsequent"
    assert [(p["point"], p["nominal"], p["unit"], p["mpe"], p["test"], p["count"]) for p in body["points"]
            if p["test"] != "limit" and "decreasing" not in p["point"]] == [
        ("200 g", "200", "g", "5", "error", 1), ("5000 g", "5000", "g", "5", "error", 1),
        ("15000 g", "15000", "g", "10", "error", 1), ("20000 g", "20000", "g", "10", "error", 1),
        ("30000 g", "30000", "g", "15", "error", 1),
        ("repeatability 15000 g", "15000", "g", "10", "repeatability", 3),
        ("eccentricity 10000 g", "10000", "g", "10", "eccentricity", 4)]
    assert [(p["point"], p["mpe"]) for p in body["points"] if "decreasing" in p["point"]] == [
        ("20000 g decreasing", "10"), ("15000 g decreasing", "10"), ("5000 g decreasing", "5"),
        ("200 g decreasing", "5")]
    # the limit items with their clauses (zero-setting and tare ±0.25 e, discrimination ≥ 1 e, price ±0.01 元)
    assert [(p["point"], p["unit"], p["note"].split(" (")[0]) for p in body["points"] if p["test"] == "limit"] == [
        ("zero-setting", "g", "-2.5 … 2.5 g"), ("tare", "g", "-2.5 … 2.5 g"), ("discrimination", "g", "10 … +∞ g"),
        ("price computing", "元", "-0.01 … 0.01 元")]
    assert body["overall"] is None and body["missing"] == SCALE_POINTS + DOWN + list(EXTRA) + list(ITEMS)
    assert body["e"] == "10"
    assert all(p["result"] is None for p in body["points"])


def test_in_service_job_doubles_the_mpe(api, world):
    inst = world.instruments["market_a_1"]
    job = api("post", "/api/v1/jobs", role="technician",
              json={"instrument_id": inst, "verification_kind": "in_service"}).json["id"]
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    assert [p["mpe"] for p in body["points"] if p["test"] != "limit"] == ["10", "10", "20", "20", "30",
                                                                          "20", "20", "10", "10", "20", "20"]
    assert all(p["unconfirmed"] for p in body["points"] if p["test"] != "limit") and body["unconfirmed"]


def test_flash_point_example_with_zero_error_passes(api, world):
    """REFERENCE.md 1.1 in a job of a 15 kg × 5 g scale: I = L = 1000 g, ΔL = 2.0 g, E0 = 0.2 g → Ec = 0.3 g."""
    inst = api("post", "/api/v1/instruments", role="market_manager", json={
        "type_code": "scale.digital", "manufacturer": "ACME", "model": "S15", "serial_number": "S15-1",
        "characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}})
    assert inst.status_code == 201, inst.json
    job = api("post", "/api/v1/jobs", role="technician", json={"instrument_id": inst.json["id"]}).json["id"]
    assert _move(api, job, "receive").status_code == 200
    assert _move(api, job, "start", bench_id=world.benches["good"]).status_code == 200
    plan = api("get", f"/api/v1/jobs/{job}/procedure").json
    up = [p for p in plan["points"] if p["test"] == "error" and "decreasing" not in p["point"]]
    assert [(p["point"], p["mpe"]) for p in up] == [
        ("100 g", "2.5"), ("2500 g", "2.5"), ("7500 g", "5"), ("10000 g", "5"), ("15000 g", "7.5")]
    # the example's 1000 g load is not a planned point; judge it at 2500 g (also ±2.5 g) with L = 1000 g given
    r = enter(api, job, point="2500 g", indication=1000, reference=1000, flash_delta=2.0, zero_error=0.2)
    assert r.status_code == 200, r.json
    assert (r.json["error"], r.json["corrected_error"], r.json["mpe"], r.json["verdict"]) == ("0.5", "0.3", "2.5",
                                                                                          "pass")
    assert r.json["rule"] == "simple" and "ILAC-G8" in r.json["rule_name"] and r.json["ratio"] is None
    r = enter(api, job, point="2500 g", indication=2505, flash_delta=0.5)  # E = 2505 + 2.5 − 0.5 − 2500 = 7
    assert (r.json["error"], r.json["verdict"]) == ("7", "fail")


def test_errors_verdicts_and_overall(api, world):
    job = start(api, world)
    r = enter(api, job, point="30000 g", indication=30015)
    assert r.status_code == 200 and (r.json["error"], r.json["verdict"]) == ("15", "pass")  # |E| = MPE passes
    r = enter(api, job, point="15000 g", indication="14989.5")
    assert (r.json["error"], r.json["verdict"]) == ("-10.5", "fail")
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    assert body["overall"] == "fail" and body["failing"] == ["15000 g"]
    assert body["missing"] == ["200 g", "5000 g", "20000 g"] + DOWN + list(EXTRA) + list(ITEMS)
    for point, ind in (("200 g", 200), ("5000 g", 5005), ("20000 g", 19990), ("15000 g", 15010)):
        assert enter(api, job, point=point, indication=ind).json["verdict"] == "pass"
    enter_extra(api, job)
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    assert body["overall"] == "pass" and body["failing"] == body["missing"] == []
    assert body["points"][2]["result"]["indication"] == "15010" and body["points"][2]["result"]["version"] == 2


def test_a_typed_uncertainty_is_refused_where_the_procedure_computes_it(api, world):
    job = start(api, world)
    r = enter(api, job, point="30000 g", indication=30003, uncertainty=3, k=2)
    assert r.status_code == 422 and "computed from the record" in r.json["errors"]["uncertainty"][0]
    assert enter(api, job, point="30000 g", indication=30003, k=2).json["errors"] == {"k": ["only with an uncertainty"]}


def test_nibp_points_are_judged_in_mmhg(api, world):
    job = start(api, world, "hospital_a")
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    assert [p["point"] for p in body["points"] if p["test"] == "error"] == ["0 mmHg", "50 mmHg", "100 mmHg",
                                                                            "150 mmHg", "200 mmHg",
                                                    "250 mmHg"]
    assert {p["mpe"] for p in body["points"] if p["test"] == "error"} == {"4"}
    assert body["procedure_id"] == "jjg692-2010"
    assert enter(api, job, point="150 mmHg", indication=154).json["verdict"] == "pass"
    assert enter(api, job, point="150 mmHg", indication=145.5).json["verdict"] == "fail"
    r = enter(api, job, point="150 mmHg", indication=150, flash_delta=1)
    assert r.status_code == 422 and "flash_delta" in r.json["errors"]


@pytest.mark.parametrize("body, field", [
    ({"point": "12345 g", "indication": 1}, "point"),
    ({"point": "200 g"}, "indication"),
    ({"point": "200 g", "indication": 200, "session_id": 1, "sequences": [1]}, "indication"),
    ({"point": "200 g", "indication": "abc"}, "indication"),
    ({"point": "200 g", "indication": 200, "flash_delta": 11}, "flash_delta"),
    ({"point": "200 g", "indication": 200, "flash_delta": -1}, "flash_delta"),
    ({"point": "200 g", "indication": 200, "uncertainty": -1}, "uncertainty"),
    ({"point": "200 g", "indication": 200, "bogus": 1}, "bogus"),
    ({"point": "200 g", "session_id": 999, "sequences": [1]}, "session_id"),
    ({"point": "200 g", "sequences": [1]}, "session_id"),
    ({"indication": 1}, "point"),
])
def test_bad_input_is_422_naming_the_field(api, world, body, field):
    job = start(api, world)
    r = enter(api, job, **body)
    assert r.status_code == 422 and field in r.json["errors"], r.json


def test_indication_from_stored_readings(api, world, app):
    import datetime as dt

    from lims.core.db import now_utc
    from lims.extensions import db
    from lims.modules.measurements.models import MeasurementSession, Reading

    job = start(api, world)
    with app.app_context():
        s = MeasurementSession(job_id=job, bench_id=world.benches["good"], driver="mtsics", port="sim://mtsics",
                               count=3, test_point="5000 g", started_by_id=world.users["technician"])
        db.session.add(s)
        db.session.flush()
        for seq, value in ((1, 5001.0), (2, 5002.0), (3, 5004.0)):
            db.session.add(Reading(session_id=s.id, sequence=seq, raw=b"S S", value=value, unit="g", is_stable=True,
                                   test_point="5000 g", instrument_dt=now_utc() - dt.timedelta(seconds=5)))
        db.session.commit()
        sid = s.id
    r = enter(api, job, point="5000 g", session_id=sid, sequences=[1, 2, 3])
    assert r.status_code == 200, r.json
    assert (r.json["indication"], r.json["error"], r.json["verdict"]) == ("5002.33", "2.33", "pass")
    assert r.json["session_id"] == sid and r.json["sequences"] == [1, 2, 3]
    r = enter(api, job, point="200 g", session_id=sid, sequences=[1])
    assert r.status_code == 422 and "test point" in r.json["errors"]["sequences"][0]
    r = enter(api, job, point="5000 g", session_id=sid, sequences=[7])
    assert r.status_code == 422 and "no reading 7" in r.json["errors"]["sequences"][0]


@pytest.mark.parametrize("role, own, read, write", [
    ("admin", True, 200, 200), ("lab_manager", True, 200, 200), ("technician", True, 200, 200),
    ("market_manager", True, 200, 403), ("market_manager_b", False, 403, 403),
    ("equipment_officer", False, 403, 403), ("anonymous", False, 401, 401),
])
def test_authorisation(api, world, role, own, read, write):
    job = start(api, world)
    assert enter(api, job, point="200 g", indication=200).status_code == 200
    r = api("get", f"/api/v1/jobs/{job}/procedure", role=role)
    assert r.status_code == read
    if read == 200:
        assert r.json["points"][0]["result"]["verdict"] == "pass"
    assert enter(api, job, role=role, point="200 g", indication=201).status_code == write


def test_results_only_while_in_progress_and_history_is_audited(api, world):
    job = world.jobs["market_a"]
    r = enter(api, job, point="200 g", indication=200)
    assert r.status_code == 409 and "in progress" in r.json["message"]
    start(api, world)
    enter(api, job, point="200 g", indication=200)
    enter(api, job, point="200 g", indication=207)
    events = api("get", "/api/v1/audit-events?entity=PointResult&per_page=100", role="admin").json["items"]
    values = [e["changes"]["indication"] for e in events if "indication" in e["changes"]]
    assert [None, "200"] in values and ["200", "207"] in values
    for point in SCALE_POINTS:
        enter(api, job, point=point, indication=point.split()[0])
    enter_extra(api, job)
    assert _move(api, job, "submit", result="fail").status_code == 409
    assert _move(api, job, "submit", result="pass").status_code == 200
    r = enter(api, job, point="200 g", indication=200)
    assert r.status_code == 409


def test_no_procedure_is_409_and_unknown_job_404(api, world):
    t = api("post", "/api/v1/instrument-types", role="admin", json={
        "code": "other.gauge", "category": "other", "name_zh": "量规", "name_en": "Gauge", "regulation": "JJF 0000"})
    assert t.status_code == 201, t.json
    inst = api("post", "/api/v1/instruments", role="market_manager", json={
        "type_code": "other.gauge", "manufacturer": "ACME", "model": "G", "serial_number": "G-1"}).json["id"]
    job = api("post", "/api/v1/jobs", role="technician", json={"instrument_id": inst}).json["id"]
    r = api("get", f"/api/v1/jobs/{job}/procedure")
    assert r.status_code == 409 and "no verification procedure" in r.json["message"]
    cal = api("post", "/api/v1/jobs", role="technician",  # a calibration uses the type's test points and budgets
              json={"instrument_id": world.instruments["market_a_1"], "kind": "calibration"}).json["id"]
    assert api("get", f"/api/v1/jobs/{cal}/procedure").json["procedure_id"] == "jjg539-2016"
    assert api("get", "/api/v1/jobs/999999/procedure").status_code == 404
    assert enter(api, 999999, point="200 g", indication=1).status_code == 404


def test_submit_must_match_the_judged_result(api, world):
    job = start(api, world)
    enter(api, job, point="200 g", indication=200)
    r = _move(api, job, "submit", result="pass")
    assert r.status_code == 409 and "not measured yet: 5000 g, 15000 g, 20000 g, 30000 g, 20000 g decreasing" \
        in r.json["message"]
    enter(api, job, point="20000 g", indication=20020)
    r = _move(api, job, "submit", result="pass")
    assert r.status_code == 409 and "20000 g" in r.json["message"] and "fail" in r.json["message"]
    assert _move(api, job, "submit", result="fail").status_code == 200  # a failing point: the rest need not be measured


def test_jobs_without_results_cannot_pass(api, world):
    job = start(api, world)
    r = _move(api, job, "submit", result="pass")
    assert r.status_code == 409 and "not measured yet" in r.json["message"]


def _pdf_text(pdf, tmp_path):
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True, timeout=60).stdout


# calibration values of the fixture's weight set W-1 (F1; conventional mass = nominal, so the errors below stay the
# plain I − nominal), enough to build every load of a 30 kg scale
W1_VALUES = [{"nominal": n, "value": v, "U": u, "k": 2, "unit": "g"} for n, v, u in (
    ("20 kg", 20000, 0.1), ("10 kg", 10000, 0.05), ("5 kg", 5000, 0.025), ("200 g", 200, 0.001))]


def calibrate_w1(app, world):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    with app.app_context():
        std = db.session.get(ReferenceStandard, world.standards["good"])
        std.values, std.accuracy_class = W1_VALUES, "F1"
        db.session.commit()


def test_certificate_shows_the_judged_points(keyed_app, api, world, tmp_path):  # noqa: F811
    import shutil

    calibrate_w1(keyed_app, world)
    job = start(api, world)
    for point, ind in (("200 g", 200), ("5000 g", 5005), ("15000 g", 14990), ("20000 g", 20000),
                       ("30000 g", 30015)):
        enter(api, job, point=point, indication=ind)
    enter_extra(api, job)
    # notes with R: lines are ignored once points are judged
    notes = "R: item=x; measured=1; unit=g; result=pass"
    assert _move(api, job, "submit", result="pass", notes=notes).status_code == 200
    # read without the flash-point method (d = 10 g rounding at load and at zero) and with a 10 g spread, U is
    # larger than MPE/3 at every weighing point (JJF 1094): approval waits for the lab manager's justification
    flagged = [p["point"] for p in api("get", f"/api/v1/jobs/{job}/procedure").json["points"]
               if p["result"]["flags"]]
    assert flagged == SCALE_POINTS + DOWN
    assert _move(api, job, "approve", role="lab_manager").status_code == 409
    for point in flagged:
        r = api("post", f"/api/v1/jobs/{job}/results/justification", role="lab_manager",
                json={"point": point, "justification": "market scale, indication read without the flash-point method"})
        assert r.status_code == 200, r.json
    assert _move(api, job, "approve", role="lab_manager").status_code == 200
    cert = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={})
    assert cert.status_code == 201, cert.json
    with keyed_app.app_context():
        from lims.extensions import db
        from lims.modules.issuance.models import Certificate

        record = db.session.get(Certificate, cert.json["id"]).record
    assert [(r["item_en"], r["nominal"], r["measured"], r.get("error"), r["mpe"], r["conformity"])
            for r in record["results"][:11]] == [
        ("Error of indication (weighing) 200 g", "200", "200", "0", "5", "pass"),
        ("Error of indication (weighing) 5000 g", "5000", "5005", "5", "5", "pass"),
        ("Error of indication (weighing) 15000 g", "15000", "14990", "-10", "10", "pass"),
        ("Error of indication (weighing) 20000 g", "20000", "20000", "0", "10", "pass"),
        ("Error of indication (weighing) 30000 g", "30000", "30015", "15", "15", "pass"),
        ("Error of indication (weighing) 20000 g (decreasing)", "20000", "20000", "0", "10", "pass"),
        ("Error of indication (weighing) 15000 g (decreasing)", "15000", "15000", "0", "10", "pass"),
        ("Error of indication (weighing) 5000 g (decreasing)", "5000", "5000", "0", "5", "pass"),
        ("Error of indication (weighing) 200 g (decreasing)", "200", "200", "0", "5", "pass"),
        ("Repeatability (spread) 15000 g", "15000", "10", None, "10", "pass"),
        ("Eccentric load error 10000 g", "10000", "10010", "10", "10", "pass")]
    items = [(r["item_en"], r["measured"], r.get("mpe"), r.get("mpe_lower"), r["unit"], r["conformity"])
             for r in record["results"][11:]]
    assert items == [("Zero-setting accuracy", "0", "2.5", "2.5", "g", "pass"),
                     ("Tare-setting accuracy", "2.5", "2.5", "2.5", "g", "pass"),
                     ("Discrimination (change of indication after adding 1.4 d)", "10", None, None, "g", "pass"),
                     ("Price computing (amount - unit price x mass)", "-0.01", "0.01", "0.01", "元", "pass")]
    assert "JJG 539-2016" in record["decision_rule"] and "ILAC-G8" in record["decision_rule"]
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = api("get", f"/api/v1/certificates/{cert.json['id']}/pdf", role="lab_manager").data
    text = _pdf_text(pdf, tmp_path)
    assert "30015" in text and "14990" in text and "称量示值误差 15000 g" in text


def test_failed_points_give_a_notice_listing_them(keyed_app, api, world):  # noqa: F811
    job = start(api, world, "hospital_a")
    r = enter(api, job, point="100 mmHg", indication=106)
    assert "no reference standard on the bench" in r.json["budget_error"]
    assert _move(api, job, "submit", result="fail").status_code == 200
    r = _move(api, job, "approve", role="lab_manager")  # the point has no budget: the manager must justify it
    assert r.status_code == 409 and "100 mmHg" in r.json["message"] and "justification" in r.json["message"]
    r = api("post", f"/api/v1/jobs/{job}/results/justification", role="lab_manager",
            json={"point": "100 mmHg", "justification": "fails by 2 mmHg beyond any plausible U"})
    assert r.status_code == 200 and r.json["justification"].startswith("fails by")
    assert _move(api, job, "approve", role="lab_manager").status_code == 200
    cert = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={})
    assert cert.status_code == 201, cert.json
    with keyed_app.app_context():
        from lims.extensions import db
        from lims.modules.issuance.models import Certificate

        record = db.session.get(Certificate, cert.json["id"]).record
    assert record["kind"] == "verification_notice"
    assert [(r["item"], r["measured"], r["error"], r["mpe"], r["unit"], r["conformity"]) for r in record["results"]] \
        == [("静态压力示值误差 100 mmHg", "106", "6", "4", "mmHg", "fail")]


def test_repeatability_and_eccentricity(api, world):
    job = start(api, world)
    r = enter(api, job, point="repeatability 15000 g", indications=[15000, 15009, 14999])
    assert (r.json["error"], r.json["indication"], r.json["indications"], r.json["verdict"]) == (
        "10", "15002.7", ["15000", "15009", "14999"], "pass")  # spread 10 g = |MPE| passes
    r = enter(api, job, point="repeatability 15000 g", indications=[15000, 15011, 15000])
    assert (r.json["error"], r.json["verdict"]) == ("11", "fail")
    r = enter(api, job, point="repeatability 15000 g", indications=[15011, 15011, 15011])  # spread 0, error 11
    assert (r.json["error"], r.json["verdict"]) == ("0", "fail")
    r = enter(api, job, point="eccentricity 10000 g", indications=[10000, 9990, 10004, 10010])
    assert (r.json["indication"], r.json["error"], r.json["verdict"]) == ("9990", "-10", "pass")
    r = enter(api, job, point="eccentricity 10000 g", indications=[10000, 10011, 10004, 10010])
    assert (r.json["error"], r.json["verdict"]) == ("11", "fail")
    for body, field in (({"indications": [1, 2]}, "indications"), ({"indication": 10000}, "indication"),
                        ({"indications": [1, 2, 3, 4], "flash_delta": 1}, "flash_delta")):
        r = enter(api, job, point="eccentricity 10000 g", **body)
        assert r.status_code == 422 and field in r.json["errors"], r.json
    r = enter(api, job, point="200 g", indications=[200, 200])
    assert r.status_code == 422 and "indications" in r.json["errors"]


def test_reference_defaults_to_a_bench_standards_calibrated_value(api, world, app):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    with app.app_context():
        std = db.session.get(ReferenceStandard, world.standards["good"])
        std.values = [{"nominal": "5 kg", "value": 5000.12, "U": 0.08, "k": 2, "unit": "g"},
                      {"nominal": "200 g", "value": 0.19998, "U": 0.00001, "k": 2, "unit": "kg"}]
        db.session.commit()
    job = start(api, world)
    points = {p["point"]: p for p in api("get", f"/api/v1/jobs/{job}/procedure").json["points"]}
    assert (points["5000 g"]["reference"], points["5000 g"]["reference_source"]) == ("5000.12", "W-1")
    assert (points["200 g"]["reference"], points["200 g"]["reference_source"]) == ("199.98", "W-1")
    assert (points["30000 g"]["reference"], points["30000 g"]["reference_source"]) == ("30000", "nominal")
    r = enter(api, job, point="5000 g", indication=5000)
    assert (r.json["reference"], r.json["error"]) == ("5000.12", "-0.12")
    r = enter(api, job, point="5000 g", indication=5000, reference=5000)  # an explicit value wins
    assert (r.json["reference"], r.json["error"]) == ("5000", "0")
