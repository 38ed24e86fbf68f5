"""Build the frozen certificate record (the ``certificates`` library's JSON form) from the database.

Everything here returns plain JSON-compatible data in the shape of
``certificates.data.to_dict``; :mod:`lims.modules.issuance.render` validates it into a
``CertificateData``. Results come from the issue request, else from the test points judged by
the procedures area (``docs/procedures.md``), else from ``R:`` lines in the job notes (see
``docs/issuance.md``); a verification without any result line gets one summary line with the
overall verdict.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select

from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.organisations.models import Organisation
from lims.modules.procedures import operations as procedures
from lims.modules.users.models import User

if TYPE_CHECKING:
    from lims.modules.equipment.models import Bench, Instrument
    from lims.modules.jobs.models import Job

SCHEMA_VERSION = 1
_NOTE_KEYS = {"item": "item", "item_en": "item_en", "nominal": "nominal", "measured": "measured", "error": "error",
              "mpe": "mpe", "unit": "unit", "u": "uncertainty", "k": "k", "p": "coverage_probability",
              "result": "conformity"}


def lab_record() -> dict[str, Any]:
    """Return the laboratory part of a record from the lab organisation and the ``LAB_*`` settings.

    :raises Conflict: when no organisation of kind ``lab`` exists
    """

    lab = db.session.execute(select(Organisation).where(Organisation.kind == "lab").order_by(Organisation.id)
                             ).scalars().first()
    if lab is None:
        raise Conflict("no laboratory organisation is registered")
    cfg = current_app.config
    return {"lab_id": cfg.get("LAB_ID", "LIMS"), "name": lab.name,
            "name_en": cfg.get("LAB_NAME_EN", "Legal metrology laboratory"),
            "address": lab.address or cfg.get("LAB_ADDRESS", "—"), "city": cfg.get("LAB_CITY", "—"),
            "country_code": cfg.get("LAB_COUNTRY", "CN"), "authorisation": cfg.get("LAB_AUTHORISATION"),
            "phone": lab.contact or None}


def _measuring_range(chars):
    if "max" in chars and "e" in chars:
        return f"(0~{chars['max'] / 1000:g}) kg, e = {chars['e']:g} g"
    if "range_min" in chars and "range_max" in chars:
        return f"({chars['range_min']:g}~{chars['range_max']:g})"
    return None


def instrument_record(inst: Instrument) -> dict[str, Any]:
    """Return the instrument part: identity as registered (the lab's id is ``INS-<id>``)."""
    chars = inst.characteristics or {}
    return {"instrument_id": f"INS-{inst.id:06d}", "name": inst.type.name_zh, "name_en": inst.type.name_en,
            "model": inst.model, "serial_number": inst.serial_number, "manufacturer": inst.manufacturer,
            "accuracy_class": chars.get("accuracy_class") or None, "measuring_range": _measuring_range(chars)}


def standards_record(bench: Bench | None) -> list[dict[str, Any]]:
    """Return the standards on the job's bench with their certificate numbers (traceability)."""
    if bench is None:
        return []
    return [{"name": s.name, "identifier": s.serial_number or s.code, "measuring_range": s.measuring_range or "—",
             "accuracy": s.accuracy_class or "—", "certificate_number": s.certificate_number,
             "valid_until": s.due_on.isoformat(), "traceability": s.certificate_issuer}
            for s in bench.standards]


def results_from_notes(notes: str | None) -> list[dict[str, str]]:
    """Parse ``R: item=…; item_en=…; nominal=…; measured=…; mpe=…; unit=…; result=pass`` lines.

    :param notes: the job notes
    :returns: result-line dicts (possibly empty)
    :raises DomainValidationError: naming the note line with an unknown key or no ``=``
    """
    lines = []
    for n, line in enumerate((notes or "").splitlines(), 1):
        if not line.strip().upper().startswith("R:"):
            continue
        entry = {}
        for part in line.strip()[2:].split(";"):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key = key.strip().lower()
            if not sep or key not in _NOTE_KEYS:
                raise DomainValidationError({"notes": [f"line {n}: expected key=value with keys "
                                                       f"{', '.join(_NOTE_KEYS)}, got {part.strip()!r}"]})
            entry[_NOTE_KEYS[key]] = value.strip()
        lines.append(entry)
    return lines


def _signatories(job, issuer):
    title = ("检定员", "校准员")[job.kind == "calibration"]
    out = []
    for uid, role, ttl in ((job.submitted_by_id, "performer", title), (job.decided_by_id, "checker", "核验员")):
        user = db.session.get(User, uid) if uid else None
        if user is not None and user.id != issuer.id:
            out.append({"name": user.display_name, "role": role, "title": ttl})
    out.append({"name": issuer.display_name, "role": "approver", "title": "授权签字人"})
    return out


def _verdict(job, options):
    """Return (document kind, conformity, due date, due agreed) for the job."""
    inst = job.instrument
    if job.kind == "verification":
        if job.result == "fail":
            return "verification_notice", "fail", None, False
        if inst.verified_until is None:
            raise Conflict(f"instrument {inst.id} has no valid-until date; a verification certificate needs one")
        return "verification", "pass", inst.verified_until.isoformat(), False
    conformity = job.result if options.get("statement_of_conformity") else None
    due = options.get("due_date")
    return "calibration", conformity, due.isoformat() if due else None, due is not None


def default_results(job: Job, conformity: str | None) -> list[dict[str, Any]]:
    """The one summary line of a verification without detailed results."""
    if job.kind == "calibration":
        raise DomainValidationError({"results": ["a calibration certificate needs result lines with their "
                                                 "uncertainty (in the request or as R: lines in the job notes)"]})
    return [{"item": "检定结论（外观、功能及示值检查）", "item_en": "Overall verification result", "measured": "1",
             "unit": "1", "conformity": conformity}]


def build_record(job: Job, issuer: User, number: str, options: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Build the whole record for ``job`` as JSON-compatible data.

    :param job: an approved job
    :param issuer: the signing lab manager
    :param number: the new certificate number
    :param options: validated request options (results, environment, remarks, location, due_date, ...)
    :param today: the issue date
    :returns: a dict accepted by ``certificates.data.from_dict``
    """
    kind, conformity, due, agreed = _verdict(job, options)


    rule_code = options.get("decision_rule") or "simple"
    guard = Decimal(repr(options["guard_factor"])) if options.get("guard_factor") is not None else Decimal(1)
    judgement = procedures.judged(job)  # once: the result lines and the decision rule both read it
    judged = procedures.certificate_results(job, conformity is not None, rule_code, guard, judgement)
    results = (options.get("results") or judged or results_from_notes(job.notes)
               or default_results(job, conformity))
    inst = job.instrument
    assert job.performed_on is not None  # set when the job was submitted; only approved jobs get here
    received = job.received_dt.date() if job.received_dt else None
    rule = f"依据 {job.instrument.type.regulation}，|示值误差| ≤ MPE 判合格 / simple acceptance, |error| ≤ MPE"
    if judged and not options.get("results"):
        rule = procedures.decision_rule(job, rule_code, guard, judgement) or rule
        if kind == "calibration" and conformity is not None:  # the statement follows the lines under the rule
            conformity = "fail" if any(x.get("conformity") == "fail" for x in judged) else "pass"
    return {
        "schema_version": SCHEMA_VERSION, "number": number, "kind": kind, "revision": 0,
        "lab": lab_record(),
        "customer": {"name": inst.owner.name, "address": inst.owner.address or None,
                     "contact": inst.owner.contact or None},
        "instrument": instrument_record(inst),
        "method": {"code": inst.type.regulation.split(" / ")[0][:100], "title": inst.type.name_zh,
                   "title_en": inst.type.name_en},
        "location": options.get("location") or "本院实验室 / laboratory of the institute",
        "on_site": bool(options.get("on_site")), "performed_date": job.performed_on.isoformat(),
        "received_date": received.isoformat() if received and received <= job.performed_on else None,
        "issue_date": today.isoformat(), "due_date": due, "due_date_agreed": agreed,
        "conformity": conformity, "decision_rule": rule if conformity else None,
        "raw_record_number": f"JOB-{job.id:06d}",
        "standards": standards_record(job.bench),
        "environment": options.get("environment") or [], "results": results,
        "signatories": _signatories(job, issuer), "remarks": options.get("remarks") or [],
    }


def amended_record(old_record: Mapping[str, Any], issuer: User, number: str, data: Mapping[str, Any],
                   today: dt.date) -> dict[str, Any]:
    """Build the record of a replacement: the old content with the corrections applied.

    :param old_record: the frozen record of the certificate being replaced
    :param issuer: the signing lab manager
    :param number: the new certificate number
    :param data: validated corrections (reason, amendment, results, remarks, location, environment)
    :param today: the issue date
    :returns: a dict accepted by ``certificates.data.from_dict``
    """
    rec = {k: v for k, v in old_record.items()}
    for key in ("results", "remarks", "location", "environment"):
        if data.get(key):
            rec[key] = data[key]
    signers = [s for s in rec["signatories"] if s["role"] != "approver"]
    rec.update(number=number, revision=old_record["revision"] + 1, replaces=old_record["number"],
               amendment=data.get("amendment") or "amended", amendment_reason=data["reason"],
               issue_date=today.isoformat(),
               signatories=signers + [{"name": issuer.display_name, "role": "approver", "title": "授权签字人"}])
    return rec


def today_local() -> dt.date:
    """The date of issue (the lab's calendar day)."""
    return dt.date.today()
