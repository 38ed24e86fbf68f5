"""Certificates: records, numbering, issuing, amendment, revocation, the public check."""
