"""Out-of-tolerance recall pages: the lab manager records a standard found out of tolerance and decides each
affected certificate; customers see their notices and download the letter (as ``/api/v1/recalls``)."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lims.core.auth import login_required, require_roles
from lims.core.db import get_or_404
from lims.extensions import db
from lims.modules.equipment.models import ReferenceStandard
from lims.modules.recalls import operations as ops
from lims.modules.recalls.models import RecallItem
from lims.modules.recalls.schemas import IncidentCreateSchema
from lims.web.common import run
from lims.web.work_forms import choices

bp = Blueprint("recall_pages", __name__)


class IncidentForm(FlaskForm):
    standard_id = SelectField(_l("Reference standard"), coerce=int, validate_choice=False,
                              validators=[InputRequired()])
    kind = SelectField(_l("Finding"), choices=choices([("out_of_tolerance", _l("out of tolerance")),
                                                       ("damaged", _l("damaged"))]), validators=[DataRequired()])
    found_on = DateField(_l("Found on"), validators=[InputRequired()])
    last_good_on = DateField(_l("Last good calibration"), validators=[Optional()])
    corrections = TextAreaField(_l("Corrected values (one per line: nominal value unit, e.g. 20 kg 19998.0 g)"),
                                validators=[Optional(), Length(max=20000)])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices([("keep", _l("keep")), ("amend", _l("amend")),
                                                            ("revoke", _l("revoke"))]), validators=[DataRequired()])
    note = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


def _corrections(text):
    out = []
    for n, line in enumerate((text or "").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise ValidationError({"corrections": [_("line %(n)d: give nominal, unit, value, unit", n=n)]})
        out.append({"nominal": f"{parts[0]} {parts[1]}", "value": parts[2], "unit": parts[3]})
    return out


def _render(form=None, code=200):
    items = db.session.execute(ops.items_for(current_user)).scalars().all()
    manager = current_user.role in ("lab_manager", "admin")
    if manager and form is None:
        form = IncidentForm(formdata=None)
    if form is not None:
        stds = db.session.execute(select(ReferenceStandard).where(ReferenceStandard.is_deleted.is_(False))
                                  .order_by(ReferenceStandard.code)).scalars().all()
        form.standard_id.choices = choices([(s.id, f"{s.code} · {s.name}") for s in stds])
    return render_template("work/recalls.html", items=items, form=form if manager else None,
                           decision_form=DecisionForm(formdata=None) if manager else None), code


@bp.route("/recalls")
@login_required
def recalls() -> ResponseReturnValue:
    return _render()


@bp.route("/recalls/incidents", methods=["POST"])
@require_roles("lab_manager")
def record() -> ResponseReturnValue:
    form = IncidentForm()
    form.standard_id.choices = []
    if not form.validate_on_submit():
        return _render(form, 400 if form.csrf_token.errors else 422)

    def _do():
        std = get_or_404(ReferenceStandard, form.standard_id.data)
        data = {"kind": form.kind.data, "found_on": form.found_on.data.isoformat(),
                "corrections": _corrections(form.corrections.data), "notes": form.notes.data or ""}
        if form.last_good_on.data:
            data["last_good_on"] = form.last_good_on.data.isoformat()
        return ops.record_incident(std, current_user, IncidentCreateSchema().load(data))

    incident, status = run(form, _do)
    if status:
        return _render(form, status)
    flash(_("%(n)d certificates affected.", n=len(incident.items)))
    return redirect(url_for("recall_pages.recalls"))


@bp.route("/recalls/<int:item_id>/decision", methods=["POST"])
@require_roles("lab_manager")
def decide(item_id: int) -> ResponseReturnValue:
    item = get_or_404(RecallItem, item_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render(code=422)
    _row, status = run(form, lambda: ops.decide(item, current_user, form.decision.data, form.note.data))
    if status:
        for msg in list(form.form_errors) + [m for f in form for m in f.errors]:
            flash(msg)
        return _render(code=status)
    flash(_("Decision recorded for %(number)s.", number=item.certificate.number))
    return redirect(url_for("recall_pages.recalls"))


@bp.route("/recalls/<int:item_id>/letter")
@login_required
def letter(item_id: int) -> ResponseReturnValue:
    item = get_or_404(RecallItem, item_id)
    if not current_user.is_lab_staff and item.organisation_id != current_user.organisation_id:
        abort(404)
    return Response(ops.letter(item), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="recall-{item.id}.txt"'})


__all__ = ["bp"]
