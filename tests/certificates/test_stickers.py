"""Sticker sheets: every QR on a rendered A4 sheet decodes and is at least 25 mm wide."""
import dataclasses
import datetime as dt
import subprocess

import pytest

from certificates.data import CertificateDataError
from certificates.qr import decode_qr_codes, token_from_url
from certificates.signing import verify_token
from certificates.stickers import MIN_QR_MM, StickerItem, render_sticker_sheet, sticker_layout

from .conftest import needs_poppler


def _items(create_url, record, n):
    out = []
    for i in range(n):
        data = dataclasses.replace(record, number=f"JD2026-{i:06d}")
        out.append(StickerItem(create_url(data), data.number, "某省计量测试研究院", "合格 Pass", data.due_date,
                               "电子计价秤 ACS-30"))
    return out


@needs_poppler
def test_sheet_qr_codes_decode_and_verify(create_url, dummy_verification, dummy_jwks, tmp_path):
    items = _items(create_url, dummy_verification, 23)  # 21 per page: two pages
    pdf, layout = render_sticker_sheet(items)
    assert layout.pages == 2 and layout.versions == (9,)
    assert layout.module_mm == 0.5 and layout.qr_mm == 26.5 >= MIN_QR_MM
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True)
    found = []
    for png in sorted(tmp_path.glob("p-*.png")):
        found += decode_qr_codes(png)
    assert sorted(found) == sorted(i.qr_text for i in items)
    numbers = {verify_token(token_from_url(t), dummy_jwks).record.certificate_id for t in found}
    assert numbers == {i.certificate_number for i in items}
    text = subprocess.run(["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True).stdout
    assert "有效期至 Valid until 2027-11-19" in text and "JD2026-000022" in text


def test_layout_is_reported_without_rendering(create_url, dummy_verification):
    layout = sticker_layout(_items(create_url, dummy_verification, 2))
    assert layout.versions == (9,) and layout.min_qr_mm == 26.5 and layout.pages == 1


def test_small_qr_is_refused():
    """A short URL would give a small version; the sheet refuses a symbol under 25 mm."""
    item = StickerItem("HTTPS://X.CN/V/AAAA", "N1", "Lab", "合格", dt.date(2027, 1, 1))
    with pytest.raises(ValueError, match="below 25"):
        render_sticker_sheet([item])


def test_sheet_is_deterministic(create_url, dummy_verification):
    items = _items(create_url, dummy_verification, 3)
    assert render_sticker_sheet(items)[0] == render_sticker_sheet(items)[0]


@pytest.mark.parametrize("kwargs, field", [
    ({"lab_name": ""}, "lab_name"), ({"result": "x" * 40}, "result"), ({"due_date": "2027-01-01"}, "due_date"),
])
def test_bad_items(kwargs, field):
    base = dict(qr_text="HTTPS://X.CN/V/AAAA", certificate_number="N1", lab_name="Lab", result="合格")
    with pytest.raises(CertificateDataError) as info:
        StickerItem(**{**base, **kwargs})
    assert info.value.field == field
    with pytest.raises(ValueError, match="items"):
        render_sticker_sheet([])
