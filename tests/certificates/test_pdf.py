"""PDF rendering: real decoders and text extraction on the rendered output."""
import dataclasses
import subprocess

import pytest

from certificates import fonts, labels
from certificates.data import DocumentKind, ResultLine
from certificates.pdf import render_pdf
from certificates.qr import decode_qr, offline_status, verify_offline

from .conftest import needs_poppler

pytestmark = needs_poppler


def _pdftotext(pdf: bytes, tmp_path, page=None) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _page_png(pdf: bytes, tmp_path, dpi=200) -> bytes:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    return (tmp_path / "page.png").read_bytes()


@pytest.mark.parametrize("fixture", ["dummy_verification", "dummy_notice", "dummy_calibration"])
def test_rendered_qr_decodes_and_verifies(request, fixture, create_url, dummy_jwks, tmp_path):
    """PDF → PNG (pdftoppm, 200 dpi) → zxing-cpp → URL → offline signature check."""
    data = request.getfixturevalue(fixture)
    url = create_url(data)
    pdf = render_pdf(data, url)
    png = _page_png(pdf, tmp_path)
    assert decode_qr(png) == url
    verified = verify_offline(png, dummy_jwks)
    assert verified.record.certificate_id == data.number
    assert verified.record.instrument_id == data.instrument.instrument_id


@pytest.mark.parametrize("fixture", ["dummy_verification", "dummy_notice", "dummy_calibration"])
def test_text_has_chinese_title_number_and_one_page(request, fixture, create_url, tmp_path):
    data = request.getfixturevalue(fixture)
    text = _pdftotext(render_pdf(data, create_url(data)), tmp_path)
    zh, en = labels.TITLES[data.kind]
    assert zh in text and en in text
    assert data.number in text
    assert "第 1 页 共 1 页" in text and "Page 1 of 1" in text
    assert data.instrument.serial_number in text and data.customer.name in text
    assert "以下空白" in text


def test_kind_specific_content(dummy_verification, dummy_notice, dummy_calibration, create_url, tmp_path):
    ver = _pdftotext(render_pdf(dummy_verification, create_url(dummy_verification)), tmp_path)
    assert "有效期至 Valid until" in ver and "2027-11-19" in ver and "Ⅲ级合格" in ver
    notice = _pdftotext(render_pdf(dummy_notice, create_url(dummy_notice)), tmp_path)
    assert "不合格项目" in notice and "称量 30 kg" in notice and "Valid until" not in notice
    cal = _pdftotext(render_pdf(dummy_calibration, create_url(dummy_calibration)), tmp_path)
    assert "本证书不作符合性判定" in cal and "Valid until" not in cal and "建议下次校准日期" not in cal
    assert "0.06 (k=2, p=0.95)" in cal and "结论 Conclusion" not in cal and "合格/Pass" not in cal


def test_long_certificate_has_number_and_page_x_of_y_on_every_page(dummy_calibration, create_url, tmp_path):
    line = dummy_calibration.results[0]
    many = tuple(dataclasses.replace(line, item=f"示值误差 {i}") for i in range(90))
    data = dataclasses.replace(dummy_calibration, results=many)
    pdf = render_pdf(data, create_url(data))
    pages = int(next(ln for ln in subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout
                     .decode().splitlines() if ln.startswith("Pages:")).split()[1])
    assert pages >= 3
    for page in range(1, pages + 1):
        text = _pdftotext(pdf, tmp_path, page)
        assert data.number in text
        assert f"第 {page} 页 共 {pages} 页" in text and f"Page {page} of {pages}" in text
    assert "以下空白" in _pdftotext(pdf, tmp_path, pages)


def test_output_is_deterministic_and_dated_by_issue(dummy_verification, create_url):
    url = create_url(dummy_verification)
    first = render_pdf(dummy_verification, url)
    assert first == render_pdf(dummy_verification, url)
    assert b"D:20261121000000" in first
    other = dataclasses.replace(dummy_verification, location="另一地点")
    assert render_pdf(other, url) != first


def test_amendment_is_printed(dummy_verification, create_url, tmp_path):
    from certificates.data import AmendmentType

    rev = dataclasses.replace(dummy_verification, number="JD2026-000200", revision=1, replaces="JD2026-000123",
                              amendment=AmendmentType.SUBSTITUTED, amendment_reason="出厂编号录入错误")
    text = _pdftotext(render_pdf(rev, create_url(rev)), tmp_path)
    assert "本证书替代证书 JD2026-000123" in text and "出厂编号录入错误" in text


def test_every_drawn_character_has_a_glyph(dummy_verification, dummy_notice, dummy_calibration):
    """The labels and the sample records use only characters the embedded font has."""
    texts = [v for v in vars(labels).values() if isinstance(v, (str, tuple, dict))]
    flat = repr(texts) + repr([dummy_verification, dummy_notice, dummy_calibration])
    assert fonts.missing_glyphs(flat) == ""


def test_missing_glyph_is_an_error_naming_the_field(create_record, create_url):
    data = create_record(location="市场 🙂")
    with pytest.raises(fonts.MissingGlyphs, match="location: .*U\\+1F642"):
        render_pdf(data, create_url(data))
    bad_line = ResultLine(item="称量 ☃", item_en="x", measured="1", unit="kg")
    with pytest.raises(fonts.MissingGlyphs, match=r"results\[0\]"):
        data = create_record(results=(bad_line,))
        render_pdf(data, create_url(data))


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.ttc"))
    with pytest.raises(fonts.FontNotFound, match="LIMS_CJK_FONT"):
        fonts.find_font()
    monkeypatch.setenv(fonts.ENV_VAR, "")
    monkeypatch.setattr(fonts, "SEARCH_PATHS", (str(tmp_path / "none.ttc"),))
    with pytest.raises(fonts.FontNotFound, match="fonts-wqy-zenhei"):
        fonts.find_font()


def test_offline_status(dummy_verification, create_token, dummy_jwks, dummy_notice, dummy_calibration):
    import datetime as dt

    from certificates.signing import verify_token

    rec = verify_token(create_token(dummy_verification), dummy_jwks).record
    assert offline_status(rec, dt.date(2027, 11, 19)).state == "valid"
    assert "2027-11-19" in offline_status(rec, dt.date(2027, 1, 1)).message_en
    assert offline_status(rec, dt.date(2027, 11, 20)).state == "expired"
    failed = verify_token(create_token(dummy_notice), dummy_jwks).record
    assert offline_status(failed, dt.date(2026, 11, 21)).state == "failed"
    cal = verify_token(create_token(dummy_calibration), dummy_jwks).record
    assert offline_status(cal, dt.date(2030, 1, 1)).state == "calibrated"


def test_render_rejects_non_records():
    with pytest.raises(TypeError, match="data: must be a CertificateData"):
        render_pdf({"number": "x"}, "HTTPS://X/V/AA")


def test_document_kinds_have_titles():
    assert set(labels.TITLES) == set(DocumentKind)
