"""A method a route does not take gets 405 with Allow, on pages and the API alike — never a 500."""
import re

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in METHODS:
            if method not in rule.methods:
                yield path, method


def test_every_route_refuses_other_methods_with_405(app, world):
    client = app.test_client()
    seen = 0
    for path, method in _routes(app):
        resp = client.open(path, method=method, headers=world.auth("admin"))
        if resp.status_code == 405:
            assert resp.headers.get("Allow"), (method, path)
            seen += 1
        else:  # another rule with the same path takes this method
            assert resp.status_code < 500, (method, path, resp.status_code)
    assert seen > 50
