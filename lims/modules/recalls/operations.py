"""Record a standard found out of tolerance, list and re-evaluate the certificates that used it, decide each.

Affected certificates: every certificate, not revoked, of a job performed on or after the standard's
last good calibration whose judged points were measured with the standard (the point budgets name
the calibration values used), and — for certificates without point budgets — those whose record
lists the standard among the standards used. Each point is re-evaluated with the corrected value:
``L' = L + Σ(value' − value)`` over the standard's weights used, ``E' = E − (L' − L)``, judged
against the same MPE; a point whose verdict changes, or that cannot be re-evaluated (no corrected
values at all: a damaged standard), marks the certificate ``may_change``; a weight the recalibration did not
correct keeps its value. Operations only ``flush()``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lims.core.auth import sees_all_organisations
from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.budgets.references import convert
from lims.modules.issuance import operations as issuance
from lims.modules.issuance.models import Certificate
from lims.modules.procedures.definitions import fmt
from lims.modules.procedures.models import PointResult
from lims.modules.recalls.models import RecallItem, StandardIncident

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.equipment.models import ReferenceStandard
    from lims.modules.users.models import User

_NOMINAL = re.compile(r"\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*(\S+)\s*")


def _dec(x):
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(str(x))


def _corrected(std_corrections, part, unit):
    """The corrected value (in ``unit``) of the weight/point ``part`` from the incident's corrections, or None."""

    m = _NOMINAL.fullmatch(part["nominal"])
    for row in std_corrections:
        n = _NOMINAL.fullmatch(str(row.get("nominal", "")))
        if not m or not n or convert(Decimal(n[1]), n[2], unit) != convert(Decimal(m[1]), m[2], unit):
            continue
        try:
            return convert(_dec(row["value"]), row.get("unit") or n[2], unit)
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return None
    return None


