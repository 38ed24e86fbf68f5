"""Complaint pages: the public "report a problem with this scale" form and lookup by certificate number;
the owner's and the lab's list of complaints, with the answer and close buttons.

Public pages need no login. The report calls :func:`lims.modules.complaints.operations.report` after
the proof of work and the rate limit; the other pages call ``answer`` and ``close`` there.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims.core.audit import acting_as
from lims.core.auth import login_required
from lims.core.http import DomainValidationError
from lims.core.schemas import paginate
from lims.core.security import public_lookup_limit
from lims.extensions import db
from lims.modules.complaints import operations as ops
from lims.modules.complaints.models import MAX_ANSWER, STATES, Complaint
from lims.modules.complaints.schemas import ComplaintAnswerSchema, ComplaintCloseSchema, ComplaintReportSchema
from lims.modules.equipment.models import Instrument
from lims.modules.issuance.models import Certificate
from lims.modules.organisations.models import Organisation
from lims.web.common import PER_PAGE, apply_errors, page_number, run

bp = Blueprint("complaint_pages", __name__)

def complaint_state_label(state: str) -> str:
    """The label of a complaint's state (its own context: an open complaint is not an open session)."""
    return {"open": pgettext("complaint", "open"), "answered": pgettext("complaint", "answered"),
            "closed": pgettext("complaint", "closed")}.get(state, state)


@bp.app_context_processor
def _inject():
    return {"lab_organisation": _lab, "complaint_state_label": complaint_state_label}


def _lab():
    """The laboratory (its name and contact are shown to the public)."""
    return db.session.execute(select(Organisation).where(Organisation.kind == "lab").order_by(Organisation.id)
                              ).scalars().first()


class ReportForm(FlaskForm):
    text = TextAreaField(_l("What is wrong?"), validators=[Optional(), Length(max=2000)])
    phone = StringField(_l("Your phone number (optional, if you want an answer)"),
                        validators=[Optional(), Length(max=64)])
    pow_challenge = HiddenField()
    pow_nonce = HiddenField()
    go = SubmitField(_l("Send the report"))


class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=64)])
    serial = StringField(_l("Serial number of the instrument"), validators=[DataRequired(), Length(max=120)])
    go = SubmitField(_l("Look up"))


class AnswerForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=MAX_ANSWER)])
    go = SubmitField(_l("Send the answer"))


class CloseForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    go = SubmitField(_l("Close the complaint"))


def _certificate_of(token):
    token = (token or "").upper()
    if not token or len(token) > 1700:
        abort(404)
    cert = db.session.execute(select(Certificate).where(Certificate.token == token)).scalars().first()
    if cert is None:
        abort(404)
    return cert


def _render_report(cert, form, code=200, done=None):
    form.pow_challenge.data = ops.new_challenge()
    form.pow_nonce.data = ""
    return render_template("complaints/report.html", cert=cert, inst=cert.instrument, form=form, done=done,
                           bits=ops.setting("COMPLAINT_POW_BITS")), code


@bp.route("/report/<token>", methods=["GET", "POST"])
def report(token: str) -> ResponseReturnValue:
    """Report a problem with the instrument of a certificate (no login; proof of work; rate-limited)."""
    cert = _certificate_of(token)
    form = ReportForm()
    if request.method == "GET":
        return _render_report(cert, form)
    if not form.validate_on_submit():
        return _render_report(cert, form, 400 if form.csrf_token.errors else 422)
    try:
        data = ComplaintReportSchema().load({"text": form.text.data or "", "phone": form.phone.data or ""})
        digest = ops.check_proof_of_work(form.pow_challenge.data, form.pow_nonce.data)
    except DomainValidationError as exc:
        apply_errors(form, {"_schema": exc.errors["pow"]})
        return _render_report(cert, form, 422)
    except Exception as exc:  # marshmallow ValidationError: messages beside the fields

        if not isinstance(exc, ValidationError):
            raise
        apply_errors(form, exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
        return _render_report(cert, form, 422)
    try:
        with acting_as(None, "public"):
            complaint = ops.report(cert.instrument, data, ops.reporter_key(request.remote_addr), digest, cert)
    except ops.RateLimited as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_report(cert, form, 429)
    return _render_report(cert, ReportForm(formdata=None), 201, done=complaint)


@bp.route("/lookup")
@public_lookup_limit()
def lookup() -> ResponseReturnValue:
    """For a paper certificate: its number and the instrument's serial number lead to the check page."""
    form = LookupForm(request.args)
    code: int | None = 200
    if request.args:
        if form.validate():
            cert = db.session.execute(select(Certificate).join(Instrument, Certificate.instrument_id == Instrument.id)
                                      .where(Certificate.number == form.number.data.strip(),
                                             Instrument.serial_number == form.serial.data.strip())
                                      ).scalars().first()
            if cert is not None:
                return redirect(url_for("issuance_pages.check", token=cert.token))
            form.number.errors = list(form.number.errors) + [
                _("No certificate has this number for an instrument with this serial number. "
                  "Check both against the paper certificate.")]
        code = 422
    return render_template("complaints/lookup.html", form=form), code or 200


# --- the owner's and the lab's view ----------------------------------------------------------------

@bp.route("/complaints")
@login_required
def complaints() -> ResponseReturnValue:
    state = request.args.get("state")
    state = state if state in STATES else None
    q = ops.complaints_for(current_user)
    if state:
        q = q.where(Complaint.state == state)
    page = paginate(q, {"page": page_number(), "per_page": PER_PAGE})
    return render_template("complaints/list.html", page=page, states=STATES, state=state)


def _render_one(complaint, answer_form=None, close_form=None, code=200):
    answer_form = answer_form or AnswerForm(formdata=None, prefix="answer", data={"answer": complaint.answer})
    close_form = close_form or CloseForm(formdata=None, prefix="close")
    answer_form.version.data = close_form.version.data = complaint.version
    return render_template("complaints/complaint.html", c=complaint, answer_form=answer_form,
                           close_form=close_form), code


@bp.route("/complaints/<int:complaint_id>")
@login_required
def complaint(complaint_id: int) -> ResponseReturnValue:
    return _render_one(ops.readable(current_user, complaint_id))


@bp.route("/complaints/<int:complaint_id>/answer", methods=["POST"])
@login_required
def answer(complaint_id: int) -> ResponseReturnValue:
    c = ops.readable(current_user, complaint_id)
    form = AnswerForm(prefix="answer")
    if not form.validate_on_submit():
        return _render_one(c, answer_form=form, code=400 if form.csrf_token.errors else 422)
    _done, code = run(form, lambda: ops.answer(c, current_user, ComplaintAnswerSchema().load(
        {"answer": form.answer.data, "version": form.version.data})))
    if code:
        return _render_one(db.session.get(Complaint, complaint_id), answer_form=form, code=code)
    flash(_("Answer saved."))
    return redirect(url_for("complaint_pages.complaint", complaint_id=c.id))


@bp.route("/complaints/<int:complaint_id>/close", methods=["POST"])
@login_required
def close(complaint_id: int) -> ResponseReturnValue:
    c = ops.readable(current_user, complaint_id)
    form = CloseForm(prefix="close")
    if not form.validate_on_submit():
        return _render_one(c, close_form=form, code=400 if form.csrf_token.errors else 422)
    _done, code = run(form, lambda: ops.close(c, current_user, ComplaintCloseSchema().load(
        {"version": form.version.data})))
    if code:
        return _render_one(db.session.get(Complaint, complaint_id), close_form=form, code=code)
    flash(_("Complaint closed."))
    return redirect(url_for("complaint_pages.complaint", complaint_id=c.id))
