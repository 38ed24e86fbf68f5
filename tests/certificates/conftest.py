"""Fixtures for the certificates library tests: records, keys and rendered documents.

Named by role as in STYLE.md: ``dummy_*`` is a ready object, ``create_*`` a factory.
"""
import dataclasses
import shutil
from pathlib import Path

import pytest

from certificates import signing, token
from certificates.qr import verification_url
from certificates.samples import load_sample

HOST = "lims.example.com"
SHARED_DCC = Path(__file__).resolve().parents[3] / "shared" / "dcc"
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed")


@pytest.fixture(scope="session")
def dummy_key():
    """An in-memory Ed25519 signing key."""
    return signing.generate_unsaved_key()


@pytest.fixture(scope="session")
def dummy_jwks(dummy_key):
    """The published JWK set containing only ``dummy_key``."""
    return signing.jwks_from_public_keys({dummy_key.kid: dummy_key.private_key.public_key()})


@pytest.fixture(scope="session")
def dummy_verification():
    """A passing scale verification certificate record."""
    return load_sample("scale_verification")


@pytest.fixture(scope="session")
def dummy_notice():
    """A failing scale verification-result notice record."""
    return load_sample("scale_notice")


@pytest.fixture(scope="session")
def dummy_calibration():
    """A thermometer calibration certificate record (no conformity, no due date)."""
    return load_sample("thermometer_calibration")


@pytest.fixture
def create_record(dummy_verification):
    """Factory: the scale verification record with some fields replaced."""
    def create(**changes):
        return dataclasses.replace(dummy_verification, **changes)
    return create


@pytest.fixture(scope="session")
def create_token(dummy_key):
    """Factory: signed token text for a record (default key: ``dummy_key``)."""
    def create(data, key=None):
        return signing.encode_token(signing.sign_record(token.record_for(data), key or dummy_key))
    return create


@pytest.fixture(scope="session")
def create_url(create_token):
    """Factory: the QR verification URL for a record."""
    def create(data, key=None):
        return verification_url(HOST, create_token(data, key))
    return create
