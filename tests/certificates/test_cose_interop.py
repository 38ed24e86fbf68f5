"""The hand-built COSE_Sign1 envelope against a second implementation (pycose), on the documented vector."""
import base64
import hashlib
import json
import re
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from certificates import signing, token

DOC = (Path(__file__).resolve().parents[2] / "docs" / "qr-format.md").read_text(encoding="utf-8")
SEED = bytes(range(1, 33))


def _vector():
    jwks = json.loads(re.compile(r"```json\n(.*?)```", re.S).search(DOC, DOC.index("## 6. Test vector")).group(1))
    url = re.compile(r"```\n(.*?)```", re.S).search(DOC, DOC.index("QR content (242")).group(1).strip()
    return jwks, url


def pycose_decode(raw):
    """pycose's Sign1Message from token bytes.

    pycose 1.1's ``decode`` expects cbor2 to return the tagged array as a list and the unprotected
    map as a dict; cbor2 6 returns a tuple and an immutable map, so the outer CBOR layer is unwrapped
    here and pycose parses the COSE structure (headers, Sig_structure, signature) itself.
    """
    obj = cbor2.loads(raw)
    assert isinstance(obj, cbor2.CBORTag) and obj.tag == Sign1Message.cbor_tag == 18
    protected, unprotected, payload, signature = obj.value
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def pycose_verifies(raw, x):
    msg = pycose_decode(raw)
    msg.key = OKPKey(crv=Ed25519, x=x)
    return msg.verify_signature(), msg


def test_pycose_verifies_the_documented_vector():
    jwks, url = _vector()
    raw = signing.decode_token(url.rsplit("/", 1)[1])
    jwk = jwks["keys"][0]
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    ok, msg = pycose_verifies(raw, x)
    assert ok
    assert msg.phdr[Algorithm] is EdDSA or msg.phdr[Algorithm] == EdDSA
    assert msg.phdr[KID].hex() == jwk["kid"]
    assert msg.uhdr == {}
    assert cbor2.loads(msg.payload)[1] == "JD2026-000123"


def test_pycose_builds_the_same_bytes_as_our_envelope(dummy_verification):
    """Ed25519 is deterministic: a second implementation given the same key and payload writes our token."""
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    x = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signing_key = signing.SigningKey(kid=signing.key_id(key.public_key()), private_key=key)
    ours = signing.sign_record(token.record_for(dummy_verification), signing_key)
    payload = token.encode_record(token.record_for(dummy_verification))
    msg = Sign1Message(phdr={Algorithm: EdDSA, KID: bytes.fromhex(signing_key.kid)}, payload=payload)
    msg.key = OKPKey(crv=Ed25519, x=x, d=SEED)
    theirs = msg.encode(tag=True)
    assert theirs == ours


def test_pycose_refuses_a_tampered_vector():
    jwks, url = _vector()
    raw = bytearray(signing.decode_token(url.rsplit("/", 1)[1]))
    raw[-1] ^= 1  # the last signature byte
    jwk = jwks["keys"][0]
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    assert pycose_verifies(bytes(raw), x)[0] is False


def test_the_documented_fingerprint_of_the_test_key():
    """The doc pins keys by kid and SHA-256 fingerprint of the raw public key; its example is right."""
    jwks, _url = _vector()
    jwk = jwks["keys"][0]
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    fingerprint = hashlib.sha256(x).hexdigest()
    pinned = re.search(r"\| `65b60673d6ed884b` \| `([0-9a-f]{64})` \|", DOC)
    assert pinned, "the pinned-keys table lists the test key"
    assert pinned.group(1) == fingerprint and fingerprint.startswith(jwk["kid"])


@pytest.mark.parametrize("phrase", ["Asia/Shanghai", "INS-", "404", "pin"])
def test_the_doc_states_what_a_verifier_needs(phrase):
    assert phrase in DOC
