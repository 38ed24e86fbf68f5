"""Operations on the register. They mutate and flush; the request or command commits."""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from lims.core.audit import insert_audited
from lims.core.db import check_version, now_utc, populate_from_dict
from lims.core.http import Conflict, DomainValidationError
from lims.core.text import identity_problems
from lims.extensions import db
from lims.modules.equipment.models import Bench, Instrument, InstrumentType, ReferenceStandard
from lims.modules.equipment.rules import validate_characteristics
from lims.modules.organisations.models import Organisation

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from lims.modules.users.models import User

#: an import row: the checked text and characteristics, and the owner (None when the row names no valid one)
ImportRow = tuple[dict[str, Any], Organisation | None]
IdentityKey = tuple[str, str, str]

CUSTOMER_ORG_KIND = {"market_manager": "market", "equipment_officer": "hospital"}
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_BYTES = 10 * 1024 * 1024  # an uploaded register (API and page); 20,000 rows fit easily
IDENTITY_TEXT = ("manufacturer", "model", "serial_number")
#: what identifies an instrument metrologically: fixed once it is verified (a lab correction withdraws it)
IDENTITY = IDENTITY_TEXT + ("characteristics",)
CORRECTING_ROLES = ("lab_manager", "admin")


def type_by_code(code: str) -> InstrumentType | None:
    return db.session.execute(select(InstrumentType).where(InstrumentType.code == code)).scalar_one_or_none()


def create_instrument(data: dict[str, Any], owner: Organisation) -> Instrument:
    """Create an instrument owned by ``owner`` from validated ``data``.

    :raises DomainValidationError: unknown type, characteristics that do not fit the type.
    :raises Conflict: the manufacturer+model+serial number is already registered.
    """
    problems = identity_problems(data, IDENTITY_TEXT + ("location",))
    if problems:
        raise DomainValidationError(problems)
    itype = type_by_code(data["type_code"])
    if itype is None:
        raise DomainValidationError({"type_code": [f"unknown instrument type {data['type_code']!r}"]})
    errors = validate_characteristics(itype, data.get("characteristics") or {})
    if errors:
        raise DomainValidationError({"characteristics": errors})
    _check_identity_free(data["manufacturer"], data["model"], data["serial_number"])
    inst = Instrument(type_id=itype.id, type=itype, owner_id=owner.id, owner=owner,
                      location=data.get("location", ""), manufacturer=data["manufacturer"],
                      model=data["model"], serial_number=data["serial_number"],
                      characteristics=data.get("characteristics") or {})
    db.session.add(inst)
    db.session.flush()
    return inst


def _check_identity_free(manufacturer, model, serial, exclude_id=None):
    """:raises Conflict: the make and model already have this serial number (compared case-insensitively)."""
    q = select(Instrument.id).where(Instrument.manufacturer == manufacturer, Instrument.model == model,
                                    func.lower(Instrument.serial_number) == serial.lower())
    if exclude_id is not None:
        q = q.where(Instrument.id != exclude_id)
    if db.session.execute(q).first() is not None:
        raise Conflict(f"an instrument {manufacturer} {model} with serial number {serial} is already registered")


def is_verified(inst: Instrument) -> bool:
    """True once a verification of ``inst`` is on record (its identity is then fixed)."""
    return inst.last_verified_on is not None or inst.last_result is not None


def update_instrument(inst: Instrument, data: dict[str, Any], user: User) -> dict[str, Any]:
    """Apply a partial update to ``inst`` (``data`` carries the client's ``version``).

    After a verification, serial number, make, model and characteristics are fixed for customers
    (409); a lab manager's (or admin's) correction is allowed, recorded in the audit trail like every
    change, and withdraws the verified status (``verified_until`` cleared) until the next verification.

    :raises Conflict: a stale version, a customer changing a verified instrument's identity, or an
        identity that is already registered
    :raises DomainValidationError: characteristics that do not fit the type, identity text with
        invisible or control characters
    """
    check_version(inst, data.pop("version"))
    problems = identity_problems(data, IDENTITY_TEXT + ("location",))
    if problems:
        raise DomainValidationError(problems)
    if "characteristics" in data:
        errors = validate_characteristics(inst.type, data["characteristics"])
        if errors:
            raise DomainValidationError({"characteristics": errors})
    changed = [k for k in IDENTITY if k in data and data[k] != getattr(inst, k)]
    if changed and is_verified(inst) and user.role not in CORRECTING_ROLES:
        raise Conflict(f"instrument {inst.serial_number} has been verified: its {', '.join(changed)} cannot be "
                       "changed; ask the laboratory to correct it (the correction withdraws the verification)")
    ident = {k: data.get(k, getattr(inst, k)) for k in IDENTITY_TEXT}
    _check_identity_free(ident["manufacturer"], ident["model"], ident["serial_number"], exclude_id=inst.id)
    if changed and is_verified(inst):  # a lab correction: one audited change with the withdrawal
        data["verified_until"] = None
    changes = populate_from_dict(inst, data)
    db.session.flush()
    return changes


