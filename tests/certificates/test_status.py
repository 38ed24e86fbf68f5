"""Check-page verdicts: tampered, wrong key, unknown kid, unknown, revoked, replaced, failed, expired, valid."""
import dataclasses
import datetime as dt

import pytest

from certificates import signing
from certificates.data import AmendmentType
from certificates.status import StoredStatus, check_online

TODAY = dt.date(2027, 1, 1)


@pytest.fixture
def database():
    """A stand-in for lims's certificate table: (number, revision) → StoredStatus."""
    return {}


def _check(url, keys, database, today=TODAY):
    return check_online(url, keys, lambda number, rev: database.get((number, rev)), today)


def test_valid_then_expired(dummy_verification, create_url, dummy_jwks, database):
    database[("JD2026-000123", 0)] = StoredStatus()
    url = create_url(dummy_verification)
    ok = _check(url.lower(), dummy_jwks, database)
    assert ok.state == "valid" and ok.is_valid and ok.valid_until == dt.date(2027, 11, 19)
    assert "有效期至 2027-11-19" in ok.message_zh and "valid until 2027-11-19" in ok.message_en
    expired = _check(url, dummy_jwks, database, dt.date(2027, 11, 20))
    assert expired.state == "expired" and not expired.is_valid


def test_revoked_and_replaced(dummy_verification, create_url, dummy_jwks, database):
    url_old = create_url(dummy_verification)
    new = dataclasses.replace(dummy_verification, number="JD2026-000200", revision=1, replaces="JD2026-000123",
                              amendment=AmendmentType.SUBSTITUTED, amendment_reason="出厂编号录入错误")
    url_new = create_url(new)
    database[("JD2026-000123", 0)] = StoredStatus(replaced_by="JD2026-000200")
    database[("JD2026-000200", 1)] = StoredStatus()
    old = _check(url_old, dummy_jwks, database)
    assert old.state == "replaced" and "JD2026-000200" in old.message_zh and not old.is_valid
    assert _check(url_new, dummy_jwks, database).state == "valid"
    database[("JD2026-000200", 1)] = StoredStatus(revoked_reason="器具已报废")
    revoked = _check(url_new, dummy_jwks, database)
    assert revoked.state == "revoked" and "器具已报废" in revoked.message_zh and not revoked.is_valid


def test_failed_and_calibrated(dummy_notice, dummy_calibration, create_url, dummy_jwks, database):
    database[("JD2026-000124", 0)] = StoredStatus()
    database[("JZ2026-000077", 0)] = StoredStatus()
    assert _check(create_url(dummy_notice), dummy_jwks, database).state == "failed"
    cal = _check(create_url(dummy_calibration), dummy_jwks, database)
    assert cal.state == "calibrated" and cal.valid_until is None


def test_not_genuine_wins_over_database(dummy_verification, create_url, dummy_jwks, database):
    database[("JD2026-000123", 0)] = StoredStatus()
    url = create_url(dummy_verification)
    i = len(url) - 30
    tampered = url[:i] + ("B" if url[i] == "A" else "A") + url[i + 1:]
    other = signing.generate_unsaved_key()
    impostor = signing.SigningKey(kid=next(iter(signing.keys_from_jwks(dummy_jwks))), private_key=other.private_key)
    cases = {"tampered": tampered, "unknown kid": create_url(dummy_verification, other),
             "wrong key": create_url(dummy_verification, impostor), "garbage": "HTTPS://X/V/!!"}
    for name, bad in cases.items():
        result = _check(bad, dummy_jwks, database)
        assert result.state == "not_genuine" and result.record is None and not result.is_valid, name
        assert result.message_en.startswith("Not a genuine certificate")


def test_genuine_but_not_on_record(dummy_verification, create_url, dummy_jwks, database):
    result = _check(create_url(dummy_verification), dummy_jwks, database)
    assert result.state == "unknown" and not result.is_valid
