"""JSON API of the issuance area: issue, list, read, download, revoke, replace, sticker sheets."""
import datetime as dt
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from lims.core.auth import login_required, require_roles
from lims.core.db import get_or_404
from lims.core.schemas import paginate
from lims.modules.issuance import operations as ops
from lims.modules.issuance import render
from lims.modules.issuance import schemas as s
from lims.modules.issuance.models import Certificate
from lims.modules.jobs.models import Job

blp = Blueprint("issuance", __name__, url_prefix="/api/v1",
                description="Certificates: issue, status, documents, revocation and amendment")

_FIELDS = [f for f in s.CertificateSchema._declared_fields if f not in ("message_zh", "message_en", "status",
                                                                        "replaced_by_number", "replaces_number")]


def certificate_view(cert: Certificate, today: dt.date | None = None) -> dict[str, Any]:
    """Return the dump dict of a certificate with its current status."""
    out = {f: getattr(cert, f) for f in _FIELDS}
    out.update(ops.status_info(cert, today or dt.date.today()))
    out["replaces_number"] = cert.replaces.number if cert.replaces_id else None
    return out


def _readable(cert_id):
    return ops.readable_certificate(current_user, cert_id)


def _intact(cert) -> None:
    problems = render.integrity_problems(cert)
    if problems:
        abort(409, message=f"certificate {cert.number} failed its integrity check: {'; '.join(problems)}")


@blp.route("/jobs/<int:job_id>/certificate", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(s.IssueSchema)
@blp.response(201, s.CertificateSchema)
def issue_certificate(data: dict[str, Any], job_id: int) -> dict[str, Any]:
    """Issue the certificate of an approved job (lab manager: the authorised signatory)

    A passed verification gets a verification certificate valid until the instrument's new due
    date; a failed one a verification-result notice listing the failed items; a calibration a
    calibration certificate (no conformity or due date unless asked for).
    """

    job = get_or_404(Job, job_id)
    return certificate_view(ops.issue_certificate(job, current_user, data))


@blp.route("/certificates")
class Certificates(MethodView):
    @login_required
    @blp.arguments(s.CertificateQuerySchema, location="query")
    @blp.response(200, s.CertificatePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List certificates (customers see those of their own instruments)"""
        q = ops.certificates_for(current_user).order_by(Certificate.id)
        if args.get("instrument_id"):
            q = q.where(Certificate.instrument_id == args["instrument_id"])
        if args.get("status"):
            q = q.where(Certificate.status_clause(args["status"], dt.date.today()))
        page = paginate(q, args)
        page["items"] = [certificate_view(c) for c in page["items"]]
        return page


@blp.route("/certificates/<int:cert_id>")
@login_required
@blp.response(200, s.CertificateSchema)
def get_certificate(cert_id: int) -> dict[str, Any]:
    """Get a certificate and its current status"""
    return certificate_view(_readable(cert_id))


@blp.route("/certificates/<int:cert_id>/pdf")
@login_required
@blp.response(200, description="the certificate as issued (PDF)", content_type="application/pdf")
def certificate_pdf(cert_id: int) -> Response:
    """Download the PDF exactly as issued (checked against its stored SHA-256 first)"""
    cert = _readable(cert_id)
    _intact(cert)
    return Response(bytes(cert.pdf), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{cert.number}.pdf"'})


@blp.route("/certificates/<int:cert_id>/dcc")
@login_required
@blp.response(200, description="the Digital Calibration Certificate 3.3.0 (XML)", content_type="application/xml")
def certificate_dcc(cert_id: int) -> Response:
    """Download the DCC 3.3.0 XML exactly as issued"""
    cert = _readable(cert_id)
    _intact(cert)
    return Response(bytes(cert.dcc_xml), mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.xml"'})


@blp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(s.RevokeSchema)
@blp.response(200, s.CertificateSchema)
def revoke_certificate(data: dict[str, Any], cert_id: int) -> dict[str, Any]:
    """Revoke a certificate; the public check page shows it as revoked with the reason"""
    cert = get_or_404(Certificate, cert_id)
    return certificate_view(ops.revoke(cert, current_user, data["reason"]))


@blp.route("/certificates/<int:cert_id>/replace", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(s.ReplaceSchema)
@blp.response(201, s.CertificateSchema)
def replace_certificate(data: dict[str, Any], cert_id: int) -> dict[str, Any]:
    """Issue a corrected certificate (revision + 1) that replaces this one (ISO/IEC 17025 7.8.8)"""
    cert = get_or_404(Certificate, cert_id)
    return certificate_view(ops.replace(cert, current_user, data))


@blp.route("/certificates/stickers")
@login_required
@blp.arguments(s.StickerQuerySchema, location="query")
@blp.response(200, description="A4 sheets of verification marks, 3 × 7 per page (PDF)",
              content_type="application/pdf")
def sticker_sheet(args: dict[str, Any]) -> Response:
    """Print the verification marks (QR stickers) of several certificates, in the order given"""
    certs = ops.printable_for_stickers([_readable(i) for i in args["ids"]])
    return Response(render.sticker_sheet(certs), mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="stickers.pdf"'})
