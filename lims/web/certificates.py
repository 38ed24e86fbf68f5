"""Certificate pages: the list, one certificate with its documents, revoke/replace, sticker sheets.

Reading is scoped like ``GET /api/v1/certificates`` (customers: their organisation's); revoking
and replacing call :mod:`lims.modules.issuance.operations` (lab manager), stickers
:func:`lims.modules.issuance.render.sticker_sheet`. PDF and DCC downloads are the API's own
endpoints, which a logged-in browser may read.
"""
import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, or_

from lims.core.auth import login_required, require_roles
from lims.core.db import contains, get_or_404
from lims.core.schemas import paginate
from lims.modules.equipment.models import Instrument
from lims.modules.issuance import operations as ops
from lims.modules.issuance import render
from lims.modules.issuance.models import STATUSES, Certificate
from lims.modules.issuance.schemas import MAX_STICKERS, ReplaceSchema
from lims.modules.users.models import User
from lims.web.common import PER_PAGE, page_number, run
from lims.web.work_forms import ReplaceCertificateForm, RevokeCertificateForm, lines

bp = Blueprint("cert_pages", __name__)



def certificates_query(user: User, status: str | None = None, q: str | None = None,
                       today: dt.date | None = None) -> Select[Certificate]:
    """The certificates ``user`` may see (as ``GET /api/v1/certificates``), newest first."""
    query = ops.certificates_for(user).order_by(Certificate.id.desc())
    if status:
        query = query.where(Certificate.status_clause(status, today or dt.date.today()))
    if q:
        query = query.where(or_(contains(Certificate.number, q), contains(Instrument.serial_number, q)))
    return query


@bp.route("/certificates")
@login_required
def certificates() -> ResponseReturnValue:
    status = request.args.get("status")
    status = status if status in STATUSES else None
    q = (request.args.get("q") or "").strip()[:120]
    page = paginate(certificates_query(current_user, status, q), {"page": page_number(), "per_page": PER_PAGE})
    return render_template("work/certificates.html", page=page, statuses=STATUSES, status=status, q=q,
                           today=dt.date.today(), error=None)


def _readable(cert_id):
    return ops.readable_certificate(current_user, cert_id)


def render_certificate(cert: Certificate, revoke_form: FlaskForm | None = None, replace_form: FlaskForm | None = None,
                       code: int = 200) -> tuple[str, int]:
    today = dt.date.today()
    return render_template("work/certificate.html", cert=cert, info=ops.status_info(cert, today),
                           revoke_form=revoke_form or RevokeCertificateForm(formdata=None, prefix="revoke"),
                           replace_form=replace_form or ReplaceCertificateForm(formdata=None, prefix="replace"),
                           token=cert.token), code


@bp.route("/certificates/<int:cert_id>")
@login_required
def certificate(cert_id: int) -> ResponseReturnValue:
    return render_certificate(_readable(cert_id))


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@require_roles("lab_manager")
def revoke(cert_id: int) -> ResponseReturnValue:
    """Revoke (as ``POST /api/v1/certificates/<id>/revoke``): a reason is required."""
    cert = get_or_404(Certificate, cert_id)
    form = RevokeCertificateForm(prefix="revoke")
    if not form.validate_on_submit():
        return render_certificate(cert, revoke_form=form, code=422)
    _done, status = run(form, lambda: ops.revoke(cert, current_user, form.reason.data))
    if status:
        return render_certificate(get_or_404(Certificate, cert_id), revoke_form=form, code=status)
    flash(_("Certificate %(number)s revoked.", number=cert.number))
    return redirect(url_for("cert_pages.certificate", cert_id=cert.id))


@bp.route("/certificates/<int:cert_id>/replace", methods=["POST"])
@require_roles("lab_manager")
def replace(cert_id: int) -> ResponseReturnValue:
    """Issue a corrected certificate (as ``POST /api/v1/certificates/<id>/replace``)."""
    cert = get_or_404(Certificate, cert_id)
    form = ReplaceCertificateForm(prefix="replace")
    if not form.validate_on_submit():
        return render_certificate(cert, replace_form=form, code=422)
    body = {"reason": form.reason.data, "amendment": form.amendment.data}
    if lines(form.remarks.data):
        body["remarks"] = lines(form.remarks.data)
    new, status = run(form, lambda: ops.replace(cert, current_user, ReplaceSchema().load(body)))
    if status:
        return render_certificate(get_or_404(Certificate, cert_id), replace_form=form, code=status)
    flash(_("Certificate %(old)s replaced by %(new)s.", old=cert.number, new=new.number))
    return redirect(url_for("cert_pages.certificate", cert_id=new.id))


@bp.route("/certificates/stickers")
@login_required
def stickers() -> ResponseReturnValue:
    """The sticker sheet (PDF) of the certificates ticked on the list, in list order."""
    raw = request.args.getlist("ids")
    ids = [int(v) for v in raw if v.isdigit() and len(v) <= 9]
    error = None
    if not raw:
        error = _("Tick at least one certificate.")
    elif len(ids) != len(raw) or len(set(ids)) != len(ids):
        error = _("The selection is not a list of certificates.")
    elif len(ids) > MAX_STICKERS:
        error = _("At most %(n)d certificates per sticker sheet.", n=MAX_STICKERS)
    certs = [_readable(i) for i in ids] if not error else []
    stale = [c.number for c in certs if c.status(dt.date.today()) in ("revoked", "replaced")]
    if stale:  # ops.printable_for_stickers refuses them too; here the message is translated
        error = _("No sticker for a revoked or replaced certificate: %(numbers)s", numbers=", ".join(stale))
    if error:
        page = paginate(certificates_query(current_user), {"page": 1, "per_page": PER_PAGE})
        return render_template("work/certificates.html", page=page, statuses=STATUSES, status=None, q="",
                               today=dt.date.today(), error=error), 422
    return Response(render.sticker_sheet(ops.printable_for_stickers(certs)), mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="stickers.pdf"'})
