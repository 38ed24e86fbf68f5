"""Pages: landing, login/logout, the register, the profile with API tokens."""
import datetime as dt
from collections.abc import Collection
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from lims.core.auth import check_org, login_required
from lims.core.db import contains, get_or_404
from lims.core.http import DomainValidationError
from lims.core.schemas import paginate
from lims.core.security import login_limits
from lims.demo import DEMO_USERS
from lims.extensions import db
from lims.modules.equipment.models import STATUSES, Instrument
from lims.modules.equipment.queries import instruments_for, status_of
from lims.modules.issuance.models import Certificate
from lims.modules.jobs.models import Job
from lims.modules.users import operations as user_ops
from lims.modules.users.models import ApiToken
from lims.modules.users.operations import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from lims.web.forms import LoginForm, PasswordChangeForm, RevokeForm, TokenForm
from lims.web.work_forms import BookForm

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _inject():
    return {"status_of": status_of, "get_locale": get_locale, "nav_endpoints": current_app.view_functions}


@bp.route("/")
def index() -> ResponseReturnValue:
    """Landing page: what this is and, in the demo, who can log in as what."""

    return render_template("pages/index.html", demo_users=DEMO_USERS if current_app.config["DEMO"] else None)


def _safe_next(target):
    if not target:
        return None
    parts = urlparse(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@login_limits()
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = user_ops.authenticate(form.username.data.strip(), form.password.data)
        if user is None:
            form.password.errors.append(_("Unknown username or wrong password."))
        else:
            if not user.session_nonce:
                user_ops.end_sessions(user)  # an account from before session nonces gets its first one
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("pages.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("pages.instruments"))
    return render_template("pages/login.html", form=form), (422 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        user_ops.end_sessions(current_user)  # the cookie (and any copy of it) is dead server-side
    logout_user()
    return redirect(url_for("pages.index"))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change your own password (the current one is required); your other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            user_ops.change_password(user, form.old_password.data, form.new_password.data)
        except DomainValidationError as exc:
            for field, messages in exc.errors.items():
                getattr(form, field).errors.extend(_password_message(m) for m in messages)
        else:
            login_user(user)  # this session goes on under the new nonce
            flash(_("Your password was changed; your other sessions were ended."))
            return redirect(url_for("pages.profile"))
    return (render_template("pages/password.html", form=form, min_length=user_ops.PASSWORD_MIN_LENGTH),
            422 if form.errors else 200)


def _password_message(message):
    """The page's words for the operations' password messages."""

    known = {
        "is not your current password": _("This is not your current password."),
        "must differ from the current password": _("The new password must differ from the current one."),
        f"must be at least {PASSWORD_MIN_LENGTH} characters":
            _("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
        f"must be at most {PASSWORD_MAX_LENGTH} characters": _("At most %(n)d characters.", n=PASSWORD_MAX_LENGTH),
        "is one of the most common passwords; choose another":
            _("This is one of the most common passwords; choose another."),
        "must not be the username": _("The password must not be your username."),
    }
    return known.get(message, message)


@bp.route("/instruments")
@login_required
def instruments() -> ResponseReturnValue:
    """The register, scoped to the user's organisation unless lab staff."""
    return render_instruments()


def render_instruments(book_form: FlaskForm | None = None, code: int = 200, selected: Collection[int] = ()
                       ) -> tuple[str, int]:
    """Render the register page; ``book_form`` carries the messages of a refused booking."""

    args: dict[str, Any] = {"page": request.args.get("page", 1, type=int) or 1, "per_page": 50}
    status = request.args.get("status")
    if status in STATUSES:
        args["status"] = status
    q = (request.args.get("q") or "").strip()[:120]
    if q:
        args["q"] = q
    location = (request.args.get("location") or "").strip()[:120]
    args["page"] = max(1, min(args["page"], 100000))
    query = instruments_for(current_user, args)
    if location:
        query = query.where(contains(Instrument.location, location))
    page = paginate(query, args)
    return render_template("pages/instruments.html", page=page, statuses=STATUSES, status=status, q=q,
                           location=location, open_jobs=open_jobs_of([i.id for i in page["items"]]),
                           selected=set(selected), book_form=book_form or BookForm(formdata=None)), code


def open_jobs_of(instrument_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """``{instrument id: (job id, state)}`` of the open (not yet returned) jobs of these instruments."""

    if not instrument_ids:
        return {}
    rows = db.session.execute(select(Job.instrument_id, Job.id, Job.state).where(
        Job.instrument_id.in_(instrument_ids), Job.state != "returned")).all()
    return {iid: (jid, state) for iid, jid, state in rows}


@bp.route("/instruments/<int:instrument_id>")
@login_required
def instrument(instrument_id: int) -> ResponseReturnValue:
    """One instrument: status, current certificate, and its history of jobs and certificates."""

    inst = get_or_404(Instrument, instrument_id)
    check_org(current_user, inst.owner_id)
    jobs = db.session.execute(select(Job).where(Job.instrument_id == inst.id).order_by(Job.id.desc())
                              ).scalars().all()
    certs = db.session.execute(select(Certificate).where(Certificate.job_id.in_([j.id for j in jobs]))
                               .order_by(Certificate.id.desc())).scalars().all() if jobs else []
    today = dt.date.today()
    current = next((c for c in certs if c.status(today) in ("valid", "expired", "failed")), None)
    open_job = next((j for j in jobs if j.state != "returned"), None)
    return render_template("pages/instrument.html", inst=inst, jobs=jobs, certs=certs, current=current,
                           open_job=open_job, today=today, book_form=BookForm(formdata=None))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    """The user's profile: create (optionally expiring) and revoke API tokens, see when each was last used."""
    form = TokenForm()
    new_secret = None
    if form.validate_on_submit():
        days = int(form.expires_in_days.data) if form.expires_in_days.data else None
        _row, new_secret = user_ops.create_token(current_user, form.name.data.strip(), days)
    tokens = user_ops.tokens_of(current_user, newest_first=True)
    return render_template("pages/profile.html", form=form, tokens=tokens, new_secret=new_secret,
                           revoke_form=RevokeForm())


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    token = get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(403)
    user_ops.revoke_token(token)
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix))
    return redirect(url_for("pages.profile"))
