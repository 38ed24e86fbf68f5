"""Issuing through the API: the stored PDF's QR verifies offline and online; DCC; hashes; audit."""
import datetime as dt

import pytest

from tests.lims.test_issuance_support import (  # noqa: F401
    approve_job,
    check_page,
    decode_qr,
    issue,
    keyed_app,
    pdf_to_png,
    token_of,
    verdict_of,
)


def test_issue_pdf_qr_verifies_offline_against_published_keys_and_online(keyed_app, api, client, world, tmp_path):
    from certificates.signing import verify_token

    cert = issue(api, world)
    assert cert["number"].startswith(f"JD-{dt.date.today().year}-") and cert["kind"] == "verification"
    assert cert["status"] == "valid" and cert["revision"] == 0 and cert["result"] == "pass"
    pdf = api("get", f"/api/v1/certificates/{cert['id']}/pdf", role="market_manager")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    texts = decode_qr(pdf_to_png(pdf.data, tmp_path))
    assert texts == [cert["url"]] and texts[0].startswith("HTTPS://LIMS.EXAMPLE.ORG/V/")
    jwks = client.get("/.well-known/lims-keys.json").get_json()
    assert [k["kid"] for k in jwks["keys"]] == [cert["key_id"]]
    verified = verify_token(texts[0].rsplit("/", 1)[1], jwks)
    assert verified.record.certificate_id == cert["number"]
    assert verified.record.due_date.isoformat() == cert["due_date"]
    token = token_of(cert)
    for spelled in (token, token.lower()):
        html = check_page(client, spelled)
        assert verdict_of(html) == "valid"
        assert "有效期至" in html and f"valid until {cert['due_date']}" in html
        assert "lab_manager" in html and "lab org" in html and "market_a-0" in html


def test_dcc_from_the_api_validates_against_schema_3_3_0(keyed_app, api, world):
    from certificates.dcc import validate_dcc

    cert = issue(api, world)
    r = api("get", f"/api/v1/certificates/{cert['id']}/dcc", role="technician")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    validate_dcc(r.data)
    assert cert["number"].encode() in r.data


def test_failed_verification_gives_a_notice_listing_failed_items_without_due_date(keyed_app, api, client, world):
    notes = "R: item=称量 10 kg; item_en=Weighing; nominal=10.000; measured=10.030; mpe=0.010; unit=kg; result=fail"
    cert = issue(api, world, result="fail", notes=notes)
    assert cert["kind"] == "failure_notice" and cert["due_date"] is None and cert["status"] == "failed"
    assert cert["number"].startswith("JD-")
    html = check_page(client, token_of(cert))
    assert verdict_of(html) == "failed" and "不合格" in html


def test_expired_certificate_shows_expired(keyed_app, api, client, world):
    cert = issue(api, world, performed_on=dt.date.today() - dt.timedelta(days=800), app=keyed_app)
    assert dt.date.fromisoformat(cert["due_date"]) < dt.date.today() and cert["status"] == "expired"
    html = check_page(client, token_of(cert))
    assert verdict_of(html) == "expired" and "已过有效期" in html


