"""The audit trail page (lab managers and admins, read-only; as ``GET /api/v1/audit-events``).

Filters by entity type and id (as the API), by actor (name contains) and by a date range in the
lab's time zone. There is nothing on this page that changes the trail.
"""
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lims.core.audit import AuditEvent
from lims.core.auth import require_roles
from lims.core.db import contains
from lims.core.schemas import paginate
from lims.extensions import db
from lims.web import labels
from lims.web.common import PER_PAGE, page_number
from lims.web.lab_forms import AuditFilterForm
from lims.web.work_forms import choices

bp = Blueprint("audit_pages", __name__)

FILTERS = ("entity", "entity_id", "actor", "date_from", "date_to")
AUDIT_ACTION_LABELS = {"create": _l("created"), "update": _l("changed"), "delete": _l("deleted")}


def _day_start(day):
    """The UTC instant the lab's local ``day`` begins."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def audit_query(entity: str | None = None, entity_id: int | None = None, actor: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None) -> Select[AuditEvent]:
    """Audit events matching the filters, newest first (``date_to`` is inclusive)."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc())
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if entity_id:
        q = q.where(AuditEvent.entity_id == entity_id)
    if actor:
        q = q.where(contains(AuditEvent.actor_name, actor))
    if date_from:
        q = q.where(AuditEvent.created_dt >= _day_start(date_from))
    if date_to:
        q = q.where(AuditEvent.created_dt < _day_start(date_to + dt.timedelta(days=1)))
    return q


def shown(value: Any, limit: int = 300) -> str:
    """A recorded value as text: ``—`` for none, JSON for lists and dicts, cut at ``limit`` characters."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


@bp.route("/audit")
@require_roles("lab_manager")
def audit() -> ResponseReturnValue:
    """The audit trail: who changed what and when, with each field's old and new value."""
    form = AuditFilterForm(request.args)
    entities = db.session.execute(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).scalars().all()
    form.entity.choices = choices([("", _("any"))] + [(e, labels.label(labels.ENTITY_LABELS, e)) for e in entities])
    valid = form.validate()
    if valid and form.date_from.data and form.date_to.data and form.date_to.data < form.date_from.data:
        form.date_to.errors = list(form.date_to.errors) + [_("must not be before the start date")]
        valid = False
    args = {k: form[k].data for k in FILTERS} if valid else {}
    args = {k: (v.strip() if isinstance(v, str) else v) for k, v in args.items() if v}
    page = paginate(audit_query(**args), {"page": page_number(), "per_page": PER_PAGE})
    pager_args = {k: request.args.get(k, "")[:120] for k in FILTERS if request.args.get(k)}
    return render_template("lab/audit.html", form=form, page=page, shown=shown, pager_args=pager_args,
                           action_of=lambda a: str(AUDIT_ACTION_LABELS.get(a, a)), valid=valid,
                           entity_label=lambda e: labels.label(labels.ENTITY_LABELS, e),
                           field_label=lambda f: labels.label(labels.FIELD_LABELS, f)), (
        200 if valid else 422)
