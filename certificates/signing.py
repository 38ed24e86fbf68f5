"""Ed25519 keys on disk, COSE_Sign1 tokens, and their verification.

A token is a tagged COSE_Sign1 (RFC 9052) with algorithm EdDSA (-8) and an 8-byte key
id in the protected header; the payload is the record of :mod:`certificates.token`.
It travels as RFC 4648 Base32 (upper case, no padding) so that the whole verification
URL fits QR alphanumeric mode. ``docs/qr-format.md`` specifies it for other verifiers.

Anything wrong with a token (bad Base32, bad CBOR, non-canonical bytes, unknown key id,
wrong signature) raises :class:`NotGenuine`; nothing else escapes :func:`verify_token`.
"""
from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .keystore import (
    KeyStoreError,
    SigningKey,
    create_key,
    jwks,
    jwks_from_public_keys,
    key_id,
    load_signing_key,
    public_keys,
    rotate,
)
from .token import MalformedRecord, TokenRecord, decode_record, encode_record

__all__ = [
    "NotGenuine", "KeySetError", "KeyStoreError", "SigningKey", "VerifiedRecord", "create_key", "rotate",
    "load_signing_key", "public_keys", "jwks", "jwks_from_public_keys", "key_id", "generate_unsaved_key",
    "keys_from_jwks", "sign_record", "encode_token", "decode_token", "verify_token", "MAX_TOKEN_CHARS",
]

log = logging.getLogger(__name__)

COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
MAX_TOKEN_CHARS = 1024
_B32 = re.compile(r"[A-Z2-7]+")


