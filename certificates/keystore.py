"""The laboratory's Ed25519 signing keys in a directory outside the database.

Layout of the key directory (mode 700)::

    <kid>.key    private key, PKCS#8 PEM, mode 600 (only for the active key)
    <kid>.pub    public key, SubjectPublicKeyInfo PEM, mode 644 (kept for every key ever used)
    active       the kid of the key that signs new certificates

A key id (kid) is the first 8 bytes of SHA-256 over the raw 32-byte public key, in hex.
:func:`rotate` makes a new active key and deletes the old private key, keeping its public
key so stickers already printed still verify.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["KeyStoreError", "SigningKey", "key_id", "create_key", "rotate", "load_signing_key", "public_keys",
           "jwks", "jwks_from_public_keys"]

log = logging.getLogger(__name__)
_KID = re.compile(r"[0-9a-f]{16}")
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class KeyStoreError(Exception):
    """The key directory is missing, inconsistent or has unsafe permissions."""


@dataclass(frozen=True)
class SigningKey:
    """A private key ready to sign.

    :param kid: hex key id
    :param private_key: the Ed25519 private key
    """

    kid: str
    private_key: Ed25519PrivateKey

    def __repr__(self):
        return f"SigningKey(kid={self.kid!r})"


def key_id(public_key: Ed25519PublicKey) -> str:
    """Compute the key id of a public key.

    :param public_key: an Ed25519 public key
    :returns: 16 lower-case hex characters (first 8 bytes of SHA-256 of the raw key)
    """
    return hashlib.sha256(public_key.public_bytes(*_RAW)).digest()[:8].hex()


def _write(path: Path, data: bytes, mode: int):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, mode)  # the umask may have removed bits; set exactly


def _prepare_dir(directory) -> Path:
    d = Path(directory)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    return d


def _active_kid(d: Path) -> str | None:
    try:
        kid = (d / "active").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    if not _KID.fullmatch(kid):
        raise KeyStoreError(f"{d / 'active'}: does not contain a key id")
    return kid


def _new_key(d: Path) -> str:
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    pub = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(d / f"{kid}.key", pem, 0o600)
    _write(d / f"{kid}.pub", pub, 0o644)
    tmp = d / "active.tmp"
    tmp.write_text(kid + "\n", encoding="ascii")
    os.replace(tmp, d / "active")
    return kid


def create_key(directory) -> str:
    """Create the first signing key of a laboratory.

    :param directory: key directory (created with mode 700 if missing)
    :returns: the new key id
    :raises KeyStoreError: if the directory already has an active key (use :func:`rotate`)
    """
    d = _prepare_dir(directory)
    if _active_kid(d) is not None:
        raise KeyStoreError(f"{d}: already has an active key; use rotate to replace it")
    kid = _new_key(d)
    log.info("created signing key %s in %s", kid, d)
    return kid


def rotate(directory) -> str:
    """Replace the active key by a new one; the old public key stays for old stickers.

    :param directory: key directory with an active key
    :returns: the new key id
    :raises KeyStoreError: if there is no active key
    """
    d = Path(directory)
    old = _active_kid(d) if d.is_dir() else None
    if old is None:
        raise KeyStoreError(f"{d}: has no active key; use create first")
    kid = _new_key(_prepare_dir(d))
    (d / f"{old}.key").unlink(missing_ok=True)
    log.info("rotated signing key %s -> %s in %s; old private key deleted", old, kid, d)
    return kid


def load_signing_key(directory) -> SigningKey:
    """Load the active private key, refusing files that others can read.

    :param directory: key directory
    :returns: the active key
    :raises KeyStoreError: when missing, unreadable, group/world-accessible or inconsistent
    """
    d = Path(directory)
    kid = _active_kid(d) if d.is_dir() else None
    if kid is None:
        raise KeyStoreError(f"{d}: no active signing key (run 'lims keys create')")
    path = d / f"{kid}.key"
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise KeyStoreError(f"{path}: permissions must be 600 (run chmod 600)")
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"{path}: cannot load private key: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey) or key_id(private.public_key()) != kid:
        raise KeyStoreError(f"{path}: is not the Ed25519 key with id {kid}")
    return SigningKey(kid=kid, private_key=private)


def public_keys(directory) -> dict[str, Ed25519PublicKey]:
    """Load every public key ever used by the laboratory.

    :param directory: key directory
    :returns: hex key id → public key
    :raises KeyStoreError: when a ``.pub`` file is unreadable or its name is not its key id
    """
    d = Path(directory)
    if not d.is_dir():
        raise KeyStoreError(f"{d}: key directory does not exist")
    out = {}
    for path in sorted(d.glob("*.pub")):
        try:
            pub = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"{path}: cannot load public key: {exc}") from None
        if not isinstance(pub, Ed25519PublicKey) or key_id(pub) != path.stem:
            raise KeyStoreError(f"{path}: is not the Ed25519 key with id {path.stem}")
        out[path.stem] = pub
    return out


def jwks(directory) -> dict:
    """Export all public keys as a JWK set (RFC 7517, OKP keys per RFC 8037).

    :param directory: key directory
    :returns: ``{"keys": [...]}``, the active key first, ready for ``json.dumps``
    :raises KeyStoreError: as :func:`public_keys`
    """
    return jwks_from_public_keys(public_keys(directory), active=_active_kid(Path(directory)))


def jwks_from_public_keys(keys, active: str | None = None) -> dict:
    """Build a JWK set from in-memory public keys.

    :param keys: mapping of hex key id to :class:`Ed25519PublicKey`
    :param active: key id to list first, optional
    :returns: ``{"keys": [...]}``
    """
    order = sorted(keys, key=lambda k: (k != active, k))
    return {"keys": [_jwk(kid, keys[kid]) for kid in order]}


def _jwk(kid: str, pub: Ed25519PublicKey) -> dict:
    x = base64.urlsafe_b64encode(pub.public_bytes(*_RAW)).decode("ascii").rstrip("=")
    return {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid, "x": x}
