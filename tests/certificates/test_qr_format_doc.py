"""docs/qr-format.md stays true: its test vector and its reference verifier are executed here."""
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import signing, token
from certificates.qr import qr_symbol, verification_url

DOC = (Path(__file__).resolve().parents[2] / "docs" / "qr-format.md").read_text(encoding="utf-8")


def _block(after: str, lang: str) -> str:
    start = DOC.index(after)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(DOC, start)
    return m.group(1)


@pytest.fixture(scope="module")
def reference():
    namespace = {}
    exec(compile(_block("<!-- reference-verifier", "python"), "qr-format.md", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def vector():
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    jwks = json.loads(_block("## 6. Test vector", "json"))
    url = _block("QR content (242", "").strip()
    return key, jwks, url


def test_library_reproduces_the_documented_vector(vector, dummy_verification):
    key, jwks, url = vector
    signing_key = signing.SigningKey(kid=signing.key_id(key.public_key()), private_key=key)
    assert signing.jwks_from_public_keys({signing_key.kid: key.public_key()}) == jwks
    ours = signing.encode_token(signing.sign_record(token.record_for(dummy_verification), signing_key))
    assert verification_url("lims.example.com", ours) == url
    assert len(url) == 242 and qr_symbol(url).version == 9


def test_reference_verifier_accepts_vector(reference, vector):
    _, jwks, url = vector
    state, record = reference["verify"](url, jwks, dt.date(2027, 1, 1))
    assert state == "valid"
    assert record == {1: "JD2026-000123", 2: "INS-00042", 3: 0, 4: dt.date(2026, 11, 20),
                      5: dt.date(2027, 11, 19), 6: "GDIM", 7: 0}
    assert reference["verify"](url.lower(), jwks, dt.date(2027, 11, 20))[0] == "expired"


def test_reference_and_library_agree_on_forgeries(reference, vector):
    _, jwks, url = vector
    prefix = url.index("/V/") + 3
    for i in range(prefix, len(url)):
        forged = url[:i] + ("B" if url[i] == "A" else "A") + url[i + 1:]
        with pytest.raises(reference["NotGenuine"]):
            reference["verify"](forged, jwks, dt.date(2027, 1, 1))
        with pytest.raises(signing.NotGenuine):
            signing.verify_token(forged[prefix:], jwks)
    other = signing.jwks_from_public_keys({k.kid: k.private_key.public_key()
                                           for k in [signing.generate_unsaved_key()]})
    with pytest.raises(reference["NotGenuine"], match="unknown key"):
        reference["verify"](url, other, dt.date(2027, 1, 1))
