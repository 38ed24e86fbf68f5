"""certificates: signed, QR-coded certificates as a pure library (no web framework, no database).

``lims`` builds a frozen :class:`~certificates.data.CertificateData` and calls:

* :func:`certificates.issue.issue` / :func:`~certificates.issue.issue_batch` — signed token,
  verification URL, bilingual PDF, DCC 3.3.0 XML, sticker, and their SHA-256 hashes;
* :func:`certificates.pdf.render_pdf`, :func:`certificates.dcc.render_dcc`,
  :func:`certificates.dcc.validate_dcc`, :func:`certificates.stickers.render_sticker_sheet`;
* :mod:`certificates.signing` — key directory (create/rotate/load/JWKS) and
  :func:`~certificates.signing.verify_token`;
* :mod:`certificates.qr` — :func:`~certificates.qr.verification_url`, image decoding,
  :func:`~certificates.qr.verify_offline`, :func:`~certificates.qr.offline_status`;
* :func:`certificates.status.check_online` — the verdict for the public ``/v/<token>`` page,
  given a database lookup callable.

See ``docs/certificates.md`` (library) and ``docs/qr-format.md`` (token format for verifiers).
"""
