"""Front-door hardening: security headers (Flask-Talisman), rate limits (Flask-Limiter), body limits.

Content-Security-Policy: scripts and styles come from this server only. The few inline ``<script>``
and ``<style>`` blocks of the templates (e.g. the public check page keeps its style inline so a
shopper's phone needs one request) are allowed by their SHA-256, computed here from the template
files at start-up, so an inline block must be plain text without template markup (a test checks).
"""
import base64
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _

from lims.extensions import limiter, talisman

TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web", "templates")
_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.S | re.I)


def inline_blocks(root: str = TEMPLATES_DIR) -> Iterator[tuple[str, str, str]]:
    """Yield ``(template path, tag, body)`` of every inline script/style block with a body."""
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".html"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for m in _INLINE.finditer(text):
                attrs = m.group(2) or ""
                if m.group(1).lower() == "script" and "src=" in attrs:
                    continue
                if m.group(3).strip():
                    yield path, m.group(1).lower(), m.group(3)


def csp_hash(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"


def content_security_policy() -> dict[str, str | list[str]]:
    scripts, styles = ["'self'"], ["'self'"]
    for _path, tag, body in inline_blocks():
        (scripts if tag == "script" else styles).append(csp_hash(body))
    return {
        "default-src": "'self'",
        "script-src": sorted(set(scripts), key=scripts.index),
        "style-src": sorted(set(styles), key=styles.index),
        "img-src": ["'self'", "data:"],
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def init_app(app: Flask) -> None:
    """Bind Talisman and the limiter, and refuse oversized JSON bodies before they are parsed."""
    production = app.config["ENV_NAME"] == "production"
    talisman.init_app(
        app,
        # TLS ends at the reverse proxy, which redirects http -> https itself (README, production)
        force_https=False,
        strict_transport_security=production,
        strict_transport_security_max_age=app.config["HSTS_MAX_AGE"],
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=production,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        content_security_policy=content_security_policy(),
        frame_options="DENY",
        referrer_policy="same-origin",
    )
    limiter.init_app(app)

    @app.before_request
    def _limit_json_body() -> None:
        if request.is_json and (request.content_length or 0) > app.config["MAX_JSON_BYTES"]:
            abort(413, description=f"the JSON body is larger than {app.config['MAX_JSON_BYTES']} bytes")


def login_limits() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorators for the login view: failed attempts counted per account and per client address."""

    def failed(response) -> bool:
        return response.status_code not in (301, 302, 303)

    def account_key() -> str:
        name = (request.form.get("username") or "").strip().lower()[:64]
        return f"account:{name}"

    def message():
        return _("Too many failed log-in attempts; wait a few minutes and try again.")

    per_account = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=account_key,
                                methods=["POST"], deduct_when=failed, scope="login-account", error_message=message)
    per_address = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
                                deduct_when=failed, scope="login-address", error_message=message)

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        return per_account(per_address(fn))

    return decorator


def public_check_limit() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The per-client-address limit of the public certificate check (generous; see PUBLIC_CHECK_LIMIT)."""
    return limiter.limit(lambda: current_app.config["PUBLIC_CHECK_LIMIT"], scope="public-check")


def public_lookup_limit() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The per-client-address limit of the paper-certificate lookup (see PUBLIC_LOOKUP_LIMIT).

    Only a filled-in form counts (the empty form is free); a breach answers 429 with the error page
    ("Too many requests", in the reader's language) and Retry-After.
    """
    def message():
        return _("Too many certificate look-ups from this connection; wait a minute and try again.")

    return limiter.limit(lambda: current_app.config["PUBLIC_LOOKUP_LIMIT"], scope="public-lookup",
                         exempt_when=lambda: not request.args, error_message=message)
