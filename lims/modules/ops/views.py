"""``/healthz`` for load balancers and ``/metrics`` for Prometheus.

``/healthz`` answers 200 when the database answers, the task queue answers and the signing key
loads; otherwise 503 naming the failing check (a load balancer takes the node out).

``/metrics`` (prometheus_client): request latency by endpoint, the task queue's depth, tasks by
status and certificates issued. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (the shipped
``gunicorn.conf.py`` does) so every worker's samples are summed. Restrict it to the monitoring
network at the reverse proxy (the README's example does).
"""
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select, text

from lims.extensions import db
from lims.modules.issuance import keys
from lims.modules.issuance.models import Certificate
from lims.modules.tasks import queue
from lims.modules.tasks.models import Task

bp = Blueprint("ops_pages", __name__)

REQUEST_LATENCY = Histogram("lims_http_request_duration_seconds", "Request latency by endpoint",
                            ["endpoint", "method"],
                            buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))


def _check_database() -> None:
    db.session.execute(text("SELECT 1")).scalar()


def _check_queue() -> None:
    huey = queue.huey_for()
    if not huey.immediate:
        huey.pending_count()


def _check_signing_key() -> None:
    keys.signing_key()


CHECKS = {"database": _check_database, "queue": _check_queue, "signing_key": _check_signing_key}


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """``{"status": "ok"|"failing", "checks": {name: "ok" | problem}}`` with 200 or 503."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # every failure becomes a named, readable check result
            db.session.rollback()
            results[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    ok = all(v == "ok" for v in results.values())
    resp = jsonify({"status": "ok" if ok else "failing", "checks": results})
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp


class _DatabaseCollector:
    """Figures read at scrape time from the shared database and queue (the same on every node)."""

    def collect(self) -> Iterator[Metric]:
        issued = CounterMetricFamily("lims_certificates_issued", "Certificates issued, by kind", labels=["kind"])
        for kind, n in db.session.execute(select(Certificate.kind, func.count()).group_by(Certificate.kind)):
            issued.add_metric([kind], n)
        yield issued
        tasks = GaugeMetricFamily("lims_tasks", "Background tasks by status", labels=["status"])
        for status, n in db.session.execute(select(Task.status, func.count()).group_by(Task.status)):
            tasks.add_metric([status], n)
        yield tasks
        depth = queue.depth()
        if depth is not None:
            yield GaugeMetricFamily("lims_task_queue_depth", "Messages waiting on the task queue", value=depth)


@bp.route("/metrics")
def metrics() -> ResponseReturnValue:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # the multiprocess collector only under gunicorn's shared dir

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY  # the default registry (one process)

        registry = REGISTRY
    body = generate_latest(registry)
    db_registry = CollectorRegistry()
    db_registry.register(_DatabaseCollector())
    body += generate_latest(db_registry)
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    """Time every request by endpoint (the metrics endpoint itself too)."""

    def observe(endpoint, method, seconds):
        REQUEST_LATENCY.labels(endpoint, method).observe(seconds)

    app.extensions["lims_observe_latency"] = observe  # for requests answered before Flask (the check's fast path)

    @app.before_request
    def _start_timer() -> None:
        g._lims_t0 = time.perf_counter()

    @app.teardown_request
    def _observe(_exc=None) -> None:
        t0 = g.pop("_lims_t0", None)
        if t0 is not None:
            endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
            REQUEST_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - t0)
