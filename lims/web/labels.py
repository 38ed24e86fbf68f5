"""Translatable labels of codes shown on pages (roles, states, statuses, actions).

The codes come from the modules; the labels are marked here so that ``pybabel extract``
finds them (a template writing ``_(state)`` has no literal for the extractor to see).
"""
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from werkzeug.exceptions import default_exceptions

ROLE_LABELS = {
    "admin": _l("admin"),
    "lab_manager": _l("lab_manager"),
    "technician": _l("technician"),
    "market_manager": _l("market_manager"),
    "equipment_officer": _l("equipment_officer"),
}

INSTRUMENT_STATUS_LABELS = {
    "never_verified": _l("never_verified"),
    "verified": _l("verified"),
    "due_soon": _l("due_soon"),
    "overdue": _l("overdue"),
    "failed": _l("failed"),
    "withdrawn": _l("withdrawn"),
}

JOB_STATE_LABELS = {
    "booked": _l("booked"),
    "received": _l("received"),
    "in_progress": _l("in progress"),
    "awaiting_approval": _l("awaiting approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "returned": _l("returned"),
}

ACTION_LABELS = {
    "receive": _l("Receive"),
    "start": _l("Start work"),
    "submit": _l("Submit for approval"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "return": _l("Return to customer"),
}

RESULT_LABELS = {"pass": _l("pass"), "fail": _l("fail")}

JOB_KIND_LABELS = {"verification": _l("verification"), "calibration": _l("calibration")}

SESSION_STATE_LABELS = {
    "open": _l("open"),
    "interrupted": _l("interrupted"),
    "completed": _l("completed"),
    # the bench could not take the readings (never stable, unusable frames): not a failed verification
    "failed": _l("acquisition failed"),
}


def cert_status_label(status: str) -> str:
    """Return the label of a certificate status (its own context: 'revoked' differs from a token's)."""
    return {
        "valid": pgettext("certificate", "valid"),
        "expired": pgettext("certificate", "expired"),
        "failed": pgettext("certificate", "failed"),
        "revoked": pgettext("certificate", "revoked"),
        "replaced": pgettext("certificate", "replaced"),
    }.get(status, status)


def cert_kind_label(kind: str) -> str:
    """Return the label of a certificate kind."""
    return {
        "verification": pgettext("certificate", "verification certificate"),
        "failure_notice": pgettext("certificate", "verification result notice"),
        "calibration": pgettext("certificate", "calibration certificate"),
    }.get(kind, kind)


def label(table: Mapping[str, Any], code: str | None) -> str:
    """Return ``table[code]`` as text, or the code itself when it has no label."""
    return str(table.get(code, code)) if code is not None else ""

# what each demo account can do (lims.demo.DEMO_USERS "summary"), shown on the landing page
DEMO_SUMMARIES = (
    _l("everything: organisations, users, types"),
    _l("approves and signs; standards and benches"),
    _l("receives, verifies and submits jobs"),
    _l("the scales of own market"),
    _l("the instruments of own hospital; books batches"),
)

# error pages: a title and what to do, in the reader's language (werkzeug's own descriptions are English)
ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please log in"),
    403: _l("You may not open this page"),
    404: _l("Not found"),
    405: _l("This action is not possible here"),
    409: _l("This conflicts with the record's current state"),
    413: _l("The file is too large"),
    422: _l("Some input could not be accepted"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}
ERROR_HINTS = {
    400: _l("The form may have expired. Go back, reload the page and try again."),
    401: _l("Log in and open the page again."),
    403: _l("Your role or organisation does not allow this. Ask your administrator if you need it."),
    404: _l("The page or record does not exist, or it was removed. Check the address."),
    405: _l("Go back and use the buttons of the page."),
    409: _l("Someone changed the record meanwhile. Reload the page to see its current state."),
    413: _l("Upload a smaller file."),
    422: _l("Correct the input shown below and try again."),
    429: _l("Wait a minute and try again."),
    500: _l("Try again later. If it keeps happening, tell the laboratory."),
}


def error_title(code: int) -> str:
    return str(ERROR_TITLES.get(code, code))


def error_hint(code: int) -> str:
    return str(ERROR_HINTS.get(code, ""))


def is_default_message(code: int, message: str) -> bool:
    """True when ``message`` is werkzeug's English default for ``code`` (then only our own text is shown)."""

    exc = default_exceptions.get(code)
    return exc is not None and (message == exc.description or message == exc.name)

ORG_KIND_LABELS = {"lab": _l("laboratory"), "market": _l("market"), "hospital": _l("hospital"), "other": _l("other")}
# what the places inside an organisation are called (the instrument's location field)
ORG_PLACE_LABELS = {"market": _l("Stalls"), "hospital": _l("Departments"), "lab": _l("Rooms"), "other": _l("Locations")}

# the audit trail: records and fields named as people know them (unknown ones show their code)
ENTITY_LABELS = {
    "User": _l("user"), "ReferenceStandard": _l("reference standard"), "ApiToken": _l("API token"),
    "InstrumentType": _l("instrument type"), "Complaint": _l("complaint"), "Job": _l("job"),
    "Organisation": _l("organisation"), "Instrument": _l("instrument"), "Bench": _l("bench"),
    "Certificate": _l("certificate"), "MeasurementSession": _l("measurement session"),
    "PointResult": _l("test point result"), "Batch": _l("batch"), "BatchItem": _l("instrument of a batch"),
}
FIELD_LABELS = {
    "serial_number": _l("serial number"), "manufacturer": _l("manufacturer"), "model": _l("model"),
    "location": _l("stall / location"), "owner_id": _l("owner"), "type_id": _l("instrument type"),
    "characteristics": _l("characteristics"), "is_withdrawn": _l("withdrawn"), "is_deleted": _l("deleted"),
    "last_result": _l("last result"), "verified_until": _l("valid until"), "last_verified_on": _l("last verified on"),
    "state": _l("state"), "result": _l("result"), "performed_on": _l("performed on"), "notes": _l("notes"),
    "booked_for": _l("date wanted"), "bench_id": _l("bench"), "name": _l("name"), "display_name": _l("name"),
    "username": _l("username"), "role": _l("role"), "organisation_id": _l("organisation"), "email": _l("e-mail"),
    "is_active_user": _l("active"), "kind": _l("kind"), "address": _l("address"), "district": _l("district"),
    "contact": _l("contact"), "code": _l("code"), "certificate_number": _l("certificate number"),
    "certificate_issuer": _l("certificate issuer"), "calibrated_on": _l("calibrated on"), "due_on": _l("due on"),
    "accuracy_class": _l("accuracy class"), "values": _l("calibrated values"), "ports": _l("serial ports"),
    "number": _l("number"), "due_date": _l("valid until"), "revoked_dt": _l("revoked"),
    "revocation_reason": _l("reason for revocation"), "replaced_by_id": _l("replaced by"), "text": _l("problem"),
    "phone": _l("phone"), "answer": _l("answer"), "indication": _l("indication"), "verdict": _l("verdict"),
    "point": _l("test point"), "version": _l("version"),
    "session_id": _l("measurement session"), "sequences": _l("reading number"), "batch_id": _l("batch"),
    "job_id": _l("job"), "instrument_id": _l("instrument"), "received_dt": _l("received"),
    "received_by_id": _l("received by"), "cancelled_dt": _l("cancelled"), "cancelled_by_id": _l("cancelled by"),
}
