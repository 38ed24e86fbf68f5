"""Issuing: one call gives PDF, DCC, token and sticker; stored hashes detect any change."""
import dataclasses
import multiprocessing

import pytest

from certificates.data import CertificateDataError, canonical_bytes, content_hash
from certificates.dcc import validate_dcc
from certificates.issue import IntegrityError, check_stored, issue, issue_batch, sha256
from certificates.qr import token_from_url
from certificates.signing import verify_token


def test_issue_produces_consistent_documents(dummy_verification, dummy_key, dummy_jwks):
    out = issue(dummy_verification, dummy_key, "lims.example.com")
    assert out.number == dummy_verification.number
    assert out.pdf.startswith(b"%PDF-") and out.pdf_sha256 == sha256(out.pdf)
    validate_dcc(out.dcc_xml)
    assert out.content_hash == content_hash(dummy_verification)
    assert token_from_url(out.url) == out.token
    assert verify_token(out.token, dummy_jwks).record.certificate_id == out.number
    assert out.sticker.qr_text == out.url and out.sticker.due_date == dummy_verification.due_date
    again = issue(dummy_verification, dummy_key, "lims.example.com")
    assert again.pdf == out.pdf and again.dcc_xml == out.dcc_xml  # reproducible hashes (Ed25519 is deterministic)


def test_stored_hash_detects_a_changed_byte(dummy_verification, dummy_key):
    out = issue(dummy_verification, dummy_key, "lims.example.com")
    check_stored(out.pdf, out.pdf_sha256, "pdf")
    check_stored(out.dcc_xml, out.dcc_sha256.upper(), "dcc")
    check_stored(canonical_bytes(dummy_verification), out.content_hash)
    for pos in (0, len(out.pdf) // 2, len(out.pdf) - 1):
        tampered = bytearray(out.pdf)
        tampered[pos] ^= 0x01
        with pytest.raises(IntegrityError, match="pdf: content does not match"):
            check_stored(bytes(tampered), out.pdf_sha256, "pdf")
    with pytest.raises(IntegrityError):
        check_stored(out.dcc_xml + b" ", out.dcc_sha256, "dcc")


def test_notice_and_calibration_stickers(dummy_notice, dummy_calibration, dummy_key):
    notice = issue(dummy_notice, dummy_key, "lims.example.com").sticker
    assert notice.due_date is None and notice.result.startswith("不合格")
    cal = issue(dummy_calibration, dummy_key, "lims.example.com").sticker
    assert cal.due_date is None and cal.result.startswith("已校准")


@pytest.mark.parametrize("workers, start", [(1, None), (2, None), (2, "forkserver")])
def test_batch_keeps_order_and_makes_sheets(dummy_verification, dummy_key, dummy_jwks, workers, start):
    records = [dataclasses.replace(dummy_verification, number=f"JD2026-{i:06d}") for i in range(23)]
    context = multiprocessing.get_context(start) if start else None
    issued, sheets = issue_batch(records, dummy_key, "lims.example.com", workers=workers, mp_context=context)
    assert [i.number for i in issued] == [r.number for r in records]
    assert len(sheets) == 2 and all(s.startswith(b"%PDF-") for s in sheets)
    assert issued[5].pdf == issue(records[5], dummy_key, "lims.example.com").pdf
    assert {verify_token(i.token, dummy_jwks).record.certificate_id for i in issued} == {r.number for r in records}


def test_long_lab_name_needs_a_short_sticker_name(dummy_verification, dummy_key):
    """Names on a legal mark are never cut: a long lab name needs an explicit short form."""
    lab = dataclasses.replace(dummy_verification.lab, name="某某省某某市质量技术监督局计量检定测试研究所第三分所")
    data = dataclasses.replace(dummy_verification, lab=lab)
    with pytest.raises(CertificateDataError, match="lab_name: is longer than 24"):
        issue(data, dummy_key, "lims.example.com")
    out = issue(data, dummy_key, "lims.example.com", sticker_lab_name="某市计量所")
    assert out.sticker.lab_name == "某市计量所"
