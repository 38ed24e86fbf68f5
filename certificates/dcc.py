"""Export a certificate record as a PTB Digital Calibration Certificate (DCC) 3.3.0.

Built with lxml, validated with xmlschema against the schema copy shipped in
``certificates/schemas`` (DCC 3.3.0 + D-SI 2.2.1; see ``schemas/SOURCE.txt``). Amendments
use ``coreData/reportAmendedSubstituted`` (17025 7.8.8). Quantities are D-SI ``si:real``
values with the expanded uncertainty in ``si:measurementUncertaintyUnivariate``.
"""
from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path

from lxml import etree

from . import labels as L
from ._dcc_results import measurement_result, statements
from .data import CertificateData, DocumentKind

__all__ = ["DCC_NS", "SI_NS", "SCHEMA_VERSION", "DccInvalid", "render_dcc", "validate_dcc", "schema_path"]

log = logging.getLogger(__name__)

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_VERSION = "3.3.0"
SOFTWARE_RELEASE = "1.0"
_NSMAP = {"dcc": DCC_NS, "si": SI_NS, "xsi": XSI_NS}
_D = f"{{{DCC_NS}}}"


class DccInvalid(ValueError):
    """A DCC document does not validate against the schema.

    :param errors: the validator's messages (first ones)
    """

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("DCC is not valid against schema 3.3.0: " + "; ".join(errors[:3]))


def _el(parent, tag: str, text: str | None = None, **attrib) -> etree._Element:
    e = etree.SubElement(parent, tag, {k: v for k, v in attrib.items() if v is not None})
    if text is not None:
        e.text = text
    return e


def _text(parent, tag: str, zh: str, en: str | None = None) -> etree._Element:
    """A dcc:textType element with Chinese and (optionally) English content."""
    e = _el(parent, _D + tag)
    _el(e, _D + "content", zh, lang="zh")
    if en:
        _el(e, _D + "content", en, lang="en")
    return e


def render_dcc(data: CertificateData) -> bytes:
    """Build the DCC XML of a certificate.

    :param data: the frozen certificate record
    :returns: UTF-8 XML bytes with declaration (deterministic for equal records)
    :raises certificates.units.UnknownUnit: when a unit has no D-SI spelling
    """
    if not isinstance(data, CertificateData):
        raise TypeError(f"data: must be a CertificateData, got {type(data).__name__}")
    root = etree.Element(_D + "digitalCalibrationCertificate", nsmap=_NSMAP)
    root.set("schemaVersion", SCHEMA_VERSION)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{DCC_NS} {DCC_NS}/v{SCHEMA_VERSION}/dcc.xsd")
    admin = _el(root, _D + "administrativeData")
    software = _el(_el(admin, _D + "dccSoftware"), _D + "software")
    _el(_el(software, _D + "name"), _D + "content", "metrology-lims certificates")
    _el(software, _D + "release", SOFTWARE_RELEASE)
    _el(software, _D + "type", "application")
    _core_data(admin, data)
    _items(admin, data)
    _laboratory(admin, data)
    _resp_persons(admin, data)
    _customer(admin, data)
    _statements(admin, data)
    _measurement_results(_el(root, _D + "measurementResults"), data)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _core_data(admin, data: CertificateData):
    core = _el(admin, _D + "coreData")
    _el(core, _D + "countryCodeISO3166_1", data.lab.country_code)
    _el(core, _D + "usedLangCodeISO639_1", "zh")
    _el(core, _D + "usedLangCodeISO639_1", "en")
    _el(core, _D + "mandatoryLangCodeISO639_1", "zh")
    _el(core, _D + "uniqueIdentifier", data.number)
    if data.raw_record_number:
        ident = _el(_el(core, _D + "identifications"), _D + "identification")
        _el(ident, _D + "issuer", "calibrationLaboratory")
        _el(ident, _D + "value", data.raw_record_number)
        _text(ident, "name", *L.FIELDS["raw_record"])
    if data.received_date:
        _el(core, _D + "receiptDate", data.received_date.isoformat())
    _el(core, _D + "beginPerformanceDate", data.performed_date.isoformat())
    _el(core, _D + "endPerformanceDate", (data.performed_end_date or data.performed_date).isoformat())
    _el(core, _D + "performanceLocation", "customer" if data.on_site else "laboratory")
    _el(core, _D + "issueDate", data.issue_date.isoformat())
    if data.replaces:
        assert data.amendment is not None  # validated with replaces (CertificateData.__post_init__)
        change = _el(core, _D + "reportAmendedSubstituted")
        _el(change, _D + "typeOfChange", data.amendment.value)
        _el(change, _D + "replacedUniqueIdentifier", data.replaces)


