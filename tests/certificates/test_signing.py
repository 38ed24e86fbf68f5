"""Signed tokens: round trip, every kind of forgery, and the key directory."""
import base64
import datetime as dt
import json
import os
import stat

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates import signing
from certificates.signing import KeySetError, KeyStoreError, NotGenuine, verify_token
from certificates.token import ResultCode, TokenRecord, decode_record, encode_record, record_for


def test_round_trip(dummy_verification, create_token, dummy_jwks, dummy_key):
    text = create_token(dummy_verification)
    assert text == text.upper() and "=" not in text
    verified = verify_token(text, dummy_jwks)
    assert verified.kid == dummy_key.kid
    assert verified.record == TokenRecord("JD2026-000123", "INS-00042", ResultCode.PASS, dt.date(2026, 11, 20),
                                          dt.date(2027, 11, 19), "GDIM", 0)
    assert verify_token(text.lower(), dummy_jwks) == verified  # URLs may be lower-cased
    assert verify_token(signing.decode_token(text), dummy_jwks) == verified


def test_record_for_drops_due_date_where_not_allowed(dummy_notice, dummy_calibration):
    assert record_for(dummy_notice).result is ResultCode.FAIL
    assert record_for(dummy_notice).due_date is None
    cal = record_for(dummy_calibration)
    assert cal.result is ResultCode.CALIBRATED and cal.due_date is None
    assert 3 not in cbor2.loads(encode_record(cal))


def test_token_layout_is_cose_sign1(dummy_verification, create_token, dummy_key):
    """Structure as documented in docs/qr-format.md, checked with cbor2 only."""
    raw = signing.decode_token(create_token(dummy_verification))
    obj = cbor2.loads(raw)
    assert obj.tag == 18
    protected, unprotected, payload, signature = obj.value
    assert cbor2.loads(protected) == {1: -8, 4: bytes.fromhex(dummy_key.kid)}
    assert len(unprotected) == 0 and len(signature) == 64
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    dummy_key.private_key.public_key().verify(signature, sig_structure)  # raises if wrong
    m = cbor2.loads(payload)
    assert m[1] == "JD2026-000123" and m[4] == dt.date(2026, 11, 20) and m[7] == 0
    assert len(raw) < 150


def test_every_changed_byte_is_not_genuine(dummy_verification, create_token, dummy_jwks):
    """Flip each byte of the token in turn: none of the results may verify."""
    raw = bytearray(signing.decode_token(create_token(dummy_verification)))
    for i in range(len(raw)):
        for flip in (0x01, 0x80):
            forged = bytearray(raw)
            forged[i] ^= flip
            with pytest.raises(NotGenuine):
                verify_token(signing.encode_token(bytes(forged)), dummy_jwks)


def test_every_changed_character_is_not_genuine(dummy_verification, create_token, dummy_jwks):
    """Change each Base32 character (including the last one's unused bits)."""
    text = create_token(dummy_verification)
    for i, ch in enumerate(text):
        forged = text[:i] + ("B" if ch == "A" else "A") + text[i + 1:]
        with pytest.raises(NotGenuine):
            verify_token(forged, dummy_jwks)


def test_unicode_case_folding_is_not_a_second_spelling(dummy_verification, create_token, dummy_jwks):
    """'ſ'.upper() == 'S' and 'ı'.upper() == 'I': such look-alikes must not verify."""
    text = create_token(dummy_verification)
    i = next(i for i, c in enumerate(text) if c in "SI")
    forged = text[:i] + {"S": "ſ", "I": "ı"}[text[i]] + text[i + 1:]
    assert forged.upper() == text
    with pytest.raises(NotGenuine, match="alphabet"):
        verify_token(forged, dummy_jwks)


def test_wrong_key_and_unknown_kid(dummy_verification, create_token, dummy_jwks, dummy_key):
    other = signing.generate_unsaved_key()
    with pytest.raises(NotGenuine, match="unknown key id"):
        verify_token(create_token(dummy_verification, other), dummy_jwks)
    # a forger who knows our kid signs with his own key under it
    impostor = signing.SigningKey(kid=dummy_key.kid, private_key=other.private_key)
    with pytest.raises(NotGenuine, match="signature does not match"):
        verify_token(create_token(dummy_verification, impostor), dummy_jwks)


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("ABC=", "alphabet"), ("A1B", "alphabet"), ("Ä", "alphabet"), ("A" * 2000, "longer"),
    ("A", "Base32"), ("AAAAAAAA", "COSE_Sign1"), ("ſſſſſſſſ", "alphabet"),
])
def test_malformed_tokens(text, words, dummy_jwks):
    with pytest.raises(NotGenuine, match=words):
        verify_token(text, dummy_jwks)


def _sign_raw(key, protected_map, payload, tag=18, unprotected=None):
    protected = cbor2.dumps(protected_map, canonical=True)
    sig = key.private_key.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    return cbor2.dumps(cbor2.CBORTag(tag, [protected, unprotected or {}, payload, sig]))