def delete_instrument(inst: Instrument) -> None:
    """Soft-delete ``inst``: it leaves the register but its history stays."""
    inst.is_deleted = True
    db.session.flush()


def create_type(data: dict[str, Any]) -> InstrumentType:
    if type_by_code(data["code"]) is not None:
        raise Conflict(f"instrument type {data['code']} already exists")
    itype = InstrumentType(**data)
    db.session.add(itype)
    db.session.flush()
    return itype


STANDARD_IDENTITY = ("code", "name", "manufacturer", "model", "serial_number", "certificate_number")


def create_standard(data: dict[str, Any]) -> ReferenceStandard:
    problems = identity_problems(data, STANDARD_IDENTITY)
    if problems:
        raise DomainValidationError(problems)
    if db.session.execute(select(ReferenceStandard).where(ReferenceStandard.code == data["code"])).first():
        raise Conflict(f"a reference standard with code {data['code']} already exists")
    std = ReferenceStandard(**data)
    db.session.add(std)
    db.session.flush()
    return std


def update_standard(std: ReferenceStandard, data: dict[str, Any]) -> dict[str, Any]:
    """Version-checked update of a reference standard (e.g. after its recalibration).

    :raises DomainValidationError: the due date would not be after the calibration date
    :raises Conflict: a stale version
    """
    check_version(std, data.pop("version"))
    problems = identity_problems(data, STANDARD_IDENTITY)
    if problems:
        raise DomainValidationError(problems)
    calibrated_on = data.get("calibrated_on", std.calibrated_on)
    due_on = data.get("due_on", std.due_on)
    if due_on <= calibrated_on:
        field = "due_on" if "due_on" in data else "calibrated_on"
        raise DomainValidationError({field: [f"due_on ({due_on}) must be after calibrated_on ({calibrated_on})"]})
    changes = populate_from_dict(std, data)
    db.session.flush()
    return changes


def _standards(ids):
    stds = []
    for sid in ids:
        std = db.session.get(ReferenceStandard, sid)
        if std is None or std.is_deleted:
            raise DomainValidationError({"standard_ids": [f"no reference standard {sid}"]})
        stds.append(std)
    return stds


def create_bench(data: dict[str, Any]) -> Bench:
    if db.session.execute(select(Bench).where(Bench.name == data["name"])).first():
        raise Conflict(f"a bench named {data['name']} already exists")
    bench = Bench(name=data["name"], location=data.get("location", ""), ports=data.get("ports", []))
    bench.standards = _standards(data.get("standard_ids", []))
    db.session.add(bench)
    db.session.flush()
    return bench


def update_bench(bench: Bench, data: dict[str, Any]) -> dict[str, Any]:
    """Version-checked update of a bench: name, location, ports, attached standards.

    :raises Conflict: a stale version, or another bench already has the new name
    :raises DomainValidationError: a standard id that does not exist
    """
    check_version(bench, data.pop("version"))
    if "name" in data and data["name"] != bench.name and db.session.execute(
            select(Bench.id).where(Bench.name == data["name"])).first():
        raise Conflict(f"a bench named {data['name']} already exists")
    if "standard_ids" in data:
        bench.standards = _standards(data.pop("standard_ids"))
    changes = populate_from_dict(bench, data)
    db.session.flush()
    return changes


def ensure_standards_usable(standards: Iterable[ReferenceStandard], day: dt.date) -> None:
    """Refuse to use a standard outside its calibration validity on ``day``.

    :raises Conflict: naming each overdue standard and its due date.
    """
    bad = [f"{s.code} (due {s.due_on.isoformat()})" for s in standards if not s.is_usable_on(day)]
    if bad:
        raise Conflict("reference standard past its calibration due date may not be used: " + ", ".join(bad))


# --- CSV import --------------------------------------------------------------------------------

IMPORT_COLUMNS = ("type_code", "manufacturer", "model", "serial_number", "location")


def parse_number(text: str) -> int | float | None:
    """The JSON value a typed-in number carries: int when written without a point or exponent, else float.

    :returns: the number, or None when ``text`` is not one
    """
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def read_characteristics(itype: InstrumentType, lookup: Callable[[str], str | None]
                         ) -> tuple[dict[str, int | float | str], list[tuple[str, str]]]:
    """Read an instrument type's characteristics from text (a CSV row, a form).

    :param lookup: ``lookup(key)`` returns the text given for characteristic ``key`` (or None)
    :returns: ``(values, bad)``: the values given, and ``[(key, text)]`` of number fields that
        are not numbers. Whether the values satisfy the type is :func:`create_instrument`'s job.
    """
    values: dict[str, int | float | str] = {}
    bad: list[tuple[str, str]] = []
    for c in itype.characteristics:
        raw = (lookup(c["key"]) or "").strip()
        if not raw:
            continue
        if c["kind"] == "number":
            value = parse_number(raw)
            if value is None:
                bad.append((c["key"], raw))
                continue
            values[c["key"]] = value
        else:
            values[c["key"]] = raw
    return values, bad