def test_revoke_needs_a_reason_and_the_check_page_shows_it(keyed_app, api, client, world):
    cert = issue(api, world)
    url = f"/api/v1/certificates/{cert['id']}/revoke"
    r = api("post", url, role="lab_manager", json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = api("post", url, role="lab_manager", json={"reason": "   "})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = api("post", url, role="lab_manager", json={"reason": "砝码证书有误 wrong weights certificate"})
    assert r.status_code == 200 and r.get_json()["status"] == "revoked"
    assert api("post", url, role="lab_manager", json={"reason": "again"}).status_code == 409
    html = check_page(client, token_of(cert))
    assert verdict_of(html) == "revoked" and "砝码证书有误 wrong weights certificate" in html
    assert "有效期至 Valid until" not in html and "原有效期至 Originally valid until" in html
    assert f"撤销日期 Revoked on</dt><dd>{dt.datetime.now(dt.UTC).date().isoformat()}" in html


def test_replace_issues_revision_1_and_old_shows_replaced_by_new_number(keyed_app, api, client, world):
    old = issue(api, world)
    r = api("post", f"/api/v1/certificates/{old['id']}/replace", role="lab_manager",
            json={"reason": "客户名称更正 customer name corrected", "remarks": ["更正版 corrected edition"]})
    assert r.status_code == 201, r.get_json()
    new = r.get_json()
    assert new["revision"] == 1 and new["replaces_id"] == old["id"] and new["replaces_number"] == old["number"]
    assert new["number"] != old["number"] and new["status"] == "valid"
    again = api("get", f"/api/v1/certificates/{old['id']}", role="lab_manager").get_json()
    assert again["status"] == "replaced" and again["replaced_by_number"] == new["number"]
    html = check_page(client, token_of(old))
    assert verdict_of(html) == "replaced" and new["number"] in html and "替代日期 Replaced on" in html
    assert "有效期至 Valid until" not in html and "原有效期至 Originally valid until" in html
    assert f'href="/V/{token_of(new)}"' in html
    assert verdict_of(check_page(client, token_of(new))) == "valid"
    r = api("post", f"/api/v1/certificates/{old['id']}/replace", role="lab_manager", json={"reason": "twice"})
    assert r.status_code == 409


def test_issue_refuses_unapproved_jobs_second_issue_and_missing_key(app, keyed_app, api, world):
    job_id = world.jobs["market_b"]
    assert api("post", f"/api/v1/jobs/{job_id}/certificate", role="lab_manager", json={}).status_code == 409
    cert = issue(api, world)
    r = api("post", f"/api/v1/jobs/{cert['job_id']}/certificate", role="lab_manager", json={})
    assert r.status_code == 409 and cert["number"] in r.get_json()["message"]
    assert api("post", "/api/v1/jobs/999999/certificate", role="lab_manager", json={}).status_code == 404
    app.config["KEY_DIR"] = app.config["KEY_DIR"] + "-missing"
    job2 = approve_job(api, world, "hospital_a")
    r = api("post", f"/api/v1/jobs/{job2}/certificate", role="lab_manager", json={})
    assert r.status_code == 409 and "lims keys create" in r.get_json()["message"]


def test_bad_result_lines_are_422_naming_the_field(keyed_app, api, world):
    job_id = approve_job(api, world)
    body = {"results": [{"item": "a", "item_en": "a", "measured": "1.0", "unit": "furlong"}]}
    r = api("post", f"/api/v1/jobs/{job_id}/certificate", role="lab_manager", json=body)
    assert r.status_code == 422 and "results[0].unit" in r.get_json()["errors"]
    body = {"results": [{"item": "a", "item_en": "a", "measured": "1.0", "unit": "kg", "bogus": 1}]}
    r = api("post", f"/api/v1/jobs/{job_id}/certificate", role="lab_manager", json=body)
    assert r.status_code == 422


def test_calibration_needs_uncertainty_and_has_no_due_date_unless_agreed(keyed_app, api, world):
    from lims.extensions import db
    from lims.modules.jobs.models import Job

    with keyed_app.app_context():
        job = db.session.get(Job, world.jobs["hospital_a"])
        job.kind = "calibration"
        db.session.commit()
    job_id = approve_job(api, world, "hospital_a")
    url = f"/api/v1/jobs/{job_id}/certificate"
    r = api("post", url, role="lab_manager", json={})
    assert r.status_code == 422 and any(k.startswith("results") for k in r.get_json()["errors"])
    line = {"item": "示值 100 mmHg", "item_en": "Indication", "nominal": "100", "measured": "101", "unit": "mmHg",
            "uncertainty": "0.8", "k": "2", "coverage_probability": "0.95"}
    r = api("post", url, role="lab_manager", json={"results": [line]})
    assert r.status_code == 201, r.get_json()
    cert = r.get_json()
    assert cert["kind"] == "calibration" and cert["number"].startswith("JZ-")
    assert cert["due_date"] is None and cert["result"] is None and cert["status"] == "valid"


def test_list_filters_by_status_and_instrument_and_customers_see_their_own(keyed_app, api, world):
    a = issue(api, world, "market_a")
    b = issue(api, world, "market_b", result="fail",
              notes="R: item=偏载; item_en=Eccentricity; measured=0.03; mpe=0.01; unit=kg; result=fail")
    ids = lambda r: [c["id"] for c in r.get_json()["items"]]  # noqa: E731
    assert ids(api("get", "/api/v1/certificates", role="technician")) == [a["id"], b["id"]]
    assert ids(api("get", "/api/v1/certificates?status=failed")) == [b["id"]]
    assert ids(api("get", "/api/v1/certificates?status=valid")) == [a["id"]]
    assert ids(api("get", f"/api/v1/certificates?instrument_id={a['instrument_id']}")) == [a["id"]]
    assert ids(api("get", "/api/v1/certificates", role="market_manager")) == [a["id"]]
    assert ids(api("get", "/api/v1/certificates", role="equipment_officer")) == []
    assert api("get", "/api/v1/certificates?status=bogus").status_code == 422


def test_sticker_sheet_contains_each_certificates_qr(keyed_app, api, world, tmp_path):
    a = issue(api, world, "market_a")
    b = issue(api, world, "hospital_a")
    r = api("get", f"/api/v1/certificates/stickers?ids={a['id']},{b['id']}", role="lab_manager")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert sorted(decode_qr(pdf_to_png(r.data, tmp_path, dpi=300))) == sorted([a["url"], b["url"]])
    assert api("get", "/api/v1/certificates/stickers?ids=1,x").status_code == 422
    assert api("get", f"/api/v1/certificates/stickers?ids={a['id']},999999").status_code == 404


@pytest.mark.parametrize("action", ["issue", "revoke", "replace"])
def test_audit_events_exist_for_issue_revoke_replace(keyed_app, api, world, action):
    cert = issue(api, world)
    if action == "revoke":
        api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "error"})
    elif action == "replace":
        api("post", f"/api/v1/certificates/{cert['id']}/replace", role="lab_manager", json={"reason": "typo"})
    with keyed_app.app_context():
        from sqlalchemy import select

        from lims.core.audit import AuditEvent
        from lims.extensions import db

        events = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "Certificate")
                                    .order_by(AuditEvent.id)).scalars().all()
    lm = world.users["lab_manager"]
    assert events[0].action == "create" and events[0].actor_id == lm
    assert events[0].changes["number"] == [None, cert["number"]] and "pdf" not in events[0].changes
    if action == "revoke":
        assert events[-1].action == "update" and events[-1].changes["revocation_reason"] == [None, "error"]
    if action == "replace":
        # the old one stops being current (replaced_dt) before the new one is stored: one current per job
        assert [e.action for e in events] == ["create", "update", "create", "update"]
        assert "replaced_dt" in events[1].changes
        assert events[-1].changes["replaced_by_id"] == [None, cert["id"] + 1]