class NotGenuine(Exception):
    """The token is not a genuine certificate token.

    :param reason: why, in plain words (shown to the person checking)
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class KeySetError(ValueError):
    """A published key set (JWKS) is malformed."""


@dataclass(frozen=True)
class VerifiedRecord:
    """A token whose signature checked out.

    :param record: the signed compact record
    :param kid: hex key id of the key that signed it
    """

    record: TokenRecord
    kid: str


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign_record(record: TokenRecord, key: SigningKey) -> bytes:
    """Sign a compact record as a tagged COSE_Sign1.

    :param record: what to sign
    :param key: the active signing key (from :func:`load_signing_key`)
    :returns: the COSE_Sign1 bytes
    """
    protected = cbor2.dumps({1: ALG_EDDSA, 4: bytes.fromhex(key.kid)}, canonical=True)
    payload = encode_record(record)
    signature = key.private_key.sign(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def encode_token(token: bytes) -> str:
    """Base32-encode token bytes (RFC 4648, upper case, padding removed).

    :param token: the COSE_Sign1 bytes
    :returns: the token text
    """
    return base64.b32encode(token).decode("ascii").rstrip("=")


def decode_token(text: str) -> bytes:
    """Decode token text; case is ignored, and only the canonical spelling is accepted.

    :param text: Base32 text without padding
    :returns: the token bytes
    :raises NotGenuine: when the text is not canonical unpadded Base32 of a sane length
    """
    if not isinstance(text, str) or not text:
        raise NotGenuine("token is empty or not text")
    if len(text) > MAX_TOKEN_CHARS:
        raise NotGenuine(f"token is longer than {MAX_TOKEN_CHARS} characters")
    upper = text.upper() if text.isascii() else ""  # no Unicode case folding ('ſ'.upper() == 'S')
    if not _B32.fullmatch(upper):
        raise NotGenuine("token contains characters outside the Base32 alphabet A-Z, 2-7")
    try:
        raw = base64.b32decode(upper + "=" * (-len(upper) % 8))
    except (binascii.Error, ValueError):
        raise NotGenuine("token has an impossible Base32 length") from None
    if encode_token(raw) != upper:
        raise NotGenuine("token is not canonical Base32 (changed trailing bits)")
    return raw


def keys_from_jwks(jwks_doc) -> dict[str, Ed25519PublicKey]:
    """Read Ed25519 keys from a JWK set (RFC 7517 / RFC 8037).

    :param jwks_doc: ``{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}, ...]}``
    :returns: hex key id → public key
    :raises KeySetError: when the set is malformed or a kid does not match its key
    """
    if not isinstance(jwks_doc, Mapping) or not isinstance(jwks_doc.get("keys"), list):
        raise KeySetError("jwks: must be an object with a 'keys' list")
    out = {}
    for i, jwk in enumerate(jwks_doc["keys"]):
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            log.debug("skipping JWK %d: not an Ed25519 OKP key", i)
            continue
        x = jwk.get("x")
        try:
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)) if isinstance(x, str) else b""
            pub = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError):
            raise KeySetError(f"jwks.keys[{i}].x: not a base64url Ed25519 public key") from None
        if jwk.get("kid") != key_id(pub):
            raise KeySetError(f"jwks.keys[{i}].kid: does not match the key (expected {key_id(pub)})")
        out[key_id(pub)] = pub
    return out


def _as_key_map(keys) -> dict[str, Ed25519PublicKey]:
    if isinstance(keys, Mapping) and "keys" in keys:
        return keys_from_jwks(keys)
    if isinstance(keys, Mapping) and all(isinstance(v, Ed25519PublicKey) for v in keys.values()):
        return {str(k).lower(): v for k, v in keys.items()}
    raise KeySetError("keys: expected a JWK set or a mapping of key id to Ed25519PublicKey")


def _parse_cose(raw: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    try:
        obj = cbor2.loads(raw)
    except Exception:  # untrusted bytes: every decoder failure means "not genuine"
        raise NotGenuine("token is not a CBOR structure") from None
    if not (isinstance(obj, cbor2.CBORTag) and obj.tag == COSE_SIGN1_TAG and isinstance(obj.value, (list, tuple))
            and len(obj.value) == 4):
        raise NotGenuine("token is not a tagged COSE_Sign1 structure")
    protected, unprotected, payload, signature = obj.value
    if not (isinstance(protected, bytes) and isinstance(unprotected, Mapping) and len(unprotected) == 0
            and isinstance(payload, bytes)
            and isinstance(signature, bytes) and len(signature) == 64):
        raise NotGenuine("token has a malformed COSE_Sign1 body")
    if cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])) != raw:
        raise NotGenuine("token is not in canonical CBOR form")
    try:
        header = cbor2.loads(protected)
    except Exception:  # untrusted bytes
        raise NotGenuine("token has a malformed protected header") from None
    if not (isinstance(header, dict) and set(header) == {1, 4} and header[1] == ALG_EDDSA
            and isinstance(header[4], bytes) and len(header[4]) == 8
            and cbor2.dumps(header, canonical=True) == protected):
        raise NotGenuine("token protected header must be exactly {alg: EdDSA, kid: 8 bytes}")
    return protected, header[4], payload, signature


def verify_token(token, keys) -> VerifiedRecord:
    """Verify a token offline against published public keys.

    :param token: Base32 token text (any case) or the raw COSE_Sign1 bytes
    :param keys: a JWK set dict (as served at ``/.well-known/lims-keys.json``) or a
        mapping of hex key id to :class:`Ed25519PublicKey` (from :func:`public_keys`)
    :returns: the signed record and the key id
    :raises NotGenuine: for malformed or changed tokens, unknown key ids and wrong signatures
    :raises KeySetError: when ``keys`` itself is malformed (a set-up error, not a verdict)
    """
    key_map = _as_key_map(keys)
    raw = token if isinstance(token, bytes) else decode_token(token)
    if len(raw) > MAX_TOKEN_CHARS:
        raise NotGenuine("token is too long")
    protected, kid_bytes, payload, signature = _parse_cose(raw)
    kid = kid_bytes.hex()
    public = key_map.get(kid)
    if public is None:
        raise NotGenuine(f"token is signed with an unknown key id {kid}")
    try:
        public.verify(signature, _sig_structure(protected, payload))
    except InvalidSignature:
        raise NotGenuine("signature does not match the key (changed token or another signer)") from None
    try:
        record = decode_record(payload)
    except MalformedRecord as exc:
        log.warning("validly signed token %s has a malformed record: %s", kid, exc)
        raise NotGenuine("signed record is malformed") from None
    return VerifiedRecord(record=record, kid=kid)


def generate_unsaved_key() -> SigningKey:
    """Create an in-memory key that is never written anywhere (tests, benchmarks, previews).

    :returns: a fresh signing key
    """
    private = Ed25519PrivateKey.generate()
    return SigningKey(kid=key_id(private.public_key()), private_key=private)
