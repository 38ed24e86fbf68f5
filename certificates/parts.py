"""Parts of the certificate record: enums and the small frozen classes it is made of.

Re-exported by :mod:`certificates.data`; see there for the contract as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from . import _checks as chk
from ._checks import CertificateDataError
from .units import DSI_UNITS


class DocumentKind(str, Enum):
    """Which document is issued."""

    VERIFICATION = "verification"                 #: 检定证书 (pass)
    VERIFICATION_NOTICE = "verification_notice"   #: 检定结果通知书 (fail)
    CALIBRATION = "calibration"                   #: 校准证书


class Conformity(str, Enum):
    """Statement of conformity, with the DCC ``conformity`` vocabulary."""

    PASS = "pass"
    FAIL = "fail"
    CONDITIONAL_PASS = "conditionalPass"
    CONDITIONAL_FAIL = "conditionalFail"


class SignatoryRole(str, Enum):
    """Who signs: 检定员/校准员, 核验员, 批准人 (the last one authorises, 17025 7.8.2.1 o)."""

    PERFORMER = "performer"
    CHECKER = "checker"
    APPROVER = "approver"


class AmendmentType(str, Enum):
    """How a revision relates to the certificate it replaces (DCC ``typeOfChange``)."""

    AMENDED = "amended"
    SUBSTITUTED = "substituted"


@dataclass(frozen=True)
class Laboratory:
    """The issuing laboratory (17025 7.8.2.1 b).

    :param lab_id: short code signed into the QR token, e.g. ``"GDIM"``
    :param name: name in Chinese; :param name_en: name in English
    :param address: postal address; :param city: city; :param country_code: ISO 3166-1 alpha-2
    :param authorisation: 计量授权证书号 or accreditation number, optional
    :param phone: telephone, optional
    """

    lab_id: str
    name: str
    name_en: str
    address: str
    city: str
    country_code: str = "CN"
    authorisation: str | None = None
    phone: str | None = None

    def __post_init__(self):
        chk.text("lab_id", self.lab_id, max_len=32)
        for f in ("name", "name_en", "address", "city"):
            chk.text(f, getattr(self, f), max_len=200)
        chk.text("country_code", self.country_code, max_len=2)
        if len(self.country_code) != 2 or not self.country_code.isascii() or not self.country_code.isupper():
            raise CertificateDataError("country_code", "must be two upper-case letters (ISO 3166-1)")
        chk.text("authorisation", self.authorisation, required=False, max_len=100)
        chk.text("phone", self.phone, required=False, max_len=50)


@dataclass(frozen=True)
class Party:
    """The customer (17025 7.8.2.1 e).

    :param name: name as registered; :param address: address, optional; :param contact: contact, optional
    """

    name: str
    address: str | None = None
    contact: str | None = None

    def __post_init__(self):
        chk.text("name", self.name, max_len=200)
        chk.text("address", self.address, required=False, max_len=200)
        chk.text("contact", self.contact, required=False, max_len=200)


@dataclass(frozen=True)
class Instrument:
    """The item verified or calibrated (17025 7.8.2.1 g).

    :param instrument_id: the lab's identifier for the item, signed into the QR token
    :param name: name in Chinese (计量器具名称); :param name_en: name in English
    :param model: model/specification; :param serial_number: serial number (出厂编号)
    :param manufacturer: manufacturer; :param accuracy_class: e.g. ``"Ⅲ"``, optional
    :param measuring_range: e.g. ``"(0~30) kg, e = 10 g"``, optional
    """

    instrument_id: str
    name: str
    name_en: str
    model: str
    serial_number: str
    manufacturer: str
    accuracy_class: str | None = None
    measuring_range: str | None = None

    def __post_init__(self):
        chk.text("instrument_id", self.instrument_id, max_len=64)
        for f in ("name", "name_en", "model", "serial_number", "manufacturer"):
            chk.text(f, getattr(self, f), max_len=200)
        chk.text("accuracy_class", self.accuracy_class, required=False, max_len=50)
        chk.text("measuring_range", self.measuring_range, required=False, max_len=200)


@dataclass(frozen=True)
class Method:
    """The regulation or specification used (17025 7.8.2.1 f, n).

    :param code: e.g. ``"JJG 539-2016"``; :param title: Chinese title; :param title_en: English title
    :param deviations: additions, deviations or exclusions from the method, optional
    """

    code: str
    title: str
    title_en: str
    deviations: str | None = None

    def __post_init__(self):
        chk.text("code", self.code, max_len=100)
        chk.text("title", self.title, max_len=200)
        chk.text("title_en", self.title_en, max_len=200)
        chk.text("deviations", self.deviations, required=False, multiline=True)


@dataclass(frozen=True)
class StandardUsed:
    """A reference standard and its traceability (17025 7.8.4.1 c).

    :param name: name; :param identifier: serial or lab id; :param measuring_range: range
    :param accuracy: uncertainty, class or MPE as printed (e.g. ``"M1 级"``)
    :param certificate_number: number of the standard's own certificate
    :param valid_until: end of validity of that certificate
    :param traceability: how traceability is achieved (e.g. the NMI that calibrated it)
    """

    name: str
    identifier: str
    measuring_range: str
    accuracy: str
    certificate_number: str
    valid_until: date
    traceability: str

    def __post_init__(self):
        for f in ("name", "identifier", "measuring_range", "accuracy", "certificate_number", "traceability"):
            chk.text(f, getattr(self, f), max_len=200)
        chk.date("valid_until", self.valid_until)


@dataclass(frozen=True)
class Condition:
    """An environmental or influence condition (17025 7.8.4.1 b).

    :param name: Chinese name (e.g. ``"温度"``); :param name_en: English name
    :param value: decimal string; :param unit: unit as printed (see :mod:`certificates.units`)
    """

    name: str
    name_en: str
    value: str
    unit: str

    def __post_init__(self):
        chk.text("name", self.name, max_len=100)
        chk.text("name_en", self.name_en, max_len=100)
        chk.decimal("value", self.value)
        _unit(self.unit)


@dataclass(frozen=True)
class ResultLine:
    """One measured point (17025 7.8.2.1 m; 7.8.4.1 a, e).

    :param item: test item in Chinese; :param item_en: in English
    :param measured: indicated/measured value; :param unit: unit of all values of the line
    :param nominal: reference (nominal/standard) value, optional
    :param error: error of indication, optional
    :param mpe: maximum permissible error magnitude (±mpe), optional
    :param mpe_lower: magnitude of the lower limit when asymmetric (+mpe / −mpe_lower)
    :param uncertainty: expanded uncertainty U, same unit; needs ``k`` and ``coverage_probability``
    :param k: coverage factor; :param coverage_probability: e.g. ``"0.95"``
    :param conformity: pass/fail for this point, optional
    """

    item: str
    item_en: str
    measured: str
    unit: str
    nominal: str | None = None
    error: str | None = None
    mpe: str | None = None
    mpe_lower: str | None = None
    uncertainty: str | None = None
    k: str | None = None
    coverage_probability: str | None = None
    conformity: Conformity | None = None

    def __post_init__(self):
        chk.text("item", self.item, max_len=100)
        chk.text("item_en", self.item_en, max_len=100)
        _unit(self.unit)
        for f in ("measured", "nominal", "error"):
            chk.decimal(f, getattr(self, f), required=f == "measured")
        for f in ("mpe", "mpe_lower", "uncertainty"):
            chk.decimal(f, getattr(self, f), required=False, non_negative=True)
        if self.mpe_lower is not None and self.mpe is None:
            raise CertificateDataError("mpe_lower", "needs mpe (the upper limit) as well")
        self._check_uncertainty()
        chk.enum("conformity", self.conformity, Conformity, required=False)

    def _check_uncertainty(self):
        given = [self.uncertainty is not None, self.k is not None, self.coverage_probability is not None]
        if any(given) and not all(given):
            raise CertificateDataError("uncertainty", "uncertainty, k and coverage_probability go together")
        if not all(given):
            return
        chk.decimal("k", self.k, non_negative=True)
        if float(self.k) < 1:
            raise CertificateDataError("k", f"coverage factor must be at least 1, got {self.k!r}")
        chk.decimal("coverage_probability", self.coverage_probability, non_negative=True)
        if not 0 < float(self.coverage_probability) <= 1 or "e" in self.coverage_probability.lower():
            raise CertificateDataError("coverage_probability", "must be a fraction in (0, 1], e.g. '0.95'")


@dataclass(frozen=True)
class Signatory:
    """A person who signs the document (《计量检定印、证管理办法》 Art. 8; 17025 7.8.2.1 o).

    :param name: name; :param role: performer, checker or approver; :param title: job title, optional
    """

    name: str
    role: SignatoryRole
    title: str | None = None

    def __post_init__(self):
        chk.text("name", self.name, max_len=100)
        chk.enum("role", self.role, SignatoryRole)
        chk.text("title", self.title, required=False, max_len=100)


def _unit(unit):
    chk.text("unit", unit, max_len=20)
    if unit not in DSI_UNITS:
        raise CertificateDataError("unit", f"unknown unit {unit!r}; known: {', '.join(DSI_UNITS)}")
