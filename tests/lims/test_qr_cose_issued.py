"""Tokens the application issues are valid COSE_Sign1 for a second implementation (pycose)."""
import base64

from pycose.headers import KID
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519

from tests.certificates.test_cose_interop import pycose_decode
from tests.lims.test_issuance_support import issue, keyed_app, token_of  # noqa: F401


def test_pycose_verifies_issued_tokens_with_the_published_key(keyed_app, api, world):  # noqa: F811
    cert = issue(api, world)
    jwks = keyed_app.test_client().get("/.well-known/lims-keys.json").get_json()
    from certificates import signing

    raw = signing.decode_token(token_of(cert))
    msg = pycose_decode(raw)
    kid = msg.phdr[KID].hex()
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    msg.key = OKPKey(crv=Ed25519, x=base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4)))
    assert msg.verify_signature()
    import cbor2

    record = cbor2.loads(msg.payload)
    assert record[1] == cert["number"]
    assert record[2].startswith("INS-") and len(record[2]) >= 10  # INS- and at least six digits
