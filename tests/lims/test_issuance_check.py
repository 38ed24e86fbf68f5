"""The public check page and the published keys: forged tokens never look valid; stored bytes never change."""
import base64
import datetime as dt

import pytest
import sqlalchemy as sa

from tests.lims.test_issuance_support import check_page, drop_db_guard, issue, keyed_app, token_of, verdict_of  # noqa: F401


def _flip(token, index):
    raw = bytearray(base64.b32decode(token + "=" * (-len(token) % 8)))
    raw[index] ^= 0x01
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def test_tampered_token_is_not_genuine(keyed_app, api, client, world):
    token = token_of(issue(api, world))
    for index in (20, -10, -1):
        html = check_page(client, _flip(token, index))
        assert verdict_of(html) == "not_genuine" and "NOT GENUINE" in html and "伪造/无效" in html
        assert "valid until" not in html


@pytest.mark.parametrize("garbage", ["A", "0189", "AAAAAAAA", "%E4%BC%AA", "A" * 1700, "A" * 5000, "A" * 100_000])
def test_garbage_tokens_are_not_genuine_404_never_an_error(keyed_app, client, garbage):
    r = client.get(f"/v/{garbage}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and verdict_of(html) == "not_genuine" and "NOT GENUINE" in html
    r = client.get(f"/V/{garbage}", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["status"] == "not_genuine" and r.get_json()["genuine"] is False


def _record_for(app, number):
    with app.app_context():
        from lims.extensions import db
        from lims.modules.issuance.models import Certificate

        cert = db.session.execute(sa.select(Certificate).where(Certificate.number == number)).scalar_one()
        return dict(cert.record)


def test_other_key_and_unknown_kid_are_not_genuine(keyed_app, api, client, world):
    """Sign the very same record with a key the lab never published: NOT GENUINE."""
    from certificates.data import from_dict
    from certificates.signing import encode_token, generate_unsaved_key, sign_record
    from certificates.token import record_for

    cert = issue(api, world)
    data = from_dict(_record_for(keyed_app, cert["number"]))
    forged = encode_token(sign_record(record_for(data), generate_unsaved_key()))
    html = check_page(client, forged)
    assert verdict_of(html) == "not_genuine" and "unknown key id" in html
    # a forger who copies the lab's key id into the header still fails the signature check
    import cbor2

    real = cbor2.loads(base64.b32decode(token_of(cert) + "=" * (-len(token_of(cert)) % 8)))
    other = cbor2.loads(base64.b32decode(forged + "=" * (-len(forged) % 8)))
    spliced = cbor2.dumps(cbor2.CBORTag(18, [real.value[0], {}, other.value[2], other.value[3]]))
    html = check_page(client, base64.b32encode(spliced).decode().rstrip("="))
    assert verdict_of(html) == "not_genuine" and "signature does not match" in html


def test_genuine_signature_but_not_in_database_is_said_honestly(keyed_app, api, client, world):
    from dataclasses import replace

    from certificates.data import from_dict
    from certificates.signing import encode_token, sign_record
    from certificates.token import record_for

    cert = issue(api, world)
    data = replace(from_dict(_record_for(keyed_app, cert["number"])), number="JD-1999-000001")
    with keyed_app.app_context():
        from lims.modules.issuance import keys

        token = encode_token(sign_record(record_for(data), keys.signing_key()))
    html = check_page(client, token)
    assert verdict_of(html) == "unknown" and "JD-1999-000001" in html and "no such certificate" in html


def test_rotation_keeps_old_certificates_verifiable(keyed_app, api, client, world):
    cert = issue(api, world)
    with keyed_app.app_context():
        from lims.modules.issuance import keys

        new_kid = keys.rotate_key()
    jwks = client.get("/.well-known/lims-keys.json").get_json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, cert["key_id"]]
    assert verdict_of(check_page(client, token_of(cert))) == "valid"
    second = issue(api, world, "hospital_a")
    assert second["key_id"] == new_kid


def test_keys_endpoint_without_keys_is_an_empty_set(app, client, tmp_path):
    app.config["KEY_DIR"] = str(tmp_path / "none")
    r = client.get("/.well-known/lims-keys.json")
    assert r.status_code == 200 and r.get_json() == {"keys": []}


def test_content_pdf_and_hash_cannot_be_changed_through_the_orm(keyed_app, api, world):
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate, ImmutableCertificate

    cert = issue(api, world)
    with keyed_app.app_context():
        for field, value in (("pdf", b"%PDF-forged"), ("pdf_sha256", "0" * 64), ("token", "AAAA"),
                             ("due_date", dt.date(2099, 1, 1)), ("record", {"number": "x"})):
            row = db.session.get(Certificate, cert["id"])
            setattr(row, field, value)
            with pytest.raises(ImmutableCertificate, match=field):
                db.session.flush()
            db.session.rollback()
        row = db.session.get(Certificate, cert["id"])
        db.session.delete(row)
        with pytest.raises(ImmutableCertificate, match="revoke"):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("column", ["pdf", "pdf_sha256", "record", "due_date"])
def test_the_database_itself_refuses_content_updates_and_deletes(keyed_app, api, world, column):
    from lims.extensions import db

    cert = issue(api, world)
    value = {"pdf": b"%PDF-x", "pdf_sha256": "0" * 64, "record": "{}", "due_date": dt.date(2099, 1, 1)}[column]
    with keyed_app.app_context():
        for sql, params in ((f"UPDATE certificates SET {column} = :v WHERE id = :i", {"v": value, "i": cert["id"]}),
                            ("DELETE FROM certificates WHERE id = :i", {"i": cert["id"]})):
            with pytest.raises(sa.exc.DBAPIError, match="immutable"):
                db.session.execute(sa.text(sql), params)
            db.session.rollback()
        db.session.execute(sa.text("UPDATE certificates SET revocation_reason = 'r', revoked_dt = :t WHERE id = :i"),
                           {"t": dt.datetime.now(dt.UTC), "i": cert["id"]})
        db.session.commit()


@pytest.mark.parametrize("column", ["pdf", "dcc_xml"])
def test_a_changed_byte_behind_the_orms_back_is_detected_by_rehashing(keyed_app, api, world, column):
    from lims.extensions import db
    from lims.modules.issuance.operations import integrity_report

    cert = issue(api, world)
    with keyed_app.app_context():
        stored = bytearray(db.session.execute(sa.text(f"SELECT {column} FROM certificates WHERE id = :i"),
                                              {"i": cert["id"]}).scalar_one())
        assert integrity_report() == {}
        drop_db_guard(db)
        stored[len(stored) // 2] ^= 0x20
        db.session.execute(sa.text(f"UPDATE certificates SET {column} = :b WHERE id = :i"),
                           {"b": bytes(stored), "i": cert["id"]})
        db.session.commit()
        report = integrity_report()
    assert list(report) == [cert["number"]] and "does not match the SHA-256" in report[cert["number"]][0]
    path = "pdf" if column == "pdf" else "dcc"
    r = api("get", f"/api/v1/certificates/{cert['id']}/{path}", role="lab_manager")
    assert r.status_code == 409 and "integrity" in r.get_json()["message"]


def test_a_changed_record_is_detected_by_rehashing(keyed_app, api, world):
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate
    from lims.modules.issuance.operations import integrity_report

    cert = issue(api, world)
    with keyed_app.app_context():
        record = dict(db.session.get(Certificate, cert["id"]).record)
        record["location"] = record["location"] + "x"
        drop_db_guard(db)
        db.session.execute(sa.update(Certificate.__table__).where(Certificate.__table__.c.id == cert["id"])
                           .values(record=record))
        db.session.commit()
        assert "record: content does not match" in integrity_report()[cert["number"]][0]


def test_no_mutation_of_a_genuine_token_is_ever_shown_as_genuine(keyed_app, api, client, world):
    """Property: flipping any bits of any byte of a real token gives NOT GENUINE (hypothesis)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    token = token_of(issue(api, world))
    raw = base64.b32decode(token + "=" * (-len(token) % 8))

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(index=st.integers(0, len(raw) - 1), mask=st.integers(1, 255), lower=st.booleans())
    def check(index, mask, lower):
        mutated = bytearray(raw)
        mutated[index] ^= mask
        text = base64.b32encode(bytes(mutated)).decode().rstrip("=")
        html = check_page(client, text.lower() if lower else text)
        assert verdict_of(html) == "not_genuine"

    check()


@pytest.mark.parametrize("host, base", [
    ("127.0.0.1:5000", "HTTP://127.0.0.1:5000"),     # the demo: no TLS, so the QR must say HTTP to open
    ("localhost:8080", "HTTP://LOCALHOST:8080"),
    ("http://lims.test:8000", "HTTP://LIMS.TEST:8000"),
    ("lims.example.org", "HTTPS://LIMS.EXAMPLE.ORG"),
    ("127.0.0.1.example.org", "HTTPS://127.0.0.1.EXAMPLE.ORG"),
    ("https://lims.example.org", "HTTPS://LIMS.EXAMPLE.ORG"),
])
def test_qr_url_opens_on_the_configured_host(keyed_app, api, client, world, host, base):
    """A bare loopback PUBLIC_HOST gets http:// (the demo server); any other bare host HTTPS."""
    keyed_app.config["PUBLIC_HOST"] = host
    cert = issue(api, world)
    assert cert["url"].startswith(base + "/V/")
    r = client.get(cert["url"][len(base):])
    assert r.status_code == 200 and verdict_of(r.get_data(as_text=True)) == "valid"
