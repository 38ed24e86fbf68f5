"""The laboratory's signing keys: the library's key store in ``app.config["KEY_DIR"]``.

This module and :mod:`lims.modules.issuance.render` are the only places in ``lims`` that import
the ``certificates`` library. Private keys live in files (mode 600), never in the database.
"""
import logging
from typing import TYPE_CHECKING, Any

from flask import current_app

from certificates.signing import KeyStoreError, SigningKey, create_key, jwks, load_signing_key, public_keys, rotate

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["KeyStoreError", "key_dir", "create", "rotate_key", "export_jwks", "published_jwks", "signing_key",
           "verification_keys"]

log = logging.getLogger(__name__)


def key_dir() -> str:
    """Return the key directory of the running app.

    :returns: the path from ``KEY_DIR`` (default ``<instance>/keys``)
    """
    return current_app.config["KEY_DIR"]


def create() -> str:
    """Create the laboratory's first signing key.

    :returns: the new key id
    :raises KeyStoreError: when the directory already has an active key
    """
    return create_key(key_dir())


def rotate_key() -> str:
    """Replace the active key; the old public key stays published for stickers already printed.

    :returns: the new key id
    :raises KeyStoreError: when there is no active key yet
    """
    return rotate(key_dir())


def export_jwks() -> dict[str, Any]:
    """Return every public key ever used as a JWK set, the active key first.

    :returns: ``{"keys": [...]}``
    :raises KeyStoreError: when the directory is missing or inconsistent
    """
    return jwks(key_dir())


def published_jwks() -> dict[str, Any]:
    """Return the JWK set for the public endpoint: an empty set when no key exists yet.

    :returns: ``{"keys": [...]}``
    """
    try:
        return export_jwks()
    except KeyStoreError as exc:
        log.warning("no published keys: %s", exc)
        return {"keys": []}


def signing_key() -> SigningKey:
    """Load the active private key.

    :returns: a :class:`certificates.signing.SigningKey`
    :raises KeyStoreError: when there is none or its file is readable by others
    """
    return load_signing_key(key_dir())


def verification_keys() -> "dict[str, Ed25519PublicKey]":
    """Return the public keys (key id → key) that the check page trusts.

    :returns: a mapping, empty when no key exists yet
    """
    try:
        return public_keys(key_dir())
    except KeyStoreError as exc:
        log.warning("no verification keys: %s", exc)
        return {}
