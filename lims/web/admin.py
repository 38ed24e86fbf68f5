"""Admin pages: users, organisations (with their stalls or departments), instrument types and procedures.

Thin pages over the operations: :mod:`lims.modules.users.operations` (create, update, reset a
password) and :mod:`lims.modules.organisations.operations` (one uniqueness check). A refused change
shows the operation's message beside the field (422) or above the form (409).
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from lims.core.auth import require_roles
from lims.core.db import get_or_404
from lims.extensions import db
from lims.modules.equipment.models import Instrument, InstrumentType
from lims.modules.organisations import operations as org_ops
from lims.modules.organisations.models import ORG_KINDS, Organisation
from lims.modules.users import operations as user_ops
from lims.modules.users.models import LAB_ROLES, ROLES, User
from lims.web import labels
from lims.web.admin_forms import OrganisationForm, PasswordResetForm, UserCreateForm, UserEditForm
from lims.web.common import run
from lims.web.work_forms import choices

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")


@bp.app_context_processor
def _inject():
    return {"org_kind_label": lambda k: labels.label(labels.ORG_KIND_LABELS, k),
            "role_label": lambda r: labels.label(labels.ROLE_LABELS, r)}


def _org_choices():
    return choices([(o.id, f"{o.name} ({labels.label(labels.ORG_KIND_LABELS, o.kind)})")
                    for o in org_ops.organisations()])


def _role_choices():
    return choices([(r, labels.label(labels.ROLE_LABELS, r)) for r in ROLES])


def _status(form):
    return 400 if form.csrf_token.errors else 422


# --- users -----------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@require_roles()
def users() -> ResponseReturnValue:
    """Every user with role, organisation and state; the form to create one."""
    form = UserCreateForm()
    form.role.choices = _role_choices()
    form.organisation_id.choices = _org_choices()
    code: int | None = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            code = _status(form)
        else:
            user, code = run(form, lambda: user_ops.create_user(
                form.username.data.strip(), form.display_name.data.strip(), form.role.data,
                form.organisation_id.data, form.password.data, email=(form.email.data or "").strip()))
            if code == 409:  # the only conflict is a username in use
                form.username.errors = list(form.username.errors) + [_("is already taken")]
                form.form_errors = []
            if not code:
                flash(_("User %(username)s created.", username=user.username))
                return redirect(url_for("admin_pages.user", user_id=user.id))
    org_id = request.args.get("organisation_id", type=int)
    q = select(User).order_by(User.organisation_id, User.username)
    if org_id:
        q = q.where(User.organisation_id == org_id)
    rows = db.session.execute(q).scalars().all()
    return render_template("admin/users.html", users=rows, form=form), code or 200


def _edit_form(user, formdata=None):
    form = UserEditForm(formdata=formdata, prefix="edit", data=None if formdata is not None else {
        "version": user.version, "display_name": user.display_name, "email": user.email, "role": user.role,
        "organisation_id": user.organisation_id, "is_active_user": user.is_active_user})
    form.role.choices = _role_choices()
    form.organisation_id.choices = _org_choices()
    return form


def _render_user(user, edit=None, reset=None, code=200):
    return render_template("admin/user.html", user=user, form=edit or _edit_form(user),
                           reset=reset or PasswordResetForm(formdata=None, prefix="reset")), code


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_roles()
def user(user_id: int) -> ResponseReturnValue:
    """One user: name, e-mail, role, organisation, active (deactivate = untick); a stale form gets 409."""
    target = get_or_404(User, user_id)
    if request.method == "GET":
        return _render_user(target)
    form = _edit_form(target, formdata=request.form)
    if not form.validate_on_submit():
        return _render_user(target, edit=form, code=_status(form))
    data = {"version": form.version.data, "display_name": form.display_name.data.strip(),
            "email": (form.email.data or "").strip(), "role": form.role.data,
            "organisation_id": form.organisation_id.data, "is_active_user": bool(form.is_active_user.data)}
    _done, code = run(form, lambda: user_ops.update_user(target, data, current_user))
    if code:
        return _render_user(db.session.get(User, user_id), edit=form, code=code)
    flash(_("User %(username)s saved.", username=target.username))
    return redirect(url_for("admin_pages.user", user_id=target.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require_roles()
def reset_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for a user who forgot theirs (tell it to them in person)."""
    target = get_or_404(User, user_id)
    form = PasswordResetForm(prefix="reset")
    if not form.validate_on_submit():
        return _render_user(target, reset=form, code=_status(form))
    _done, code = run(form, lambda: user_ops.reset_password(target, form.password.data))
    if code:
        return _render_user(target, reset=form, code=code)
    flash(_("The password of %(username)s was reset.", username=target.username))
    return redirect(url_for("admin_pages.user", user_id=target.id))


