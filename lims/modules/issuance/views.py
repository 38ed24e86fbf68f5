"""Public pages of the issuance area: the certificate check ``/v/<token>`` and the published keys.

No login: anyone who scans a sticker may check it. The signature is verified first with the keys
this server publishes; only a genuine token is looked up in the database for its CURRENT status.
A genuine token's answer is cached in-process and dropped on every node when any certificate is
revoked or replaced (:mod:`lims.modules.issuance.public`).

Status codes: 200 for a certificate in the records (whatever its status: valid, expired, failed,
revoked, replaced); 404 for a token that is not genuine (malformed, over-long, forged, another
key) or genuine but not in the records. ``Accept: application/json`` gets the same verdict as JSON.
"""
import datetime as dt

from flask import Blueprint, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from lims.core.security import public_check_limit
from lims.extensions import db
from lims.modules.issuance import keys, public, render
from lims.modules.issuance import operations as ops
from lims.modules.issuance.models import Certificate

bp = Blueprint("issuance_pages", __name__)

KIND_TITLES = {"verification": ("检定证书", "Verification certificate"),
               "failure_notice": ("检定结果通知书", "Verification result notice (failed)"),
               "calibration": ("校准证书", "Calibration certificate")}


@bp.route("/.well-known/lims-keys.json")
def published_keys() -> ResponseReturnValue:
    """The laboratory's public keys (JWK set, RFC 7517), every key ever used, the active one first."""
    resp = jsonify(keys.published_jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _not_genuine(reason):
    body = {"genuine": False, "status": "not_genuine", "reason": reason,
            "message_zh": "此二维码不是本实验室签发的有效证书。",
            "message_en": "This QR code is not a genuine certificate of this laboratory."}
    html = render_template("issuance/check.html", state="not_genuine", reason=reason)
    return public.Answer(404, html, body, public.etag_for("not_genuine", reason))


def _unknown(verdict, stamp):
    body = {"genuine": True, "status": "unknown", "number": verdict.number,
            "message_zh": "签名有效，但实验室记录中没有该证书；请联系实验室。",
            "message_en": "Genuine signature, but no such certificate in the laboratory's records; "
                          "please contact the laboratory."}
    html = render_template("issuance/check.html", state="unknown", verdict=verdict)
    return public.Answer(404, html, body, public.etag_for("unknown", verdict.number, stamp))


def _known(cert, verdict, today, stamp):
    info = ops.status_info(cert, today)
    replacement = cert.replaced_by if cert.replaced_by_id else None
    record = cert.record
    approver = next((s for s in record["signatories"] if s["role"] == "approver"), None)
    html = render_template("issuance/check.html", state=info["status"], cert=cert, info=info, record=record,
                           approver=approver, kind_title=KIND_TITLES[cert.kind], replacement=replacement,
                           verdict=verdict)
    body = {"genuine": True, "status": info["status"], "number": cert.number, "kind": cert.kind,
            "revision": cert.revision, "performed_on": cert.performed_on.isoformat(),
            "due_date": cert.due_date.isoformat() if cert.due_date else None,
            "message_zh": info["message_zh"], "message_en": info["message_en"],
            "revoked_on": cert.revoked_dt.date().isoformat() if cert.revoked_dt else None,
            "replaced_by": ({"number": replacement.number, "url": replacement.url} if replacement else None),
            "key_id": cert.key_id}
    return public.Answer(200, html, body, public.etag_for(cert.number, info["status"], today, stamp))


def _answer(token, today):
    stamp = public.refresh()
    cache_key = (token, today, str(get_locale()))
    answer = public.lookup(cache_key)
    if answer is not None:
        public.mark_cacheable()
        return answer
    verdict = render.verify_online(token, today, public.verification_keys())
    if not verdict.genuine:
        return _not_genuine(verdict.reason)
    cert = db.session.execute(select(Certificate).options(lazyload(Certificate.instrument))
                              .where(Certificate.number == verdict.number)).scalars().first()
    if cert is None or cert.token != token.upper():
        return _unknown(verdict, stamp)
    answer = _known(cert, verdict, today, stamp)
    public.store(cache_key, answer)
    public.mark_cacheable()
    return answer


@bp.route("/v/<token>")
@bp.route("/V/<token>")
@public_check_limit()
def check(token: str) -> ResponseReturnValue:
    """The public check page of a certificate (QR content ``HTTPS://HOST/V/TOKEN``; any case)."""
    if len(token) > public.MAX_TOKEN_LENGTH:
        answer = _not_genuine(f"the token is longer than {public.MAX_TOKEN_LENGTH} characters")
    else:
        answer = _answer(token, dt.date.today())
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    resp = make_response(jsonify(answer.body) if wants_json else answer.html, answer.code)
    resp.set_etag(answer.etag + ("-j" if wants_json else "-h"))
    resp.headers["Cache-Control"] = f"public, max-age={public.MAX_AGE}, must-revalidate"
    resp.headers["Vary"] = "Accept"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp.make_conditional(request) if answer.code == 200 else resp  # a 404 is never turned into a 304
