"""JSON API of the issuance area."""
from flask_smorest import Blueprint

blp = Blueprint("issuance", __name__, url_prefix="/api/v1", description="issuance")
