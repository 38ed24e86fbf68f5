"""Public pages of the issuance area: the certificate check ``/v/<token>`` and the published keys.

No login: anyone who scans a sticker may check it. The signature is verified first with the keys
this server publishes; only a genuine token is looked up in the database for its CURRENT status.
"""
import datetime as dt

from flask import Blueprint, jsonify, render_template

from lims.core.security import public_check_limit
from lims.modules.issuance import keys
from lims.modules.issuance import operations as ops
from lims.modules.issuance import render

bp = Blueprint("issuance_pages", __name__)

KIND_TITLES = {"verification": ("检定证书", "Verification certificate"),
               "failure_notice": ("检定结果通知书", "Verification result notice (failed)"),
               "calibration": ("校准证书", "Calibration certificate")}


@bp.route("/.well-known/lims-keys.json")
def published_keys():
    """The laboratory's public keys (JWK set, RFC 7517), every key ever used, the active one first."""
    resp = jsonify(keys.published_jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _page(state, code=200, **ctx):
    resp = render_template("issuance/check.html", state=state, **ctx)
    return resp, code, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.route("/v/<token>")
@bp.route("/V/<token>")
@public_check_limit()
def check(token):
    """The public check page of a certificate (QR content ``HTTPS://HOST/V/TOKEN``; any case)."""
    today = dt.date.today()
    verdict = render.verify_online(token, today)
    if not verdict.genuine:
        return _page("not_genuine", 200, reason=verdict.reason)
    cert = ops.find_by_number(verdict.number)
    if cert is None or cert.token != token.upper():
        return _page("unknown", 200, verdict=verdict)
    info = ops.status_info(cert, today)
    replacement = cert.replaced_by if cert.replaced_by_id else None
    record = cert.record
    approver = next((s for s in record["signatories"] if s["role"] == "approver"), None)
    return _page(info["status"], 200, cert=cert, info=info, record=record, approver=approver,
                 kind_title=KIND_TITLES[cert.kind], replacement=replacement, verdict=verdict)
