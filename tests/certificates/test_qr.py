"""Verification URL, QR symbol properties and image decoding."""
import io

import pytest
import segno

from certificates.qr import (
    QRDecodeError,
    decode_qr,
    decode_qr_codes,
    qr_png,
    qr_symbol,
    token_from_url,
    verification_url,
    verify_offline,
)
from certificates.signing import NotGenuine


def _png(text: str, scale=4) -> bytes:
    buf = io.BytesIO()
    segno.make_qr(text, error="m", boost_error=False).save(buf, kind="png", scale=scale)
    return buf.getvalue()


def test_url_is_upper_case_alphanumeric_at_level_m(dummy_verification, create_url):
    url = create_url(dummy_verification)
    assert url.startswith("HTTPS://LIMS.EXAMPLE.COM/V/") and url == url.upper()
    symbol = qr_symbol(url)
    assert symbol.mode == "alphanumeric" and symbol.error == "M"
    assert symbol.version == 9 and symbol.size == 53  # 242-character URL, as measured in NOTES.md 3.4
    assert len(symbol.rows) == 53 and all(len(r) == 53 for r in symbol.rows)


def test_symbol_matches_segno_reference(dummy_verification, dummy_notice, dummy_calibration, create_url):
    """zxing-cpp's writer gives segno's symbol: same mode, level M, version and codewords.

    The mask choice may differ for tiny symbols (penalty ties), so we find the mask whose
    segno rendering equals ours module for module.
    """
    texts = [create_url(d) for d in (dummy_verification, dummy_notice, dummy_calibration)]
    texts += ["HTTPS://X.CN/V/AAAA", "HTTPS://LIMS.EXAMPLE.COM:8443/V/" + "ABCDEFGH234567" * 20]
    for text in texts:
        ref = segno.make_qr(text, error="m", boost_error=False)
        assert ref.mode == "alphanumeric"
        ours = qr_symbol(text)
        assert (ours.version, ours.error, ours.mode) == (ref.version, "M", "alphanumeric")
        same = [m for m in range(8)
                if ours.rows == tuple(tuple(bool(b) for b in row)
                                      for row in segno.make_qr(text, error="m", boost_error=False, mask=m).matrix)]
        assert len(same) == 1


def test_symbol_errors():
    with pytest.raises(ValueError, match="text: cannot be encoded"):
        qr_symbol("A" * 5000)
    with pytest.raises(ValueError, match="non-empty"):
        qr_symbol("")
    assert qr_symbol("hello").mode == "other"


@pytest.mark.parametrize("host", ["lims.example.com/x", "a b", "", "exa_mple.com", "ä.cn", "ſ.cn", None,
                                  "ftp://lims.example.com", "http://", "https://a/b", "http://http://a"])
def test_bad_hosts_are_rejected(host):
    with pytest.raises(ValueError, match="host"):
        verification_url(host, "AAAA")


def test_scheme_is_https_unless_http_is_asked_for():
    assert verification_url("lims.example.com", "ab") == "HTTPS://LIMS.EXAMPLE.COM/V/AB"
    assert verification_url("https://lims.example.com", "ab") == "HTTPS://LIMS.EXAMPLE.COM/V/AB"
    url = verification_url("http://127.0.0.1:5000", "ab")
    assert url == "HTTP://127.0.0.1:5000/V/AB" and token_from_url(url.lower()) == "AB"


def test_bad_token_is_rejected():
    with pytest.raises(ValueError, match="token"):
        verification_url("lims.example.com", "abc=")


def test_token_from_url_accepts_any_case():
    assert token_from_url("https://lims.example.com/v/abc234") == "ABC234"
    assert token_from_url("HTTPS://LIMS.EXAMPLE.COM:8443/V/ABC234/") == "ABC234"
    assert token_from_url("ABC234") == "ABC234"
    for bad in ("https://evil.example/x/ABC", "mailto:x", "ABC 234", 5):
        with pytest.raises(NotGenuine):
            token_from_url(bad)


def test_decode_png_bytes_and_path(dummy_verification, create_url, dummy_jwks, tmp_path):
    url = create_url(dummy_verification)
    png = _png(url)
    assert decode_qr(png) == url
    (tmp_path / "sticker.png").write_bytes(png)
    assert decode_qr(tmp_path / "sticker.png") == url
    assert verify_offline(str(tmp_path / "sticker.png"), dummy_jwks).record.certificate_id == "JD2026-000123"
    assert verify_offline(url.lower(), dummy_jwks).record.revision == 0


def test_decode_jpeg(dummy_verification, create_url):
    from PIL import Image

    url = create_url(dummy_verification)
    img = Image.open(io.BytesIO(_png(url))).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    assert decode_qr(buf.getvalue()) == url


def test_forged_sticker_is_not_genuine(dummy_verification, create_url, dummy_jwks):
    url = create_url(dummy_verification)
    i = url.index("/V/") + 40
    forged = url[:i] + ("B" if url[i] == "A" else "A") + url[i + 1:]
    with pytest.raises(NotGenuine):
        verify_offline(_png(forged), dummy_jwks)
    with pytest.raises(NotGenuine, match="not a certificate verification URL"):
        verify_offline(_png("HTTPS://EVIL.EXAMPLE/PAY"), dummy_jwks)


def test_images_without_a_single_code(tmp_path):
    from PIL import Image

    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    with pytest.raises(QRDecodeError, match="no readable QR"):
        decode_qr(blank.getvalue())
    with pytest.raises(QRDecodeError, match="cannot read image"):
        decode_qr(b"not an image")
    with pytest.raises(QRDecodeError, match="cannot read image"):
        decode_qr(tmp_path / "missing.png")
    two = Image.new("L", (800, 400), 255)
    for x, text in ((0, "HTTPS://A.CN/V/AAAA"), (400, "HTTPS://B.CN/V/BBBB")):
        two.paste(Image.open(io.BytesIO(_png(text, scale=8))), (x, 0))
    buf = io.BytesIO()
    two.save(buf, "PNG")
    assert sorted(decode_qr_codes(buf.getvalue())) == ["HTTPS://A.CN/V/AAAA", "HTTPS://B.CN/V/BBBB"]
    with pytest.raises(QRDecodeError, match="2 different QR codes"):
        decode_qr(buf.getvalue())


@pytest.mark.parametrize("module", [1, 3, 8])
def test_qr_png_is_a_symbol_image_a_reader_decodes(module):
    """A delivery note's label: the PNG has the symbol's modules at ``module`` pixels, a quiet zone of 4."""
    from PIL import Image

    text = "http://lims.example/batches/42"
    png = qr_png(text, module=module)
    assert png.startswith(b"\x89PNG") and decode_qr(png) == text
    size = (qr_symbol(text).size + 8) * module
    assert Image.open(io.BytesIO(png)).size == (size, size)


def test_qr_png_refuses_bad_sizes_and_empty_text():
    for kwargs in ({"module": 0}, {"module": 33}, {"quiet": -1}):
        with pytest.raises(ValueError, match="module"):
            qr_png("x", **kwargs)
    with pytest.raises(ValueError, match="text"):
        qr_png("")
