"""The baseline of bench/scale.py: a bare one-route Flask app (``gunicorn bench.bare_app:app``)."""
from flask import Flask

app = Flask(__name__)


@app.route("/V/<token>")
def check(token):
    return f"<!doctype html><title>ok</title><p>{len(token)}</p>"
