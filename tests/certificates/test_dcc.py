"""DCC 3.3.0 export: every document produced is validated against the XML Schema."""
import dataclasses
import hashlib

import pytest
from lxml import etree

from certificates.data import AmendmentType, Conformity, Party, ResultLine
from certificates.dcc import DCC_NS, DccInvalid, render_dcc, schema_path, validate_dcc
from certificates.samples import load_sample, sample_names
from certificates.units import UnknownUnit, dsi_unit

from .conftest import SHARED_DCC

SHARED_XSD = SHARED_DCC / "v3.3.0" / "dcc" / "v3.3.0" / "dcc.xsd"
NS = {"dcc": DCC_NS, "si": "https://ptb.de/si"}


def _validate_everywhere(xml: bytes):
    validate_dcc(xml)  # bundled copy
    if SHARED_XSD.is_file():
        validate_dcc(xml, SHARED_XSD)  # the research folder's copy


@pytest.mark.parametrize("name", sample_names())
def test_samples_validate(name):
    _validate_everywhere(render_dcc(load_sample(name)))


def test_official_examples_validate_and_negative_checks():
    """The validator accepts PTB's examples and rejects broken documents."""
    examples = SHARED_DCC / "v3.3.0" / "examples"
    if examples.is_dir():
        for f in sorted(examples.glob("*.xml")):
            validate_dcc(f.read_bytes())
    xml = render_dcc(load_sample("scale_verification"))
    doc = etree.fromstring(xml)
    uid = doc.find(".//dcc:coreData/dcc:uniqueIdentifier", NS)
    uid.getparent().remove(uid)
    with pytest.raises(DccInvalid, match="uniqueIdentifier"):
        validate_dcc(etree.tostring(doc))
    with pytest.raises(DccInvalid, match="schemaVersion|3.3.0"):
        validate_dcc(xml.replace(b'schemaVersion="3.3.0"', b'schemaVersion="3.1.2"'))
    with pytest.raises(DccInvalid, match="well-formed"):
        validate_dcc(b"<dcc:digitalCalibrationCertificate")


def test_content_of_verification_dcc(dummy_verification):
    doc = etree.fromstring(render_dcc(dummy_verification))
    assert doc.get("schemaVersion") == "3.3.0"
    assert doc.findtext(".//dcc:uniqueIdentifier", namespaces=NS) == "JD2026-000123"
    assert doc.findtext(".//dcc:performanceLocation", namespaces=NS) == "customer"
    assert doc.findtext(".//dcc:statement[@refType='basic_conformity']/dcc:conformity", namespaces=NS) == "pass"
    assert doc.findtext(".//dcc:statement[@refType='basic_recalibration']/dcc:date", namespaces=NS) == "2027-11-19"
    results = doc.findall(".//dcc:results/dcc:result", NS)
    assert len(results) == len(dummy_verification.results)
    err = results[3].find("dcc:data/dcc:quantity[@refType='basic_measurementError']/si:real", NS)
    assert err.findtext("si:value", namespaces=NS) == "-0.010"
    assert err.findtext("si:unit", namespaces=NS) == r"\kilogram"
    lower = results[3].find("dcc:data/dcc:quantity[@refType='basic_toleranceLimitLower']/si:real/si:value", NS)
    assert lower.text == "-0.010"


def test_calibration_dcc_carries_uncertainty(dummy_calibration):
    doc = etree.fromstring(render_dcc(dummy_calibration))
    mu = doc.findall(".//si:expandedMU", NS)
    assert len(mu) == 3
    assert [m.findtext("si:valueExpandedMU", namespaces=NS) for m in mu] == ["0.06"] * 3
    assert mu[0].findtext("si:coverageFactor", namespaces=NS) == "2"
    assert mu[0].findtext("si:coverageProbability", namespaces=NS) == "0.95"
    assert doc.find(".//dcc:statement[@refType='basic_recalibration']", NS) is None
    assert doc.find(".//dcc:conformity", NS) is None


def test_amendment_uses_report_amended_substituted(dummy_calibration):
    rev = dataclasses.replace(dummy_calibration, number="JZ2026-000090", revision=1, replaces="JZ2026-000077",
                              amendment=AmendmentType.AMENDED, amendment_reason="客户名称更正")
    xml = render_dcc(rev)
    _validate_everywhere(xml)
    change = etree.fromstring(xml).find(".//dcc:reportAmendedSubstituted", NS)
    assert change.findtext("dcc:typeOfChange", namespaces=NS) == "amended"
    assert change.findtext("dcc:replacedUniqueIdentifier", namespaces=NS) == "JZ2026-000077"


def test_mixed_and_minimal_records_validate(dummy_calibration, dummy_notice):
    """Variants: customer without address, asymmetric MPE, conformity on request, no standards."""
    line = ResultLine(item="示值", item_en="Indication", measured="36.9", unit="°C", mpe="0.1", mpe_lower="0.15",
                      uncertainty="0.05", k="2", coverage_probability="0.95", conformity=Conformity.PASS)
    variant = dataclasses.replace(dummy_calibration, customer=Party(name="个人客户"), standards=(), environment=(),
                                  results=(line,), conformity=Conformity.PASS, decision_rule="ILAC-G8 4.2.1",
                                  received_date=None)
    _validate_everywhere(render_dcc(variant))
    _validate_everywhere(render_dcc(dummy_notice))


def test_output_is_deterministic(dummy_verification):
    assert render_dcc(dummy_verification) == render_dcc(dummy_verification)


def test_bundled_schema_is_identical_to_shared_copy():
    if not SHARED_XSD.is_file():
        pytest.skip("shared/dcc not present")
    bundled = schema_path().parents[1]
    for rel in ("v3.3.0/dcc.xsd", "dsi/v2.2.1.xsd", "qudt/v2.2.1.xsd", "xmldsig-core-schema.xsd"):
        a = (bundled / rel).read_bytes()
        b = (SHARED_DCC / "v3.3.0" / "dcc" / rel).read_bytes()
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest(), rel


def test_unknown_unit_names_field():
    assert dsi_unit("u", "kPa") == r"\kilo\pascal"
    with pytest.raises(UnknownUnit, match="results\\[0\\].unit: no D-SI unit known for 'lb'"):
        dsi_unit("results[0].unit", "lb")
