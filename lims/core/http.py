"""HTTP glue: one commit per request, and errors a client can read (never a traceback)."""
import logging
from typing import Any

from flask import Flask, Response, abort, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from lims.extensions import db

log = logging.getLogger(__name__)

STALE_MESSAGE = "the record was changed by someone else; reload it and try again"
INTEGRITY_MESSAGE = "the change conflicts with an existing record (a unique or reference rule)"


class Conflict(Exception):
    """A domain rule forbids the change in the current state (HTTP 409)."""


class DomainValidationError(Exception):
    """A field has a value the domain rules refuse (HTTP 422 with a field error map)."""

    def __init__(self, errors) -> None:
        super().__init__(errors)
        self.errors = errors


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def flatten_errors(errors: Any) -> dict[str, Any]:
    """Turn webargs' ``{"json": {...}, "query": {...}}`` into one field -> messages map."""
    if not isinstance(errors, dict):
        return {"_schema": errors if isinstance(errors, list) else [str(errors)]}
    out = {}
    for location, value in errors.items():
        if location in ("json", "query", "form", "files", "headers", "view_args") and isinstance(value, dict):
            out.update(value)
        elif location in ("json", "query", "form", "files", "headers"):
            out["body" if location == "json" else location] = value
        else:
            out[location] = value
    return out


def error_response(code: int, message: str, errors: Any = None) -> ResponseReturnValue:
    """Return a JSON error body for the API or an HTML error page for the site."""
    if is_api_request():
        body = {"code": code, "message": message}
        if errors is not None:
            body["errors"] = errors
        return jsonify(body), code
    try:
        return render_template("error.html", code=code, message=message, errors=errors), code
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        return f"{code}: {message}", code, {"Content-Type": "text/plain; charset=utf-8"}


def handle_http_exception(error: HTTPException) -> Response:
    db.session.rollback()
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors is not None:
        errors = flatten_errors(errors)
    message = data.get("message") or error.description or error.name
    resp = make_response(error_response(error.code, message, errors))  # type: ignore[arg-type]  # handled: has a code
    if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]  # a 405 (MethodNotAllowed) has them
        resp.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    for key, value in (data.get("headers") or {}).items():
        resp.headers[key] = value
    return resp


def init_app(app: Flask) -> None:
    """Register error handlers and the commit-at-request-end hook."""
    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(StaleDataError)
    def _stale(error):
        db.session.rollback()
        return error_response(409, STALE_MESSAGE)

    @app.errorhandler(Conflict)
    def _conflict(error):
        db.session.rollback()
        return error_response(409, str(error))

    @app.errorhandler(DomainValidationError)
    def _invalid(error):
        db.session.rollback()
        return error_response(422, "invalid input", error.errors)

    @app.errorhandler(ValidationError)
    def _ma_invalid(error):
        db.session.rollback()
        return error_response(422, "invalid input", flatten_errors(error.messages))

    @app.errorhandler(IntegrityError)
    def _integrity(error):
        db.session.rollback()
        log.info("integrity error: %s", error.orig)
        return error_response(409, INTEGRITY_MESSAGE)

    @app.errorhandler(DataError)
    def _data_error(error):
        db.session.rollback()
        log.info("data error: %s", error.orig)
        return error_response(422, "a value is out of range for the database")

    @app.errorhandler(OperationalError)
    def _operational(error):
        db.session.rollback()
        log.exception("database error")
        return error_response(503, "the database is busy or unavailable; try again")

    @app.errorhandler(RecursionError)
    def _too_deep(error):
        # json.loads (webargs, request.get_json) gives up on a body nested ~1000 levels deep
        db.session.rollback()
        if request.is_json:
            return error_response(400, "the JSON body is nested too deeply")
        log.exception("recursion error on %s %s", request.method, request.path)
        return handle_http_exception(InternalServerError())

    @app.errorhandler(Exception)
    def _unexpected(error):
        db.session.rollback()
        if isinstance(error, HTTPException):
            return handle_http_exception(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return handle_http_exception(InternalServerError())

    @app.after_request
    def _commit(response):
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            return make_response(error_response(409, STALE_MESSAGE))
        except IntegrityError:
            db.session.rollback()
            return make_response(error_response(409, INTEGRITY_MESSAGE))
        return response


def require_json_body() -> None:
    """Refuse a body that is not JSON with 400 (webargs treats it as missing otherwise)."""
    if request.method in ("POST", "PUT", "PATCH") and request.content_length:
        if not request.is_json:
            abort(415, description="send the body as application/json")