# --- organisations ---------------------------------------------------------------------------------

def _org_form(org=None, formdata=None):
    data = None
    if org is not None and formdata is None:
        data = {k: getattr(org, k) for k in org_ops.FIELDS} | {"version": org.version}
    form = OrganisationForm(formdata=formdata, data=data)
    form.kind.choices = choices([(k, labels.label(labels.ORG_KIND_LABELS, k)) for k in ORG_KINDS])
    return form


def _org_data(form):
    return {k: (form[k].data or "").strip() for k in org_ops.FIELDS}


@bp.route("/organisations", methods=["GET", "POST"])
@require_roles()
def organisations() -> ResponseReturnValue:
    """Markets, hospitals and the lab, with their counts of users and instruments; the form to add one."""
    form = _org_form(formdata=request.form if request.method == "POST" else None)
    code: int | None = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            code = _status(form)
        else:
            org, code = run(form, lambda: org_ops.create_organisation(_org_data(form)))
            if code == 409:
                form.name.errors = list(form.name.errors) + form.form_errors
                form.form_errors = []
            if not code:
                flash(_("Organisation %(name)s created.", name=org.name))
                return redirect(url_for("admin_pages.organisation", org_id=org.id))
    counts = dict(db.session.execute(select(Instrument.owner_id, func.count()).where(
        Instrument.is_deleted.is_(False)).group_by(Instrument.owner_id)).all())
    people = dict(db.session.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    return render_template("admin/organisations.html", orgs=org_ops.organisations(), form=form, counts=counts,
                           people=people), code or 200


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@require_roles()
def organisation(org_id: int) -> ResponseReturnValue:
    """One organisation: its details (editable), its people, and its stalls or departments."""
    org = get_or_404(Organisation, org_id)
    form = _org_form(org, formdata=request.form if request.method == "POST" else None)
    code: int | None = 200
    if request.method == "POST":
        form.kind.data = org.kind  # the kind is shown, not changed
        if not form.validate_on_submit() or not (form.version.data or "").isdigit():
            code = _status(form) if form.errors else 422
        else:
            data = {k: v for k, v in _org_data(form).items() if k != "kind"} | {"version": int(form.version.data)}
            _done, code = run(form, lambda: org_ops.update_organisation(org, data))
            if code == 409 and org_ops.name_taken(data["name"], except_id=org_id):
                form.name.errors = list(form.name.errors) + form.form_errors
                form.form_errors = []
            if not code:
                flash(_("Organisation %(name)s saved.", name=org.name))
                return redirect(url_for("admin_pages.organisation", org_id=org.id))
        org = get_or_404(Organisation, org_id)
    places = db.session.execute(select(Instrument.location, func.count()).where(
        Instrument.owner_id == org.id, Instrument.is_deleted.is_(False)).group_by(Instrument.location)
        .order_by(Instrument.location)).all()
    people = db.session.execute(select(User).where(User.organisation_id == org.id).order_by(User.username)
                                ).scalars().all()
    return render_template("admin/organisation.html", org=org, form=form, places=places, people=people,
                           place_label=labels.label(labels.ORG_PLACE_LABELS, org.kind)), code or 200


# --- instrument types and their procedures (read-only) ---------------------------------------------

@bp.route("/types")
@require_roles(*LAB_ROLES)
def types() -> ResponseReturnValue:
    rows = db.session.execute(select(InstrumentType).order_by(InstrumentType.category, InstrumentType.code)
                              ).scalars().all()
    procedures = current_app.extensions.get("procedures", {})
    return render_template("admin/types.html", types=rows, procedures=procedures)


def _sections(doc):
    """A procedure document as ``[(section, [(key, value)], source, unconfirmed)]`` for a read-only view."""
    out = []
    top = [(k, v) for k, v in doc.items() if not isinstance(v, dict) and k not in ("source",)]
    out.append(("", top, doc.get("source", ""), False))
    for key, value in doc.items():
        if isinstance(value, dict):
            rows = [(k, v) for k, v in value.items() if k not in ("source", "unconfirmed")]
            out.append((key, rows, value.get("source", ""), bool(value.get("unconfirmed"))))
    return out


@bp.route("/types/<code>")
@require_roles(*LAB_ROLES)
def instrument_type(code: str) -> ResponseReturnValue:
    itype = db.session.execute(select(InstrumentType).where(InstrumentType.code == code[:64])).scalar_one_or_none()
    if itype is None:
        abort(404)
    doc = current_app.extensions.get("procedures", {}).get(itype.code)
    return render_template("admin/type.html", itype=itype, doc=doc, sections=_sections(doc) if doc else [],
                           zh=str(get_locale()) == "zh")