def _identification(parent, issuer: str, value: str, zh: str, en: str):
    ident = _el(parent, _D + "identification")
    _el(ident, _D + "issuer", issuer)
    _el(ident, _D + "value", value)
    _text(ident, "name", zh, en)


def _items(admin, data: CertificateData):
    inst = data.instrument
    item = _el(_el(admin, _D + "items"), _D + "item")
    _text(item, "name", inst.name, inst.name_en)
    details = [x for x in (inst.accuracy_class and f"准确度等级 Accuracy class: {inst.accuracy_class}",
                           inst.measuring_range and f"测量范围 Measuring range: {inst.measuring_range}") if x]
    if details:
        desc = _el(item, _D + "description")
        for d in details:
            _el(desc, _D + "content", d)
    _text(_el(item, _D + "manufacturer"), "name", inst.manufacturer)
    _el(item, _D + "model", inst.model)
    idents = _el(item, _D + "identifications")
    _identification(idents, "manufacturer", inst.serial_number, *L.FIELDS["serial"])
    _identification(idents, "calibrationLaboratory", inst.instrument_id, *L.FIELDS["instrument_id"])


def _location(parent, city: str | None, country: str | None, street: str | None):
    loc = _el(parent, _D + "location")
    if city:
        _el(loc, _D + "city", city)
    if country:
        _el(loc, _D + "countryCode", country)
    if street:
        _el(loc, _D + "street", street)
    if not (city or country or street):
        _el(_el(loc, _D + "further"), _D + "content", "未提供 / not provided")


def _laboratory(admin, data: CertificateData):
    lab = data.lab
    contact = _el(_el(admin, _D + "calibrationLaboratory"), _D + "contact")
    _text(contact, "name", lab.name, lab.name_en)
    if lab.phone:
        _el(contact, _D + "phone", lab.phone)
    _location(contact, lab.city, lab.country_code, lab.address)


def _resp_persons(admin, data: CertificateData):
    persons = _el(admin, _D + "respPersons")
    for s in data.signatories:
        rp = _el(persons, _D + "respPerson")
        _text(_el(rp, _D + "person"), "name", s.name)
        zh, en = L.role_label(s.role, data.kind)
        _el(rp, _D + "role", f"{zh} / {en}" + (f" ({s.title})" if s.title else ""))
        if s.role.value == "approver":
            _el(rp, _D + "mainSigner", "true")


def _customer(admin, data: CertificateData):
    cust = _el(admin, _D + "customer")
    _text(cust, "name", data.customer.name)
    if data.customer.contact:
        _el(cust, _D + "phone", data.customer.contact)
    _location(cust, None, None, data.customer.address)


def _statement(parent, zh: str, en: str | None = None, ref_type: str | None = None, **children):
    st = _el(parent, _D + "statement", refType=ref_type)
    for tag in ("norm", "reference"):
        if children.get(tag):
            _el(st, _D + tag, children[tag])
    decl = _el(st, _D + "declaration")
    _el(decl, _D + "content", zh, lang="zh")
    if en:
        _el(decl, _D + "content", en, lang="en")
    for tag in ("valid", "date", "conformity"):
        if children.get(tag) is not None:
            _el(st, _D + tag, children[tag])
    return st


def _statements(admin, data: CertificateData):
    statements(_el(admin, _D + "statements"), data, _statement)


def _measurement_results(parent, data: CertificateData):
    measurement_result(parent, data, _el, _text)


@functools.cache
def schema_path() -> Path:
    """Path of the bundled ``dcc.xsd`` 3.3.0 (inside the installed package).

    :returns: the file path
    """
    return Path(str(resources.files(__package__).joinpath("schemas", "dcc", "v3.3.0", "dcc.xsd")))


@functools.cache
def _schema(path: str):
    import xmlschema  # noqa: PLC0415 (deferred: ~0.3 s to import, needed only to validate)

    log.debug("compiling DCC schema %s", path)
    return xmlschema.XMLSchema(path, allow="local")


def validate_dcc(xml_bytes: bytes, schema: str | Path | None = None) -> None:
    """Validate DCC XML against the 3.3.0 schema (compiled once per process and path).

    :param xml_bytes: the document
    :param schema: another copy of ``dcc.xsd`` to validate against, default the bundled one
    :raises DccInvalid: listing the validation errors (also for XML that does not parse)
    """
    xs = _schema(str(schema or schema_path()))
    try:
        doc = etree.fromstring(xml_bytes, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DccInvalid([f"not well-formed XML: {exc}"]) from None
    errors = [f"{e.path}: {e.reason}" for e in xs.iter_errors(doc)]
    if errors:
        raise DccInvalid(errors)


def kind_title(kind: DocumentKind) -> tuple[str, str]:
    """Return the (Chinese, English) document title.

    :param kind: document kind
    :returns: the titles
    """
    return L.TITLES[kind]
