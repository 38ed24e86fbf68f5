"""Interactive API docs (Swagger UI) served from the vendored swagger-ui-bundle: no CDN needed."""
from flask import Blueprint, Response, render_template_string, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("apidocs", __name__)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Metrology LIMS API</title>
<link rel="stylesheet" href="{{ url_for('apidocs.asset', filename='swagger-ui.css') }}"></head>
<body><div id="ui" data-spec-url="{{ url_for('api-docs.openapi_json') }}"></div>
<script src="{{ url_for('apidocs.asset', filename='swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('static', filename='apidocs.js') }}"></script>
</body></html>"""


@bp.route("/api/v1/docs")
def docs() -> str:
    """Interactive documentation of the API."""
    return render_template_string(_PAGE)


@bp.route("/api/v1/docs/assets/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
