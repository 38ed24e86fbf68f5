"""Out-of-tolerance recall end to end: two weight sets, certificates using each, one found out of tolerance."""
import datetime as dt

from tests.lims.test_issuance_support import keyed_app  # noqa: F401 (fixture)

VALUES = [{"nominal": n, "value": v, "U": u, "k": 2, "unit": "g"} for n, v, u in (
    ("20 kg", 20000.0, 0.1), ("10 kg", 10000.0, 0.05), ("200 g", 200.0, 0.001))]


def _standard_and_bench(app, code):
    from lims.extensions import db
    from lims.modules.equipment import operations as eq

    today = dt.date.today()
    with app.app_context():
        s = eq.create_standard({"code": code, "name": f"F1 weights {code}", "kind": "weight_set",
                                "accuracy_class": "F1", "certificate_number": f"NIM-{code}",
                                "certificate_issuer": "NIM",
                                "calibrated_on": today - dt.timedelta(days=30),
                                "due_on": today + dt.timedelta(days=300),
                                "values": VALUES})
        b = eq.create_bench({"name": f"bench {code}", "standard_ids": [s.id]})
        db.session.commit()
        return s.id, b.id


def _move(api, job_id, action, role="technician", **extra):
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    r = api("post", f"/api/v1/jobs/{job_id}/transitions", role=role, json={"version": version, "action": action,
                                                                           **extra})
    assert r.status_code == 200, r.json
    return r


def _certificate(api, job, bench, points):
    """Measure ``points`` (flash-point, ΔL = e/2 so P = I), submit fail (200 g fails), approve, issue."""
    _move(api, job, "receive")
    _move(api, job, "start", bench_id=bench)
    for point, ind in points:
        r = api("post", f"/api/v1/jobs/{job}/results", role="technician",
                json={"point": point, "indication": ind, "flash_delta": 5, "zero_error": 0})
        assert r.status_code == 200 and not r.json["flags"], r.json
    _move(api, job, "submit", result="fail")
    _move(api, job, "approve", role="lab_manager")
    cert = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={})
    assert cert.status_code == 201, cert.json
    return cert.json


def test_a_standard_found_out_of_tolerance_recalls_exactly_its_certificates(keyed_app, api, world):  # noqa: F811
    app = keyed_app
    wa, bench_a = _standard_and_bench(app, "W-A")
    _wb, bench_b = _standard_and_bench(app, "W-B")
    # market_a's scale on W-A: 30000 g reads 30014 (E = 14 g, MPE 15 g: pass); 200 g reads 210 (fail)
    cert_a = _certificate(api, world.jobs["market_a"], bench_a, [("30000 g", 30014), ("200 g", 210)])
    # market_b's scale on W-B: the same readings, other weights
    cert_b = _certificate(api, world.jobs["market_b"], bench_b, [("30000 g", 30014), ("200 g", 210)])
    # recalibration finds W-A's 20 kg weight 2 g light: the 30000 g loads were 29998 g, E' = 30014 − 29998 = 16 g
    r = api("post", f"/api/v1/standards/{wa}/incidents", role="lab_manager", json={
        "kind": "out_of_tolerance", "found_on": dt.date.today().isoformat(),
        "corrections": [{"nominal": "20 kg", "value": 19998.0, "unit": "g"}], "notes": "recalibrated at NIM"})
    assert r.status_code == 201, r.json
    items = r.json["items"]
    assert [i["certificate_number"] for i in items] == [cert_a["number"]]  # exactly the W-A certificate
    item = items[0]
    assert item["may_change"] is True and item["standard_code"] == "W-A"
    by_point = {p["point"]: p for p in item["points"]}
    assert set(by_point) == {"30000 g", "200 g"}  # both points were measured with W-A
    low = by_point["200 g"]  # its 200 g weight was not corrected: unchanged, still fails
    assert (low["error"], low["error_new"], low["verdict_new"], low["may_change"]) == ("10", "10", "fail", False)
    p = by_point["30000 g"]
    assert (p["reference"], p["reference_new"], p["error"], p["error_new"]) == ("30000", "29998", "14", "16")
    assert (p["verdict"], p["verdict_new"], p["may_change"]) == ("pass", "fail", True)
    # the customers: market_a sees its notice and letter, market_b sees nothing
    mine = api("get", "/api/v1/recalls", role="market_manager").json
    assert [i["certificate_number"] for i in mine] == [cert_a["number"]]
    assert api("get", "/api/v1/recalls", role="market_manager_b").json == []
    letter = api("get", f"/api/v1/recalls/{item['id']}/letter", role="market_manager")
    assert letter.status_code == 200 and cert_a["number"] in letter.get_data(as_text=True)
    assert "W-A" in letter.get_data(as_text=True) and "16" in letter.get_data(as_text=True)
    assert api("get", f"/api/v1/recalls/{item['id']}/letter", role="market_manager_b").status_code == 404
    # the lab manager decides: revoke (a reason is required), audited; a second decision is refused
    url = f"/api/v1/recalls/{item['id']}/decision"
    assert api("post", url, role="technician", json={"decision": "keep"}).status_code == 403
    r = api("post", url, role="lab_manager", json={"decision": "revoke"})
    assert r.status_code == 422 and "note" in r.json["errors"]
    r = api("post", url, role="lab_manager", json={"decision": "revoke", "note": "30000 g fails with W-A corrected"})
    assert r.status_code == 200 and r.json["decision"] == "revoke"
    assert api("post", url, role="lab_manager", json={"decision": "keep"}).status_code == 409
    cert = api("get", f"/api/v1/certificates/{cert_a['id']}", role="lab_manager").json
    assert "W-A" in str(cert) and "revoked" in str(cert).lower()
    audit = api("get", "/api/v1/audit-events", role="admin", query_string={"entity": "RecallItem"}).json
    assert "revoke" in str(audit)
    assert api("get", f"/api/v1/certificates/{cert_b['id']}", role="lab_manager").json.get("revoked_dt") is None


def test_recall_page_records_an_incident_and_shows_customers_their_notice(keyed_app, api, world):  # noqa: F811
    from tests.lims.test_pages_support import csrf_of, login, text_of

    app = keyed_app
    wa, bench_a = _standard_and_bench(app, "W-A")
    cert_a = _certificate(api, world.jobs["market_a"], bench_a, [("30000 g", 30014), ("200 g", 210)])
    manager = login(app.test_client(), "lab_manager", lang="zh")
    page = text_of(manager.get("/recalls"))
    assert 'id="incident-form"' in page and "W-A" in page
    data = {"csrf_token": csrf_of(page), "standard_id": wa, "kind": "out_of_tolerance",
            "found_on": dt.date.today().isoformat(), "corrections": "20 kg 19998.0 g", "notes": ""}
    r = manager.post("/recalls/incidents", data={**data, "corrections": "20 kg 19998.0"})
    assert r.status_code == 422 and "第 1 行" in text_of(r)  # a bad line is named beside the field (zh page)
    r = manager.post("/recalls/incidents", data=data)
    assert r.status_code == 302, text_of(r)
    page = text_of(manager.get("/recalls"))
    assert cert_a["number"] in page and 'data-may-change="yes"' in page and "14 → 16 g" in page
    customer = login(app.test_client(), "market_manager")
    page = text_of(customer.get("/recalls"))
    assert cert_a["number"] in page and "Download" in page and 'id="incident-form"' not in page
    other = login(app.test_client(), "market_manager_b")
    assert cert_a["number"] not in text_of(other.get("/recalls"))
    own = {**data, "csrf_token": csrf_of(page)}
    assert customer.post("/recalls/incidents", data=own).status_code == 403
