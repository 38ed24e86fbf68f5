"""JSON API of the measurements area."""
from flask_smorest import Blueprint

blp = Blueprint("measurements", __name__, url_prefix="/api/v1", description="measurements")