def owner_for_new_instrument(user: User, owner_id: int | None) -> Organisation:
    """The organisation a new instrument of ``user``'s is registered for.

    Customers register for their own organisation only; an admin must name the owner.

    :raises DomainValidationError: an admin gave no owner, or one that does not exist
    :raises Forbidden: a customer named another organisation
    """

    if user.role == "admin":
        if owner_id is None:
            raise DomainValidationError({"owner_id": ["required for admins"]})
        owner = db.session.get(Organisation, owner_id)
        if owner is None:
            raise DomainValidationError({"owner_id": [f"no organisation {owner_id}"]})
        return owner
    if owner_id is not None and owner_id != user.organisation_id:
        raise Forbidden("you may register instruments only for your own organisation")
    return user.organisation


def import_instruments(text: str, user_org: Organisation | None, allow_owner_column: bool
                       ) -> tuple[int, list[dict[str, Any]]]:
    """Validate every row of an instrument register CSV, then create all rows or none.

    :param text: the CSV text (UTF-8, header row; columns ``type_code, manufacturer, model,
        serial_number, location``, an ``owner_id`` column for admins, and one column per
        characteristic key of the type, e.g. ``max, min, e, d, accuracy_class``).
    :param user_org: the importing user's organisation (the owner when no owner column is allowed).
    :param allow_owner_column: True for admins, who import on behalf of any organisation.
    :returns: ``(created_count, errors)``; when ``errors`` is non-empty nothing was created.
    """
    rows, errors = validate_import(text, user_org, allow_owner_column)
    if errors:
        return 0, errors
    with db.session.begin_nested():
        insert_rows(rows)  # type: ignore[arg-type]  # no errors: every row has its owner
    return len(rows), []


def validate_import(text: str, user_org: Organisation | None, allow_owner_column: bool, skip: int = 0
                    ) -> tuple[list[ImportRow], list[dict[str, Any]]]:
    """Check every row of a register CSV with set-based look-ups (types, owners and identities once).

    :param skip: data rows already stored by an earlier attempt of the same import (not re-checked)
    :returns: ``(rows, errors)``: the rows as ``(data, owner_id)`` after ``skip``, and the problems
        as ``{"row", "column", "problem"}`` (row 1 is the header)
    """
    errors: list[dict[str, Any]] = []
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
    except csv.Error as exc:
        return [], [{"row": 1, "column": "", "problem": f"unreadable CSV: {exc}"}]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if allow_owner_column and "owner_id" not in header:
        missing.append("owner_id")
    if missing:
        return [], [{"row": 1, "column": c, "problem": "missing column"} for c in missing]
    raw: list[tuple[int, Any]] = []  # DictReader rows: text, and a list under None for extra fields
    try:
        for rownum, row in enumerate(reader, start=2):
            if rownum - 1 > MAX_IMPORT_ROWS:
                return [], [{"row": rownum, "column": "", "problem": f"more than {MAX_IMPORT_ROWS} rows"}]
            raw.append((rownum, row))
    except csv.Error as exc:
        return [], [{"row": reader.line_num, "column": "", "problem": f"unreadable CSV: {exc}"}]
    if not raw:
        return [], [{"row": 2, "column": "", "problem": "the file has no data rows"}]
    raw = raw[skip:]
    types = {t.code: t for t in db.session.execute(select(InstrumentType)).scalars()}
    owners = {user_org.id: user_org} if user_org is not None else {}
    if allow_owner_column:
        wanted = {int(r.get("owner_id").strip()) for _n, r in raw
                  if (r.get("owner_id") or "").strip().isdigit() and len(r.get("owner_id").strip()) < 10}
        owners.update({o.id: o for o in db.session.execute(
            select(Organisation).where(Organisation.id.in_(wanted))).scalars()} if wanted else {})
    seen: dict[IdentityKey, int] = {}
    rows: list[ImportRow] = []
    for rownum, row in raw:
        rows.append(_validate_row(rownum, row, user_org, allow_owner_column, seen, errors, types, owners))
    for key, serial in registered_identities(list(seen)).items():
        errors.append({"row": seen[key], "column": "serial_number",
                       "problem": f"an instrument {key[0]} {key[1]} with serial number {serial} "
                                  "is already registered"})
    errors.sort(key=lambda e: e["row"])
    return rows, errors


