"""Property tests: any record the contract accepts renders to a schema-valid DCC and a PDF.

Text is drawn from the whole of Unicode: the contract must reject what cannot be stored or
printed with a CertificateDataError or MissingGlyphs naming the field — never crash later.
"""
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificates.data import CertificateDataError, ResultLine, content_hash, from_dict, to_dict
from certificates.dcc import render_dcc, validate_dcc
from certificates.fonts import MissingGlyphs
from certificates.pdf import render_pdf

CJK = st.text(st.sampled_from("检定证书合格称量计价秤温度湿度砝码研究院某市场路号ABCxyz0123 -/()·"),
              min_size=1, max_size=40)
ANY = st.text(min_size=1, max_size=40)
DECIMAL = st.from_regex(r"-?[0-9]{1,4}\.[0-9]{1,3}", fullmatch=True)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _line(item, measured, unit):
    return ResultLine(item=item, item_en="x", measured=measured, unit=unit, uncertainty="0.05", k="2",
                      coverage_probability="0.95")


@SETTINGS
@given(text=st.one_of(CJK, ANY), measured=DECIMAL, unit=st.sampled_from(["kg", "°C", "kPa", "mmHg", "%"]))
def test_any_accepted_record_gives_valid_dcc(dummy_calibration, text, measured, unit):
    try:
        data = dataclasses.replace(dummy_calibration, number=text, location=text,
                                   customer=dataclasses.replace(dummy_calibration.customer, name=text),
                                   results=(_line(text, measured, unit),) + dummy_calibration.results[1:])
    except CertificateDataError as exc:
        assert exc.field in ("number", "location", "name", "item")
        return
    xml = render_dcc(data)
    validate_dcc(xml)
    assert from_dict(to_dict(data)) == data and content_hash(from_dict(to_dict(data))) == content_hash(data)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(CJK, ANY))
def test_any_accepted_record_renders_or_names_the_field(dummy_verification, create_url, text):
    try:
        data = dataclasses.replace(dummy_verification, location=text, raw_record_number=text[:64])
    except CertificateDataError:
        return
    try:
        pdf = render_pdf(data, create_url(data))
    except MissingGlyphs as exc:
        assert exc.field in ("location", "raw_record_number") and exc.chars
        return
    assert pdf.startswith(b"%PDF-")


@pytest.mark.parametrize("bad", ["a\tb", "x\ud800", "\ufffe", "a\u2028b"])
def test_unstorable_characters_are_rejected(create_record, bad):
    with pytest.raises(CertificateDataError, match="location: contains control characters"):
        create_record(location=bad)