def reevaluate(row: PointResult, standard_id: int, corrections: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Re-evaluate one judged point with the standard's corrected values.

    :returns: ``{"point", "unit", "reference", "reference_new", "error", "error_new", "mpe", "verdict",
        "verdict_new", "may_change", "why"}`` (``*_new`` None when no corrected value is known)
    """
    parts = [p for p in (row.budget or {}).get("standards", []) if p["standard_id"] == standard_id]
    out = {"point": row.point, "unit": row.unit, "reference": row.reference, "error": row.corrected_error,
           "mpe": row.mpe, "verdict": row.verdict, "reference_new": None, "error_new": None, "verdict_new": None}
    shift = Decimal(0)
    if not corrections:  # damaged, or found out of tolerance without new values: nothing to re-evaluate with
        return {**out, "may_change": True, "why": "no corrected values: the verdict cannot be confirmed"}
    for part in parts:  # a weight the recalibration did not correct keeps its value
        new = _corrected(corrections, part, row.unit)
        shift += (new - Decimal(part["value"])) if new is not None else Decimal(0)
    ref_new = Decimal(row.reference) + shift
    err_new = Decimal(row.corrected_error) - shift
    verdict_new = "pass" if abs(err_new) <= Decimal(row.mpe) else "fail"

    return {**out, "reference_new": fmt(ref_new), "error_new": fmt(err_new), "verdict_new": verdict_new,
            "may_change": verdict_new != row.verdict,
            "why": "verdict changes with the corrected value" if verdict_new != row.verdict else "verdict unchanged"}


def affected(std: ReferenceStandard, since: dt.date, corrections: Sequence[dict[str, Any]]
             ) -> list[tuple[Certificate, list[dict[str, Any]], bool]]:
    """``[(certificate, [re-evaluated points], may_change)]`` for the certificates that used ``std`` since ``since``."""
    certs = db.session.execute(select(Certificate).where(Certificate.revoked_dt.is_(None),
                                                         Certificate.performed_on >= since)
                               .order_by(Certificate.id)).scalars().all()
    out = []
    for cert in certs:
        rows = db.session.execute(select(PointResult).where(PointResult.job_id == cert.job_id)
                                  .order_by(PointResult.id)).scalars().all()
        used = [r for r in rows if any(p["standard_id"] == std.id for p in (r.budget or {}).get("standards", []))]
        if used:
            points = [reevaluate(r, std.id, corrections) for r in used]
            out.append((cert, points, any(p["may_change"] for p in points)))
        elif not any(r.budget for r in rows) and any(
                s.get("certificate_number") == std.certificate_number and s.get("identifier") in (std.code,
                                                                                                  std.serial_number)
                for s in cert.record.get("standards", [])):
            out.append((cert, [], True))  # listed on the certificate, no point budgets: cannot be re-evaluated
    return out


def record_incident(std: ReferenceStandard, user: User, data: dict[str, Any]) -> StandardIncident:
    """Record ``std`` found out of tolerance (or damaged) and open a recall item per affected certificate.

    :param data: ``kind``, ``found_on``, optional ``last_good_on`` (default: the standard's calibration
        date), ``corrections`` ([{nominal, value, unit}]), ``notes``
    :raises DomainValidationError: a date in the future, or last good calibration after the finding
    """
    last_good = data.get("last_good_on") or std.calibrated_on
    if data["found_on"] > dt.date.today():
        raise DomainValidationError({"found_on": ["must not be in the future"]})
    if last_good > data["found_on"]:
        raise DomainValidationError({"last_good_on": ["must not be after found_on"]})
    corrections = [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in c.items()}
                   for c in data.get("corrections") or []]
    incident = StandardIncident(standard_id=std.id, kind=data["kind"], found_on=data["found_on"],
                                last_good_on=last_good, corrections=corrections, notes=data.get("notes") or "",
                                recorded_by_id=user.id, recorded_dt=now_utc())
    db.session.add(incident)
    db.session.flush()
    for cert, points, may_change in affected(std, last_good, corrections):
        db.session.add(RecallItem(incident_id=incident.id, certificate_id=cert.id,
                                  organisation_id=cert.instrument.owner_id, points=points, may_change=may_change,
                                  decision_note=""))
    db.session.flush()
    return incident


def items_for(user: User) -> Select[RecallItem]:
    """The recall items ``user`` may see: all for lab staff, their organisation's for customers."""

    query = select(RecallItem).order_by(RecallItem.id.desc())
    if not sees_all_organisations(user):
        query = query.where(RecallItem.organisation_id == user.organisation_id)
    return query


def decide(item: RecallItem, user: User, decision: str, note: str | None) -> RecallItem:
    """The lab manager's decision on one certificate: keep, amend (a replacement follows) or revoke.

    :raises Conflict: already decided, or the certificate was revoked meanwhile
    :raises DomainValidationError: revoke or amend without a note
    """

    if item.decision is not None:
        raise Conflict(f"certificate {item.certificate.number} was already decided: {item.decision}")
    note = (note or "").strip()
    if decision in ("amend", "revoke") and not note:
        raise DomainValidationError({"note": ["give the reason (it is printed on the check page and the letter)"]})
    if decision == "revoke":
        std = item.incident.standard
        finding = item.incident.kind.replace("_", " ")
        issuance.revoke(item.certificate, user, f"reference standard {std.code} found {finding} "
                                                f"on {item.incident.found_on.isoformat()}: {note}")
    item.decision, item.decision_note, item.decided_by_id, item.decided_dt = decision, note, user.id, now_utc()
    db.session.flush()
    return item


def letter(item: RecallItem) -> str:
    """The customer's letter (zh + en, plain text) about one affected certificate."""
    inc, cert = item.incident, item.certificate
    std = inc.standard
    what_zh = {"out_of_tolerance": "超出允差", "damaged": "损坏"}[inc.kind]
    lines = [
        f"致 {cert.instrument.owner.name}：",
        "",
        f"本院标准器 {std.code}（{std.name}，证书 {std.certificate_number}）"
        f"于 {inc.found_on.isoformat()} 被发现{what_zh}。"
        f"自其上次有效校准（{inc.last_good_on.isoformat()}）以来使用该标准器出具的证书 {cert.number}"
        f"（{cert.instrument.manufacturer} {cert.instrument.model}，出厂编号 {cert.instrument.serial_number}，"
        f"检定/校准日期 {cert.performed_on.isoformat()}）受到影响，我们已按修正值重新评定各检定点：",
        "",
    ]
    for p in item.points:
        new = (f"修正后误差 {p['error_new']} {p['unit']}，结论 {p['verdict_new']}" if p["error_new"] is not None
               else "无修正值，无法确认")
        lines.append(f"  - {p['point']}: 原误差 {p['error']} {p['unit']}（MPE ±{p['mpe']}），"
                     f"原结论 {p['verdict']}；{new}")
    if not item.points:
        lines.append("  - 该证书无逐点评定记录，结论无法自动复核。")
    lines += ["", "结论可能改变。" if item.may_change else "各点结论不变。",
              "处理决定："
              + {"keep": "维持", "amend": "更正（将发出替代证书）", "revoke": "撤销"}.get(item.decision, "待定")  # type: ignore[arg-type]
              + (f"（{item.decision_note}）" if item.decision_note else ""), "",
              f"To {cert.instrument.owner.name}:", "",
              f"Our reference standard {std.code} ({std.name}, certificate {std.certificate_number}) was found "
              f"{inc.kind.replace('_', ' ')} on {inc.found_on.isoformat()}. Certificate {cert.number} "
              f"(performed {cert.performed_on.isoformat()}) used it after its last good calibration "
              f"({inc.last_good_on.isoformat()}); each point was re-evaluated with the corrected value.",
              "The verdict may change." if item.may_change else "No verdict changes.",
              f"Decision: {item.decision or 'pending'}" + (f" ({item.decision_note})" if item.decision_note else ""),
              "", "省计量测试研究院 / the institute", ""]
    return "\n".join(lines)
