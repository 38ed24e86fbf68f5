"""Public pages of the issuance area (the certificate check)."""
from flask import Blueprint

bp = Blueprint("issuance_pages", __name__)
