"""The certificate data contract: frozen records that ``lims`` builds and this package renders.

Nothing here knows about a database or a web framework. ``lims`` fills a
:class:`CertificateData` from its own tables (numbers already rounded with
``uncertainty.reporting``, given as decimal strings) and hands it to the renderers.
Every class validates itself on construction and raises :class:`CertificateDataError`
naming the field. :func:`to_dict`/:func:`from_dict` round-trip a record through plain
JSON-compatible data with a ``schema_version``; :func:`canonical_bytes` and
:func:`content_hash` give the bytes whose SHA-256 ``lims`` stores at issue.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date

from . import _checks as chk
from ._checks import CertificateDataError
from ._codec import from_dict as _from_dict
from ._codec import to_dict as _to_dict
from .parts import (
    AmendmentType,
    Condition,
    Conformity,
    DocumentKind,
    Instrument,
    Laboratory,
    Method,
    Party,
    ResultLine,
    Signatory,
    SignatoryRole,
    StandardUsed,
)

__all__ = [
    "SCHEMA_VERSION", "CertificateDataError", "DocumentKind", "Conformity", "SignatoryRole", "AmendmentType",
    "Laboratory", "Party", "Instrument", "Method", "StandardUsed", "Condition", "ResultLine", "Signatory",
    "CertificateData", "to_dict", "from_dict", "canonical_bytes", "content_hash", "replacement_of",
]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CertificateData:
    """Everything a certificate shows, frozen at issue. ``lims`` builds it; renderers read it.

    :param number: unique certificate number, printed on every page
    :param kind: verification certificate, verification-result notice or calibration certificate
    :param lab: issuing laboratory; :param customer: customer
    :param instrument: item verified or calibrated; :param method: regulation/specification used
    :param location: where the work was done (17025 7.8.2.1 c)
    :param on_site: the work was done at the customer's site (DCC ``performanceLocation``)
    :param performed_date: date of verification/calibration (first day)
    :param issue_date: date of issue (also the PDF creation date)
    :param results: measured points, at least one
    :param signatories: people who sign; an approver is always required
    :param standards: reference standards used, with traceability
    :param environment: environmental conditions
    :param performed_end_date: last day of the work if it took more than one day
    :param received_date: date the item was received, optional
    :param due_date: 有效期至 / recalibration date; required for a verification certificate,
        forbidden on a notice, allowed on a calibration certificate only with ``due_date_agreed``
    :param due_date_agreed: the customer asked for a recalibration date (17025 7.8.4.3)
    :param conformity: overall statement of conformity; pass for a verification certificate, fail
        for a notice, optional (on request) for a calibration certificate
    :param decision_rule: the decision rule; required whenever ``conformity`` is given
    :param revision: 0 for an original, n for the n-th replacement
    :param replaces: number of the certificate this one replaces (17025 7.8.8.3)
    :param amendment: whether the old one was amended or substituted
    :param amendment_reason: reason for the change (17025 7.8.8.1)
    :param raw_record_number: number of the raw record (原始记录编号), optional
    :param remarks: further statements, one per entry (e.g. results from external providers)
    """

    number: str
    kind: DocumentKind
    lab: Laboratory
    customer: Party
    instrument: Instrument
    method: Method
    location: str
    performed_date: date
    issue_date: date
    results: tuple[ResultLine, ...]
    signatories: tuple[Signatory, ...]
    standards: tuple[StandardUsed, ...] = ()
    environment: tuple[Condition, ...] = ()
    performed_end_date: date | None = None
    received_date: date | None = None
    due_date: date | None = None
    due_date_agreed: bool = False
    conformity: Conformity | None = None
    decision_rule: str | None = None
    revision: int = 0
    replaces: str | None = None
    amendment: AmendmentType | None = None
    amendment_reason: str | None = None
    raw_record_number: str | None = None
    remarks: tuple[str, ...] = ()
    on_site: bool = False

    def __post_init__(self):
        chk.text("number", self.number, max_len=64)
        chk.enum("kind", self.kind, DocumentKind)
        for name, cls in (("lab", Laboratory), ("customer", Party), ("instrument", Instrument), ("method", Method)):
            chk.instance(name, getattr(self, name), cls)
        chk.text("location", self.location, max_len=200)
        chk.items("results", self.results, ResultLine, min_len=1)
        chk.items("signatories", self.signatories, Signatory, min_len=1, max_len=10)
        chk.items("standards", self.standards, StandardUsed)
        chk.items("environment", self.environment, Condition, max_len=20)
        chk.items("remarks", self.remarks, str, max_len=20)
        for i, remark in enumerate(self.remarks):
            chk.text(f"remarks[{i}]", remark, multiline=True)
        chk.text("raw_record_number", self.raw_record_number, required=False, max_len=64)
        self._check_dates()
        self._check_kind()
        self._check_revision()
        if SignatoryRole.APPROVER not in {s.role for s in self.signatories}:
            raise CertificateDataError("signatories", "needs an approver (who authorised the document)")

    def _check_dates(self):
        for f in ("performed_date", "issue_date"):
            chk.date(f, getattr(self, f))
        for f in ("performed_end_date", "received_date", "due_date"):
            chk.date(f, getattr(self, f), required=False)
        end = self.performed_end_date or self.performed_date
        if end < self.performed_date:
            raise CertificateDataError("performed_end_date", "is before performed_date")
        if self.received_date is not None and self.received_date > self.performed_date:
            raise CertificateDataError("received_date", "is after performed_date")
        if self.issue_date < end:
            raise CertificateDataError("issue_date", "is before the work was finished")
        if self.due_date is not None and self.due_date <= end:
            raise CertificateDataError("due_date", "must be after the date of the work")
        for flag in ("due_date_agreed", "on_site"):
            if not isinstance(getattr(self, flag), bool):
                raise CertificateDataError(flag, "must be true or false")

    def _check_kind(self):
        chk.enum("conformity", self.conformity, Conformity, required=False)
        chk.text("decision_rule", self.decision_rule, required=False, multiline=True)
        if self.conformity is not None and self.decision_rule is None:
            raise CertificateDataError("decision_rule", "is required with a statement of conformity (17025 7.8.6)")
        if self.kind is DocumentKind.VERIFICATION:
            if self.conformity is not Conformity.PASS:
                raise CertificateDataError("conformity", "a verification certificate needs conformity 'pass'")
            if any(r.conformity in (Conformity.FAIL, Conformity.CONDITIONAL_FAIL) for r in self.results):
                raise CertificateDataError("results", "a verification certificate cannot contain failed items")
            if self.due_date is None:
                raise CertificateDataError("due_date", "a verification certificate needs a due date (有效期至)")
        elif self.kind is DocumentKind.VERIFICATION_NOTICE:
            if self.conformity is not Conformity.FAIL:
                raise CertificateDataError("conformity", "a verification-result notice needs conformity 'fail'")
            if not self.failed_items():
                raise CertificateDataError("results", "a verification-result notice must list the failed items")
            if self.due_date is not None:
                raise CertificateDataError("due_date", "a verification-result notice has no due date")
        else:
            missing = [i for i, r in enumerate(self.results) if r.uncertainty is None]
            if missing:
                raise CertificateDataError(f"results[{missing[0]}].uncertainty",
                                           "a calibration result needs its uncertainty (17025 7.8.4.1 a)")
            if self.due_date is not None and not self.due_date_agreed:
                raise CertificateDataError("due_date", "a calibration certificate shows a due date only when "
                                                       "agreed with the customer (17025 7.8.4.3)")

    def _check_revision(self):
        if not isinstance(self.revision, int) or isinstance(self.revision, bool) or not 0 <= self.revision < 1000:
            raise CertificateDataError("revision", "must be an integer from 0 to 999")
        chk.text("replaces", self.replaces, required=False, max_len=64)
        chk.enum("amendment", self.amendment, AmendmentType, required=False)
        chk.text("amendment_reason", self.amendment_reason, required=False, multiline=True)
        fields = (self.replaces, self.amendment, self.amendment_reason)
        if self.revision == 0:
            if any(f is not None for f in fields):
                raise CertificateDataError("revision", "replaces/amendment/amendment_reason need revision >= 1")
        elif any(f is None for f in fields):
            raise CertificateDataError("replaces", "a revision needs replaces, amendment and amendment_reason")
        if self.replaces is not None and self.replaces == self.number:
            raise CertificateDataError("replaces", "a certificate cannot replace itself")

    def failed_items(self) -> tuple[ResultLine, ...]:
        """Return the result lines judged fail or conditional fail.

        :returns: the failed lines, in order
        """
        return tuple(r for r in self.results if r.conformity in (Conformity.FAIL, Conformity.CONDITIONAL_FAIL))




def to_dict(data: CertificateData) -> dict:
    """Serialise a record to JSON-compatible data with ``schema_version``.

    :param data: the record
    :returns: a dict of str/int/bool/None/list/dict only (dates as ISO strings, enums as values)
    """
    chk.instance("data", data, CertificateData)
    return {"schema_version": SCHEMA_VERSION, **_to_dict(data)}


def from_dict(raw: dict) -> CertificateData:
    """Build and validate a record from :func:`to_dict` output (e.g. parsed JSON).

    :param raw: the mapping
    :returns: the validated record
    :raises CertificateDataError: naming the first bad key, including unknown keys and a
        missing or unsupported ``schema_version``
    """
    if not isinstance(raw, dict):
        raise CertificateDataError("certificate", f"must be a mapping, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CertificateDataError("schema_version", f"unsupported version {version!r}, expected {SCHEMA_VERSION}")
    body = {k: v for k, v in raw.items() if k != "schema_version"}
    return _from_dict(CertificateData, body, "")


def canonical_bytes(data: CertificateData) -> bytes:
    """Canonical UTF-8 JSON of :func:`to_dict` (sorted keys, no spaces; values are never floats).

    :param data: the record
    :returns: bytes that are identical for equal records
    """
    return json.dumps(to_dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(data: CertificateData) -> str:
    """SHA-256 of :func:`canonical_bytes`, as lower-case hex.

    :param data: the record
    :returns: 64 hex characters
    """
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def replacement_of(old: CertificateData, *, number: str, reason: str,
                   amendment: AmendmentType = AmendmentType.SUBSTITUTED, **changes) -> CertificateData:
    """Build the record of a certificate that replaces ``old`` (ISO/IEC 17025 7.8.8).

    The new record gets a new number, ``revision = old.revision + 1``, ``replaces = old.number``,
    the kind of change and its reason; ``changes`` are the corrected fields.

    :param old: the issued record being corrected
    :param number: the new, unique certificate number
    :param reason: why the certificate is replaced (printed and put into the DCC)
    :param amendment: amended or substituted
    :param changes: corrected fields, e.g. ``instrument=...``, ``issue_date=...``
    :returns: the validated replacement record
    :raises CertificateDataError: as for any record, or if ``changes`` touches the revision fields
    """
    reserved = {"number", "revision", "replaces", "amendment", "amendment_reason"} & set(changes)
    if reserved:
        raise CertificateDataError(sorted(reserved)[0], "is set by replacement_of, not by the caller")
    chk.instance("old", old, CertificateData)
    return dataclasses.replace(old, number=number, revision=old.revision + 1, replaces=old.number,
                               amendment=amendment, amendment_reason=reason, **changes)