def test_structural_variants_are_rejected(dummy_verification, dummy_key, dummy_jwks):
    """Validly signed but non-conforming structures are still not accepted."""
    payload = encode_record(record_for(dummy_verification))
    kid = bytes.fromhex(dummy_key.kid)
    assert verify_token(_sign_raw(dummy_key, {1: -8, 4: kid}, payload), dummy_jwks)
    cases = [
        (_sign_raw(dummy_key, {1: -7, 4: kid}, payload), "protected header"),
        (_sign_raw(dummy_key, {1: -8, 4: kid, 3: 0}, payload), "protected header"),
        (_sign_raw(dummy_key, {1: -8, 4: kid}, payload, tag=98), "COSE_Sign1"),
        (_sign_raw(dummy_key, {1: -8, 4: kid}, payload, unprotected={4: kid}), "malformed COSE_Sign1 body"),
        (_sign_raw(dummy_key, {1: -8, 4: kid}, cbor2.dumps({1: "X"})), "signed record is malformed"),
        (_sign_raw(dummy_key, {1: -8, 4: kid}, payload) + b"\x00", "canonical"),
    ]
    for raw, words in cases:
        with pytest.raises(NotGenuine, match=words):
            verify_token(raw, dummy_jwks)


def test_record_decoder_is_strict(dummy_verification):
    good = encode_record(record_for(dummy_verification))
    assert decode_record(good) == record_for(dummy_verification)
    m = cbor2.loads(good)
    for bad in ({**m, 9: 1}, {**m, 3: True}, {**m, 7: -1}, {k: v for k, v in m.items() if k != 6},
                {**m, 4: "2026-11-20"}, {**m, 3: None}):
        with pytest.raises(ValueError):
            decode_record(cbor2.dumps(bad, canonical=True))
    with pytest.raises(ValueError, match="deterministic"):
        decode_record(cbor2.dumps(m, canonical=False) if list(m) != sorted(m) else
                      cbor2.dumps(dict(sorted(m.items(), reverse=True))))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_only_gives_not_genuine(dummy_jwks, text):
    with pytest.raises(NotGenuine):
        verify_token(text, dummy_jwks)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_decode_token_gives_bytes_or_not_genuine(text):
    """decode_token never raises anything else, and what it accepts round-trips exactly."""
    try:
        raw = signing.decode_token(text)
    except NotGenuine:
        return
    assert signing.encode_token(raw) == text.upper()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_give_not_genuine(dummy_jwks, raw):
    with pytest.raises(NotGenuine):
        verify_token(signing.encode_token(raw) or "A", dummy_jwks)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.integers(min_value=0, max_value=200))
def test_random_splices_only_give_not_genuine(dummy_verification, create_token, dummy_jwks, junk, at):
    raw = signing.decode_token(create_token(dummy_verification))
    forged = raw[:at] + junk + raw[at + len(junk) // 2:]
    with pytest.raises(NotGenuine):
        verify_token(forged, dummy_jwks)


# --- key directory -------------------------------------------------------------------------------

def test_create_rotate_export(tmp_path, dummy_verification):
    keydir = tmp_path / "keys"
    kid1 = signing.create_key(keydir)
    assert stat.S_IMODE(os.stat(keydir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(keydir / f"{kid1}.key").st_mode) == 0o600
    with pytest.raises(KeyStoreError, match="rotate"):
        signing.create_key(keydir)
    old_token = signing.sign_record(record_for(dummy_verification), signing.load_signing_key(keydir))
    kid2 = signing.rotate(keydir)
    assert kid2 != kid1 and not (keydir / f"{kid1}.key").exists()
    assert signing.load_signing_key(keydir).kid == kid2
    doc = json.loads(json.dumps(signing.jwks(keydir)))
    assert [k["kid"] for k in doc["keys"]] == [kid2, kid1]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and len(k["x"]) == 43 for k in doc["keys"])
    assert verify_token(old_token, doc).kid == kid1  # old stickers still verify
    assert set(signing.public_keys(keydir)) == {kid1, kid2}


def test_unsafe_or_missing_keys(tmp_path):
    with pytest.raises(KeyStoreError, match="lims keys create"):
        signing.load_signing_key(tmp_path / "none")
    with pytest.raises(KeyStoreError, match="create first"):
        signing.rotate(tmp_path / "none")
    kid = signing.create_key(tmp_path / "k")
    os.chmod(tmp_path / "k" / f"{kid}.key", 0o644)
    with pytest.raises(KeyStoreError, match="600"):
        signing.load_signing_key(tmp_path / "k")


def test_bad_jwks_is_a_setup_error(dummy_verification, create_token, dummy_key):
    pub = dummy_key.private_key.public_key()
    good = signing.jwks_from_public_keys({dummy_key.kid: pub})
    text = create_token(dummy_verification)
    assert verify_token(text, {dummy_key.kid: pub}).kid == dummy_key.kid
    wrong_kid = {"keys": [{**good["keys"][0], "kid": "00" * 8}]}
    for bad in ({"keys": "x"}, wrong_kid, {"keys": [{**good["keys"][0], "x": "!!"}]}, [1]):
        with pytest.raises(KeySetError):
            verify_token(text, bad)
    other = Ed25519PrivateKey.generate().public_key()
    raw = base64.urlsafe_b64encode(other.public_bytes_raw()).decode().rstrip("=")
    ignored = {"keys": [{"kty": "EC", "crv": "P-256"}, {"kty": "OKP", "crv": "Ed25519", "x": raw,
                                                           "kid": signing.key_id(other)}]}
    with pytest.raises(NotGenuine, match="unknown key id"):
        verify_token(text, ignored)
