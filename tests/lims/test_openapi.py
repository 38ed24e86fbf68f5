"""The OpenAPI document: valid, complete, and honoured by the API under a property-based fuzzer."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)


def test_document_is_valid_openapi_3_and_covers_every_endpoint(app, client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops
                  if method in ("get", "post", "patch", "put", "delete")}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.startswith(("/api/v1/docs", "/api/v1/openapi")):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_docs_page_is_served_without_a_cdn(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page and "http" not in page.split("<body>")[1].split("SwaggerUIBundle")[0]
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_fuzz_no_server_errors_and_responses_match_schema(app, world):
    """Schemathesis generates requests for every operation from the document itself (as an admin)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=world.auth("admin"), checks=checks)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
