"""Issue 11 items 5 and 7: revocation reaches the register, no sticker for a dead certificate, numbers by counter."""
import datetime as dt

from tests.lims.test_issuance_support import issue, keyed_app  # noqa: F401 (fixture)


def _instrument(api, world, key="market_a_0"):
    return api("get", f"/api/v1/instruments/{world.instruments[key]}", role="lab_manager").json


def test_revoking_the_current_certificate_changes_the_register_at_once(keyed_app, api, world):  # noqa: F811
    cert = issue(api, world, "market_a")
    assert _instrument(api, world)["status"] == "verified"
    r = api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "wrong weights"})
    assert r.status_code == 200
    inst = _instrument(api, world)
    assert inst["status"] != "verified" and inst["verified_until"] is None and inst["last_result"] is None
    listed = api("get", "/api/v1/instruments?status=verified&per_page=100", role="lab_manager").json["items"]
    assert world.instruments["market_a_0"] not in [i["id"] for i in listed]


def test_revoking_a_replaced_chain_keeps_the_replacement_deciding(keyed_app, api, world):  # noqa: F811
    cert = issue(api, world, "market_a")
    new = api("post", f"/api/v1/certificates/{cert['id']}/replace", role="lab_manager",
              json={"reason": "typo", "location": "east gate"}).json
    r = api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "old copy"})
    assert r.status_code == 200
    inst = _instrument(api, world)
    assert inst["status"] == "verified" and inst["verified_until"] == new["due_date"]


def test_no_sticker_for_a_revoked_or_replaced_certificate(keyed_app, api, world):  # noqa: F811
    a = issue(api, world, "market_a")
    b = issue(api, world, "hospital_a")
    api("post", f"/api/v1/certificates/{a['id']}/revoke", role="lab_manager", json={"reason": "wrong"})
    c = api("post", f"/api/v1/certificates/{b['id']}/replace", role="lab_manager",
            json={"reason": "typo", "location": "ward 3"}).json
    for ids in (str(a["id"]), str(b["id"]), f"{c['id']},{a['id']}"):
        r = api("get", f"/api/v1/certificates/stickers?ids={ids}", role="lab_manager")
        assert r.status_code == 409 and "revoked or replaced" in r.json["message"], ids
    assert api("get", f"/api/v1/certificates/stickers?ids={c['id']}", role="lab_manager").status_code == 200


def test_the_sticker_page_refuses_a_revoked_certificate_with_a_message(keyed_app, api, world, app):  # noqa: F811
    from tests.lims.test_pages_support import login

    a = issue(api, world, "market_a")
    api("post", f"/api/v1/certificates/{a['id']}/revoke", role="lab_manager", json={"reason": "wrong"})
    client = app.test_client()
    login(client, "lab_manager", lang="zh")
    r = client.get(f"/certificates/stickers?ids={a['id']}")
    assert r.status_code == 422 and "已撤销或已被替代的证书不能打印检定标记" in r.get_data(as_text=True)


def test_numbers_come_from_the_counter_and_continue_after_a_replacement(keyed_app, api, world):  # noqa: F811
    year = dt.date.today().year
    a = issue(api, world, "market_a")
    b = issue(api, world, "hospital_a")
    assert (a["number"], b["number"]) == (f"JD-{year}-000001", f"JD-{year}-000002")
    c = api("post", f"/api/v1/certificates/{a['id']}/replace", role="lab_manager",
            json={"reason": "typo", "location": "x"}).json
    assert c["number"] == f"JD-{year}-000003"
    with keyed_app.app_context():
        from lims.extensions import db
        from lims.modules.issuance.models import CertificateCounter

        assert db.session.get(CertificateCounter, ("JD", year)).last == 3


def test_a_job_has_one_current_certificate_by_constraint(keyed_app, api, world):  # noqa: F811
    import pytest
    import sqlalchemy as sa

    cert = issue(api, world, "market_a")
    with keyed_app.app_context():
        from lims.extensions import db

        cols = ("number, kind, job_id, instrument_id, revision, record, content_hash, pdf, pdf_sha256, dcc_xml, "
                "dcc_sha256, token, url, key_id, issued_dt, issued_by_id, performed_on, version")
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text(f"INSERT INTO certificates ({cols}) SELECT 'X-1', kind, job_id, instrument_id, "
                                       "revision, record, content_hash, pdf, pdf_sha256, dcc_xml, dcc_sha256, token, "
                                       "url, key_id, issued_dt, issued_by_id, performed_on, version FROM certificates "
                                       "WHERE id = :id"), {"id": cert["id"]})
        db.session.rollback()