def registered_identities(keys: Sequence[IdentityKey], chunk: int = 900) -> dict[IdentityKey, str]:
    """Which ``(manufacturer, model, serial_number.lower())`` keys are already in the register.

    Serial numbers compare case-insensitively within a make and model, as the register's unique index does.

    :returns: ``{key: the registered serial number}``
    """
    found = {}
    wanted = set(keys)
    for i in range(0, len(keys), chunk):
        serials = {key[2] for key in keys[i:i + chunk]}
        rows = db.session.execute(select(Instrument.manufacturer, Instrument.model, Instrument.serial_number)
                                  .where(func.lower(Instrument.serial_number).in_(serials)))
        for manufacturer, model, serial in rows:
            key = (manufacturer, model, serial.lower())
            if key in wanted:
                found[key] = serial
    return found


def insert_rows(rows: Sequence[tuple[dict[str, Any], Organisation]]) -> int:
    """Insert validated import rows as one bulk insert, one audit event per instrument.

    :func:`lims.core.audit.insert_audited`, not ORM objects: the register's import is the largest
    write of the system, and the unit of work's per-object bookkeeping cost more than the database.

    :param rows: ``(data, owner)`` pairs from :func:`validate_import`
    :returns: the number inserted
    """
    if not rows:
        return 0
    types = dict(db.session.execute(select(InstrumentType.code, InstrumentType.id)).all())
    now = now_utc()
    values = [{"type_id": types[data["type_code"]], "owner_id": _identity_id(owner), "location": data["location"],
               "manufacturer": data["manufacturer"], "model": data["model"], "serial_number": data["serial_number"],
               "characteristics": data["characteristics"], "created_dt": now} for data, owner in rows]
    return len(insert_audited(db.session(), Instrument, values))


def settle_after_bulk_insert() -> None:
    """After a large import on PostgreSQL: fold the trigram index's pending list and refresh statistics.

    New rows wait in the GIN index's pending list (up to ``gin_pending_list_limit``, 4 MB) until a
    vacuum folds them in, and every search scans that list; the planner also needs fresh
    statistics to choose the trigram index for a search. Autovacuum does both eventually; an
    import of thousands of rows does them at once. A role that does not own the table cannot,
    and is skipped (the import itself succeeded). Commits.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for sql in ("SELECT gin_clean_pending_list('ix_instruments_serial_number_trgm'::regclass)", "ANALYZE instruments"):
        try:
            with db.session.begin_nested():
                db.session.execute(sa.text(sql))
        except sa.exc.DBAPIError as exc:
            log.info("after the import, %s was skipped: %s", sql.split("(")[0], exc.orig)
    db.session.commit()


def _identity_id(obj: Any) -> int:
    """The primary key of a loaded object without touching its (perhaps expired) attributes."""
    identity = sa.inspect(obj).identity
    return identity[0] if identity else obj.id


def _validate_row(rownum, row, user_org, allow_owner_column, seen, errors, types, owners):
    def err(column, problem) -> None:
        errors.append({"row": rownum, "column": column, "problem": problem})

    if None in row:
        err("", "more fields than columns in the header")
    data = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
    for key in ("type_code", "manufacturer", "model", "serial_number"):
        if not data[key]:
            err(key, "required")
        elif len(data[key]) > 120:
            err(key, "longer than 120 characters")
    for key, msgs in identity_problems(data, IDENTITY_TEXT + ("location",)).items():
        err(key, msgs[0])
    owner = user_org
    oid = (row.get("owner_id") or "").strip()
    if not allow_owner_column and oid and oid != str(user_org.id):
        err("owner_id", "you may import instruments only for your own organisation")
    if allow_owner_column:
        owner = owners.get(int(oid)) if oid.isdigit() and len(oid) < 10 else None
        if owner is None:
            err("owner_id", f"no organisation {oid!r}")
    itype = types.get(data["type_code"]) if data["type_code"] else None
    if data["type_code"] and itype is None:
        err("type_code", f"unknown instrument type {data['type_code']!r}")
    data["characteristics"] = {}
    if itype is not None:
        chars, problems = read_characteristics(itype, row.get)
        for column, raw in problems:
            err(column, f"{raw!r} is not a number")
        if not problems:
            for key, msgs in validate_characteristics(itype, chars).items():
                err(key, "; ".join(msgs))
        data["characteristics"] = chars
    ident = (data["manufacturer"], data["model"], data["serial_number"])
    if all(ident):
        key = (*ident[:2], ident[2].lower())  # serial numbers compare case-insensitively within make and model
        if key in seen:
            err("serial_number", f"duplicates row {seen[key]}")
        else:
            seen[key] = rownum
    return data, owner