def test_text_the_certificate_font_cannot_draw_is_422_not_500(keyed_app, api, world):
    job_id = approve_job(api, world)
    body = {"results": [{"item": "称量 \U0001F600", "item_en": "Weighing", "measured": "1.0", "unit": "kg",
                         "conformity": "pass"}]}
    r = api("post", f"/api/v1/jobs/{job_id}/certificate", role="lab_manager", json=body)
    assert r.status_code == 422, r.get_json()
    (field, messages), = r.get_json()["errors"].items()
    assert "results" in field or "item" in field, field
    assert "\U0001F600" in messages[0] or "1F600" in messages[0].upper()


def test_outsider_walkthrough_with_the_documented_verifier(keyed_app, api, client, world, tmp_path):
    """As a third party: QR from the rendered PDF, keys from the URL docs/qr-format.md names, the doc's verifier."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "qr-format.md").read_text(encoding="utf-8")
    namespace = {}
    exec(re.search(r"<!-- reference-verifier.*?```python\n(.*?)```", doc, re.S).group(1), namespace)
    keyed_app.config["PUBLIC_HOST"] = "127.0.0.1:5000"  # the demo's setting
    cert = issue(api, world)
    pdf = api("get", f"/api/v1/certificates/{cert['id']}/pdf", role="lab_manager").data
    [url] = decode_qr(pdf_to_png(pdf, tmp_path, dpi=150))
    base = url.split("/V/")[0].lower()
    assert base == "http://127.0.0.1:5000"  # the demo serves HTTP, so the QR must say so
    jwks = client.get(base + "/.well-known/lims-keys.json").get_json()
    state, record = namespace["verify"](url, jwks, dt.date.today())
    assert state == "valid" and record[1] == cert["number"] and record[5].isoformat() == cert["due_date"]
    html = client.get(url.split(base.upper(), 1)[1]).get_data(as_text=True)
    assert verdict_of(html) == "valid" and f"有效期至 {cert['due_date']}" in html
    assert f"valid until {cert['due_date']}" in html
