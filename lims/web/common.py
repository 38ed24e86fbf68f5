"""Helpers shared by the work pages: errors beside fields, paging, names, template globals.

Pages call the same operations as the API. A refused change is rolled back and the page is shown
again with the operation's message next to the field it names (422) or above the form (409).
"""
from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from marshmallow import ValidationError

from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.users.models import User
from lims.web import labels
from lims.web.messages import translate

PER_PAGE = 50


def page_number() -> int:
    """The ``page`` query argument, clamped to 1…100000."""
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100000))


def _messages(value):
    """Flatten a marshmallow/domain error value (list, dict of index -> list, text) to strings."""
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            out += [f"{key}: {m}" if not isinstance(key, int) else m for m in _messages(inner)]
        return out
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _messages(v)]
    return [translate(value)]


def apply_errors(form: FlaskForm, errors: Mapping[str, Any], field_map: Mapping[str, str] | None = None) -> None:
    """Put ``{field: messages}`` onto ``form``'s fields; the rest goes to ``form.form_errors``.

    :param field_map: optional ``{error key: form field name}`` when the names differ.
    """
    field_map = field_map or {}
    for key, value in errors.items():
        name = field_map.get(key, key)
        field = form._fields.get(name) if isinstance(name, str) else None
        msgs = _messages(value)
        if field is not None:
            field.errors = list(field.errors) + msgs
        else:
            form.form_errors.extend(msgs if key == "_schema" else [f"{key}: {m}" for m in msgs])


def run(form: FlaskForm, operation: Callable[[], Any], field_map: Mapping[str, str] | None = None
        ) -> tuple[Any, int | None]:
    """Run ``operation()``; on a refused change roll back, record the messages on ``form``.

    :returns: ``(result, status)`` where status is None on success, 422 for field errors and
        409 for a conflict with the record's state.
    """
    try:
        return operation(), None
    except (DomainValidationError, ValidationError) as exc:
        db.session.rollback()
        errors = exc.errors if isinstance(exc, DomainValidationError) else exc.messages
        apply_errors(form, errors if isinstance(errors, dict) else {"_schema": errors}, field_map)
        return None, 422
    except Conflict as exc:
        db.session.rollback()
        form.form_errors.append(translate(exc))
        return None, 409


def user_name(user_id: int | None) -> str:
    """Display name of a user id (or an empty string)."""

    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user is not None else ""


def template_globals() -> dict[str, Callable[..., Any]]:
    """Names every work page template may use."""
    return {
        "job_state_label": lambda s: labels.label(labels.JOB_STATE_LABELS, s),
        "action_label": lambda a: labels.label(labels.ACTION_LABELS, a),
        "result_label": lambda r: labels.label(labels.RESULT_LABELS, r),
        "job_kind_label": lambda k: labels.label(labels.JOB_KIND_LABELS, k),
        "session_state_label": lambda s: labels.label(labels.SESSION_STATE_LABELS, s),
        "cert_status_label": labels.cert_status_label,
        "cert_kind_label": labels.cert_kind_label,
        "user_name": user_name,
        "error_title": labels.error_title,
        "error_hint": labels.error_hint,
        "is_default_message": labels.is_default_message,
        "tr": translate,
    }
